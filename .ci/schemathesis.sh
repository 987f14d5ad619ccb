#!/usr/bin/env bash
# API fuzzing: schemathesis (pinned, from PyPI, in a virtualenv under target/) against a
# running `sportello serve` with the example configuration, every operation of
# /openapi.json. Fails when a response is a 5xx or does not match the document (status
# code, content type, headers, body schema). Needs the release CLI
# (`cargo build --release -p sportello-cli`). Idempotent.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
TARGET="${CARGO_TARGET_DIR:-target}"
VENV="$TARGET/schemathesis-venv"
VERSION=4.32.5
if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$VERSION"; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check "schemathesis==$VERSION"
fi

WORK="$(mktemp -d)"
PORT="${PORT:-18091}"
SERVER_PID=""
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
# The example config with the rate limit off (schemathesis sends hundreds of requests from
# one address) and the database in the temporary folder.
sed -e "s|^kb = .*|kb = \"$PWD/knowledge-base/comune-di-esempio\"|" \
    -e "s|^database = .*|database = \"$WORK/feedback.sqlite\"|" \
    -e "s|^api_per_minute = .*|api_per_minute = 0|" \
    examples/bot/sportello.toml >"$WORK/sportello.toml"
export SPORTELLO_TELEGRAM_SECRET=st-secret SPORTELLO_META_APP_SECRET=st-secret \
       SPORTELLO_META_VERIFY_TOKEN=st-verify SPORTELLO_META_ACCESS_TOKEN=st-access \
       SPORTELLO_GRAPH_BASE_URL=http://127.0.0.1:9/v21.0
"${SPORTELLO_BIN:-$TARGET/release/sportello}" serve --config "$WORK/sportello.toml" --listen "127.0.0.1:$PORT" 2>"$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

status=0
"$VENV/bin/schemathesis" --config-file .ci/schemathesis.toml run "http://127.0.0.1:$PORT/openapi.json" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
    --max-examples "${MAX_EXAMPLES:-40}" --workers 2 --request-timeout 10 --seed 16 \
    --suppress-health-check all --no-color || status=$?
if grep -q '"level":"ERROR"\|panicked' "$WORK/server.log"; then
    echo "server log has errors:"
    grep '"level":"ERROR"\|panicked' "$WORK/server.log" | head -20
    status=1
fi
exit "$status"
