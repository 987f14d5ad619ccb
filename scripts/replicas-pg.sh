#!/usr/bin/env bash
# Two `sportello serve` processes on loopback sharing one PostgreSQL, as behind a load balancer:
#   1. the same signed WhatsApp delivery sent to both at once is answered once (a fake Graph
#      API, a small Python server, records the replies sent);
#   2. the same Telegram update sent to both is answered once (the reply is the webhook's body);
#   3. questions declined by each replica appear in one `sportello report` of the database;
#   4. under wrk load on both, replica A is killed (SIGKILL) half-way: no request sent to B
#      fails (wrk on B: 0 non-2xx, 0 socket errors), while A's run shows the kill.
#
#   bash scripts/replicas-pg.sh             # DURATION=10 s of load, 50 connections per replica
#   SPORTELLO_SKIP_BUILD=1 bash scripts/replicas-pg.sh
#
# Needs wrk, curl, python3, openssl and Debian's PostgreSQL (started by scripts/pg-test-db.sh:
# root or sudo). Exits non-zero when any check fails.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-50}
PA=${PORT_A:-18191}
PB=${PORT_B:-18192}
PF=${PORT_FAKE:-18193}
TARGET=${CARGO_TARGET_DIR:-target}
BIN="$TARGET/release/sportello"
AGENCY=comune-di-esempio

for t in wrk curl python3 openssl psql; do
    command -v "$t" >/dev/null || { echo "$t non trovato" >&2; exit 2; }
done
[ -n "${SPORTELLO_SKIP_BUILD:-}" ] || cargo build --release -p sportello-cli >&2

WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

base=$(bash scripts/pg-test-db.sh | tail -n 1)
psql "$base" -XqAt -c "DROP DATABASE IF EXISTS sportello_replicas WITH (FORCE)" \
    -c "CREATE DATABASE sportello_replicas"
export SPORTELLO_PG_URL="${base%/*}/sportello_replicas"

# The fake Graph API: every POST is one line (path and body) in graph.log.
cat >"$WORK/fake.py" <<'EOF'
import http.server, sys
log = open(sys.argv[2], "a", buffering=1)
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        log.write(self.path + " " + body.decode() + "\n")
        out = b'{"messaging_product":"whatsapp","messages":[{"id":"wamid.OUT"}]}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
: >"$WORK/graph.log"
python3 "$WORK/fake.py" "$PF" "$WORK/graph.log" &
PIDS+=($!)

sed -e "s|^kb = .*|kb = \"$PWD/knowledge-base/$AGENCY\"|" \
    -e "s|^database = .*|database = \"\"|" \
    -e "s|^api_per_minute = .*|api_per_minute = 0|" \
    -e "s|^backend = .*|backend = \"postgres\"|" \
    -e "s|^url_env = .*|url_env = \"SPORTELLO_PG_URL\"|" \
    examples/bot/sportello.toml >"$WORK/sportello.toml"

SECRET=replica-secret
export SPORTELLO_TELEGRAM_SECRET=tg-replica SPORTELLO_META_APP_SECRET=$SECRET \
    SPORTELLO_META_VERIFY_TOKEN=v SPORTELLO_META_ACCESS_TOKEN=token \
    SPORTELLO_GRAPH_BASE_URL=http://127.0.0.1:$PF/v21.0
"$BIN" serve --config "$WORK/sportello.toml" --listen "127.0.0.1:$PA" 2>"$WORK/a.log" &
A=$!
PIDS+=($A)
"$BIN" serve --config "$WORK/sportello.toml" --listen "127.0.0.1:$PB" 2>"$WORK/b.log" &
B=$!
PIDS+=($B)
for p in $PA $PB $PF; do
    for _ in $(seq 100); do
        curl -s -o /dev/null "http://127.0.0.1:$p/healthz" && break
        sleep 0.1
    done
done
grep -q 'PostgreSQL' "$WORK/a.log" || { echo "FAIL: replica A is not on PostgreSQL" >&2; cat "$WORK/a.log" >&2; exit 1; }
if grep -q 's3greta\|sportello:sportello@' "$WORK/a.log" "$WORK/b.log"; then
    echo "FAIL: the database password is in the log" >&2
    exit 1
fi
fail=0
ok() { echo "OK   $*"; }
ko() { echo "FAIL $*" >&2; fail=1; }

# 1. WhatsApp: one delivery, to both replicas at once.
wa='{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Mario"},"wa_id":"393331234567"}],"messages":[{"from":"393331234567","id":"wamid.REPLICAS-1","timestamp":"1700000000","type":"text","text":{"body":"quanto costa la carta d'"'"'identità?"}}]}}]}]}'
sig="sha256=$(printf '%s' "$wa" | openssl dgst -sha256 -hmac "$SECRET" -r | cut -d' ' -f1)"
CURLS=()
for p in $PA $PB; do
    curl -s -o "$WORK/wa-$p.out" -w '%{http_code}\n' -XPOST "http://127.0.0.1:$p/v1/agencies/$AGENCY/whatsapp" \
        -H 'content-type: application/json' -H "x-hub-signature-256: $sig" --data-binary "$wa" >"$WORK/wa-$p.code" &
    CURLS+=($!)
