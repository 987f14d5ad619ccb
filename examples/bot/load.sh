#!/usr/bin/env bash
# Load benchmark of `sportello serve` with wrk against the JSON API on loopback, then the same
# load while the knowledge base is reloaded several times (file changes and SIGHUP).
#
#   bash examples/bot/load.sh            # 10 s per pass, 2 threads, 50 connections
#   DURATION=5 CONNECTIONS=20 bash examples/bot/load.sh
#   STORE=postgres bash examples/bot/load.sh   # feedback and delivery ids in PostgreSQL
#   MODEL=path/e5-small-q4.bin bash examples/bot/load.sh   # with the semantic stage
#   MODEL=… NEW_QUESTION_EVERY=10 bash …                    # 1 request in 10 a new question
#
# STORE=postgres starts Debian's PostgreSQL (scripts/pg-test-db.sh, root or sudo) and uses a
# fresh database sportello_load; the default, STORE=sqlite, writes a SQLite file.
#
# Needs wrk (Debian: apt-get install -y wrk). Exits non-zero on any non-2xx response, socket
# error, or requests/s below MIN_RPS / p99 above MAX_P99_MS (set them to 0 to only report).
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-10}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-50}
PORT=${PORT:-18089}
MIN_RPS=${MIN_RPS:-5000}
MAX_P99_MS=${MAX_P99_MS:-20}
TARGET=${CARGO_TARGET_DIR:-target}
STORE=${STORE:-sqlite}
MODEL=${MODEL:-}

command -v wrk >/dev/null || { echo "wrk non trovato: apt-get install -y wrk" >&2; exit 2; }
cargo build --release -p sportello-cli >&2

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# A copy of the example KB and config, so the reload pass can touch files safely.
cp -r knowledge-base/comune-di-esempio "$WORK/kb"
sed -e "s|^kb = .*|kb = \"$WORK/kb\"|" \
    -e "s|^database = .*|database = \"$WORK/feedback.sqlite\"|" \
    -e "s|^reload_poll_seconds = .*|reload_poll_seconds = 1|" \
    -e "s|^api_per_minute = .*|api_per_minute = 0|" \
    examples/bot/sportello.toml > "$WORK/sportello.toml"
if [ -n "$MODEL" ]; then
  sed -i -e "s|^# model = .*|model = \"$MODEL\"|" "$WORK/sportello.toml"
  echo "== matching: lexical and semantic ($MODEL)"
else
  echo "== matching: lexical"
fi
if [ "$STORE" = postgres ]; then
  base=$(bash scripts/pg-test-db.sh | tail -n 1)
  psql "$base" -XqAt -c "DROP DATABASE IF EXISTS sportello_load WITH (FORCE)" -c "CREATE DATABASE sportello_load"
  export SPORTELLO_PG_URL="${base%/*}/sportello_load"
  sed -i -e "s|^database = .*|database = \"\"|" -e "s|^backend = .*|backend = \"postgres\"|" \
      -e "s|^url_env = .*|url_env = \"SPORTELLO_PG_URL\"|" "$WORK/sportello.toml"
  echo "== store: PostgreSQL (${SPORTELLO_PG_URL%%:*}://…@${SPORTELLO_PG_URL#*@})"
else
  echo "== store: SQLite"
fi

export SPORTELLO_TELEGRAM_SECRET=load-test SPORTELLO_META_APP_SECRET=load-test \
       SPORTELLO_META_VERIFY_TOKEN=load-test SPORTELLO_META_ACCESS_TOKEN=load-test \
       SPORTELLO_GRAPH_BASE_URL=http://127.0.0.1:9/v21.0
"$TARGET/release/sportello" serve --config "$WORK/sportello.toml" --listen "127.0.0.1:$PORT" 2>"$WORK/server.log" &
SERVER_PID=$!
URL="http://127.0.0.1:$PORT/v1/agencies/comune-di-esempio/ask"
# Up to 10 s; 90 s with the model, which embeds every phrasing and answer at start-up.
waits=100; [ -z "$MODEL" ] || waits=900
for _ in $(seq "$waits"); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
curl -sf -XPOST "$URL" -H "Content-Type: application/json" -d '{"question":"quanto costa la carta d'"'"'identità"}' | grep -q '"kind":"answer"'

