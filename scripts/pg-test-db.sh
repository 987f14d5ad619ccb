#!/usr/bin/env bash
# Starts Debian's PostgreSQL cluster (idempotent: a running one is left alone), makes the test
# role and database if missing, and prints the URL for SPORTELLO_TEST_PG on its last line.
# Used by .ci/run before the tests and by examples/bot/load.sh and scripts/replicas-pg.sh.
# Needs root or sudo (the cluster belongs to the postgres user). Test credentials only.
set -euo pipefail

as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

command -v pg_lsclusters >/dev/null || { echo "PostgreSQL non installato: apt-get install postgresql" >&2; exit 1; }
ver=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
if ! pg_lsclusters -h | awk -v v="$ver" '$1 == v && $2 == "main"' | grep -q .; then
    $SUDO pg_createcluster "$ver" main >&2
fi
if ! pg_lsclusters -h | awk -v v="$ver" '$1 == v && $2 == "main" {print $4}' | grep -q online; then
    $SUDO pg_ctlcluster "$ver" main start >&2
fi
port=$(pg_lsclusters -h | awk -v v="$ver" '$1 == v && $2 == "main" {print $3}')
for _ in $(seq 50); do
    pg_isready -q -h 127.0.0.1 -p "$port" && break
    sleep 0.2
done
psql_pg() { as_postgres psql -p "$port" -XtAq "$@"; }
if [ "$(psql_pg -c "SELECT 1 FROM pg_roles WHERE rolname = 'sportello'")" != 1 ]; then
    psql_pg -c "CREATE ROLE sportello LOGIN PASSWORD 'sportello' CREATEDB"
fi
if [ "$(psql_pg -c "SELECT 1 FROM pg_database WHERE datname = 'sportello_test'")" != 1 ]; then
    psql_pg -c "CREATE DATABASE sportello_test OWNER sportello"
fi
echo "postgres://sportello:sportello@127.0.0.1:${port}/sportello_test"