done
wait "${CURLS[@]}"
sleep 1.5
codes="$(cat "$WORK/wa-$PA.code") $(cat "$WORK/wa-$PB.code")"
replies=$(grep -c '/messages' "$WORK/graph.log" || true)
echo "WhatsApp: status from A and B: $codes; replies sent to the Graph API: $replies"
[ "$codes" = "200 200" ] && [ "$replies" = 1 ] && ok "the same WhatsApp delivery to both replicas: answered once" \
    || ko "WhatsApp delivery answered $replies times"

# 2. Telegram: one update, to both.
tg='{"update_id":990001,"message":{"message_id":1,"date":1700000000,"from":{"id":4242,"is_bot":false,"first_name":"Mario"},"chat":{"id":4242,"type":"private"},"text":"quanto costa la carta d'"'"'identità?"}}'
CURLS=()
for p in $PA $PB; do
    curl -s -o "$WORK/tg-$p.out" -XPOST "http://127.0.0.1:$p/v1/agencies/$AGENCY/telegram" \
        -H 'content-type: application/json' -H "X-Telegram-Bot-Api-Secret-Token: tg-replica" --data-binary "$tg" &
    CURLS+=($!)
done
wait "${CURLS[@]}"
answered=0
for p in $PA $PB; do grep -q '"method":"sendMessage"' "$WORK/tg-$p.out" && answered=$((answered + 1)); done
echo "Telegram: replies in the webhook bodies of A and B: $answered"
[ "$answered" = 1 ] && ok "the same Telegram update to both replicas: answered once" || ko "Telegram update answered $answered times"

# 3. Feedback through both replicas, one report.
ask() { curl -s -XPOST "http://127.0.0.1:$1/v1/agencies/$AGENCY/ask" -H 'content-type: application/json' -d "{\"question\":\"$2\"}"; }
ask $PA "quando passa il camion dei gelati" | grep -q '"kind":"decline"' || ko "A did not decline"
ask $PB "orari della piscina" | grep -q '"kind":"decline"' || ko "B did not decline"
sleep 1
"$BIN" report env:SPORTELLO_PG_URL --agency "$AGENCY" >"$WORK/report.txt"
cat "$WORK/report.txt"
grep -q "camion dei gelati" "$WORK/report.txt" && grep -q "piscina" "$WORK/report.txt" \
    && ok "feedback written through A and B is in one sportello report" || ko "the report misses a replica's feedback"

# 4. Load on both; A killed half-way.
URL_A="http://127.0.0.1:$PA/v1/agencies/$AGENCY/ask"
URL_B="http://127.0.0.1:$PB/v1/agencies/$AGENCY/ask"
wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s examples/bot/ask.lua "$URL_A" >"$WORK/wrk-a.txt" 2>&1 &
WA=$!
wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s examples/bot/ask.lua "$URL_B" >"$WORK/wrk-b.txt" 2>&1 &
WB=$!
sleep $((DURATION / 2))
kill -KILL "$A"
echo "replica A killed (SIGKILL) after $((DURATION / 2)) s"
wait "$WB" || true
wait "$WA" || true
summary() {
    local f=$1 req non2xx errors
    req=$(awk '/requests in/ {print $1}' "$f")
    non2xx=$(awk '/Non-2xx or 3xx responses/ {print $NF}' "$f")
    errors=$(awk '/Socket errors/ {gsub(",",""); s=0; for(i=1;i<=NF;i++) if ($i ~ /^[0-9]+$/) s+=$i; print s}' "$f")
    echo "requests=${req:-0} non2xx=${non2xx:-0} socket_errors=${errors:-0} $(awk '/^Requests\/sec/ {print "req/s=" $2}' "$f") $(awk '$1=="99%" {print "p99=" $2}' "$f")"
}
echo "wrk on A (killed): $(summary "$WORK/wrk-a.txt")"
echo "wrk on B:          $(summary "$WORK/wrk-b.txt")"
b_non2xx=$(awk '/Non-2xx or 3xx responses/ {print $NF}' "$WORK/wrk-b.txt")
b_errors=$(awk '/Socket errors/ {print}' "$WORK/wrk-b.txt")
b_req=$(awk '/requests in/ {print $1}' "$WORK/wrk-b.txt")
if [ -z "$b_non2xx" ] && [ -z "$b_errors" ] && [ "${b_req:-0}" -gt 0 ]; then
    ok "replica A killed during the load: none of the $b_req requests sent to B failed"
else
    ko "requests to B failed while A was killed"
    cat "$WORK/wrk-b.txt" >&2
fi
curl -sf "http://127.0.0.1:$PB/readyz" >/dev/null && ok "B still ready" || ko "B not ready"
b_dropped=$(curl -sf "http://127.0.0.1:$PB/metrics" | awk '/^sportello_feedback_dropped_total/ {print $2}')
kill -TERM "$B"
wait "$B" 2>/dev/null || true
if grep -q '"level":"ERROR"' "$WORK/b.log"; then
    ko "errors in B's log"
    grep ERROR "$WORK/b.log" | head >&2
fi
counted=$(psql "$SPORTELLO_PG_URL" -XqAt -c "SELECT COALESCE(SUM(n), 0) FROM reply_counts")
echo "replies counted in PostgreSQL by both replicas: $counted (B's writer queue dropped ${b_dropped:-0} items; A's queue, unwritten when it was killed, is lost)"
[ "$fail" = 0 ] && echo "replicas-pg: all checks passed" || echo "replicas-pg: FAILED"
exit $fail