# Warm-up.
wrk -t1 -c4 -d2s -s examples/bot/ask.lua "$URL" >/dev/null

fail=0
check() { # $1 = pass name, $2 = wrk output
  local out=$2 rps p50 p99 non2xx errors
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx or 3xx responses/ {print $NF}' <<<"$out"); non2xx=${non2xx:-0}
  errors=$(awk '/Socket errors/ {gsub(",",""); s=0; for(i=1;i<=NF;i++) if ($i ~ /^[0-9]+$/) s+=$i; print s}' <<<"$out"); errors=${errors:-0}
  local p99_ms
  p99_ms=$(awk -v v="$p99" 'BEGIN { if (v ~ /us$/) {sub("us","",v); print v/1000} else if (v ~ /ms$/) {sub("ms","",v); print v+0} else {sub("s","",v); print v*1000} }')
  echo "RESULT $1: requests/s=$rps p50=$p50 p99=$p99 non2xx=$non2xx socket_errors=$errors"
  [ "$non2xx" = 0 ] && [ "$errors" = 0 ] || { echo "FAIL $1: errors" >&2; fail=1; }
  if awk -v r="$rps" -v m="$MIN_RPS" 'BEGIN{exit !(r < m)}'; then echo "FAIL $1: requests/s below $MIN_RPS" >&2; fail=1; fi
  if [ "$MAX_P99_MS" != 0 ] && awk -v p="$p99_ms" -v m="$MAX_P99_MS" 'BEGIN{exit !(p > m)}'; then echo "FAIL $1: p99 above ${MAX_P99_MS} ms" >&2; fail=1; fi
}

echo "== pass 1: steady load (${DURATION}s, $THREADS threads, $CONNECTIONS connections)"
out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s examples/bot/ask.lua "$URL")
echo "$out"
check steady "$out"

echo "== pass 2: same load, knowledge base reloaded during it (file changes and SIGHUP)"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s examples/bot/ask.lua "$URL" >"$WORK/wrk2.txt" &
WRK_PID=$!
ENTRY="$WORK/kb/entries/biblioteca-orari.md"
steps=$(( DURATION / 2 ))
for i in $(seq "$steps"); do
  sleep 1
  if [ $((i % 2)) = 1 ]; then
    printf '\n<!-- modifica %s -->\n' "$i" >>"$ENTRY"   # file change: picked up by the poller
  else
    kill -HUP "$SERVER_PID"                            # explicit reload
  fi
done
wait "$WRK_PID"
out=$(cat "$WORK/wrk2.txt")
echo "$out"
check reload "$out"
reloads=$(curl -sf "http://127.0.0.1:$PORT/metrics" | awk -F'} ' '/sportello_reloads_total.*result="ok"/ {print $2}')
echo "RESULT reloads during pass 2: ${reloads:-0} (from /metrics)"
dropped=$(curl -sf "http://127.0.0.1:$PORT/metrics" | awk '/^sportello_feedback_dropped_total/ {print $2}')
echo "RESULT feedback items dropped (writer queue full, store $STORE): ${dropped:-0}"
[ "${reloads:-0}" -ge 2 ] || { echo "FAIL: the KB was not reloaded during the load" >&2; fail=1; }
if [ "$STORE" = postgres ]; then
  kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
  stored=$(psql "$SPORTELLO_PG_URL" -XqAt -c "SELECT COALESCE(SUM(n), 0) FROM reply_counts")
  echo "RESULT replies counted in PostgreSQL: $stored"
  [ "${stored:-0}" -gt 0 ] || { echo "FAIL: nothing written to PostgreSQL" >&2; fail=1; }
fi
grep -q '"level":"ERROR"' "$WORK/server.log" && { echo "FAIL: errors in the server log" >&2; grep ERROR "$WORK/server.log" | head >&2; fail=1; }
exit $fail
