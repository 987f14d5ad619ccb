#!/usr/bin/env bash
# Flood check (issue 16): 10 s of declined questions on /ask from one address, without a client
# header, against `sportello serve` with a SQLite store and a low daily cap. Prints the rows stored,
# the excess counted in /metrics, and checks that a text/plain POST is refused with 415.
#
#   bash examples/bot/flood.sh            # DURATION=10 CAP=200
#
# Needs wrk and python3 (for reading the SQLite file). Exits non-zero when the rows exceed the cap,
# when nothing was counted as capped, or when text/plain is not refused.
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-10}
CAP=${CAP:-200}
PORT=${PORT:-18091}
TARGET=${CARGO_TARGET_DIR:-target}

command -v wrk >/dev/null || { echo "wrk non trovato: apt-get install -y wrk" >&2; exit 2; }
[ -n "${SPORTELLO_SKIP_BUILD:-}" ] || cargo build --release -p sportello-cli >&2

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

cat >"$WORK/sportello.toml" <<TOML
[limits]
api_per_minute = 0
feedback_per_agency_per_day = $CAP
[feedback]
database = "$WORK/feedback.sqlite"
[[agency]]
id = "comune-di-esempio"
kb = "$PWD/knowledge-base/comune-di-esempio"
channels = ["api"]
TOML
"$TARGET/release/sportello" serve --config "$WORK/sportello.toml" --listen "127.0.0.1:$PORT" 2>"$WORK/server.log" &
SERVER_PID=$!
URL="http://127.0.0.1:$PORT/v1/agencies/comune-di-esempio/ask"
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

# Declined questions, each different (a distinct number), so none is merged with another.
cat >"$WORK/decline.lua" <<'LUA'
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, '{"question":"quando passa il camion dei gelati numero ' .. n .. '?"}')
end
LUA
curl -sf -XPOST "$URL" -H "Content-Type: application/json" -d '{"question":"quando passa il camion dei gelati?"}' | grep -q '"kind":"decline"'
out=$(wrk -t2 -c20 -d"${DURATION}s" -s "$WORK/decline.lua" "$URL")
echo "$out" | grep -E "Requests/sec|requests in|Non-2xx" || true
requests=$(awk '/requests in/ {print $1}' <<<"$out")

status=$(curl -s -o /dev/null -w '%{http_code}' -XPOST "$URL" -H "Content-Type: text/plain" -d 'quando apre il comune?')
capped=$(curl -sf "http://127.0.0.1:$PORT/metrics" | awk -F'} ' '/^sportello_feedback_capped_total/ {print $2}')
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
rows=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT COUNT(*) FROM feedback').fetchone()[0])" "$WORK/feedback.sqlite")
echo "RESULT flood: ${requests} declined questions in ${DURATION} s; rows stored ${rows} (cap ${CAP}); capped in /metrics ${capped:-0}; text/plain POST -> HTTP ${status}"
fail=0
[ "$rows" -le "$CAP" ] || { echo "FAIL: more rows than the cap" >&2; fail=1; }
[ "${capped:-0}" -gt 0 ] || { echo "FAIL: no excess counted" >&2; fail=1; }
[ "$status" = 415 ] || { echo "FAIL: text/plain not refused with 415" >&2; fail=1; }
exit $fail
