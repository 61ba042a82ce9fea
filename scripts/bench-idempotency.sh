#!/usr/bin/env bash
# What the idempotency key store costs per request: the same N cancels (by path, one per existing
# hold) with and without a unique Idempotency-Key, on a release build, in one run. Prints the rate
# and the server's CPU time per request (from process_cpu_seconds_total) for both, the difference,
# and what the stored keys cost in memory (idempotency_entries vs RSS) and on disk. Then the
# memory per remembered key on its own: KEYS holds of an unknown event, each with a new key (a
# stored 404 that holds no seat, so nothing but the key store grows), RSS before and after.
#
# usage: scripts/bench-idempotency.sh [requests] [keys]   (default 30000 and 500000)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-30000}
keys=${2:-500000}
swift build -c release --product reservation-server >/dev/null
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; rm -rf "$work"' EXIT
.build/release/reservation-server --host 127.0.0.1 --port 0 --grpc-port 0 --db "$work/b.db" --access-log-sample-rate 0 \
    --hold-seconds 3600 --idempotency-ttl-seconds 3600 >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 200); do grep -q '"msg":"listening"' "$work/server.log" && break; sleep 0.05; done
port=$(grep -o '"msg":"listening".*"port":[0-9]*' "$work/server.log" | grep -o '[0-9]*$')
base="http://127.0.0.1:$port"
until [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/actuator/health/readiness")" = 200 ]; do sleep 0.02; done
curl -s -o /dev/null -H 'content-type: application/json' \
    -d "{\"eventId\":\"evt_idem\",\"name\":\"b\",\"currency\":\"KRW\",\"sections\":[{\"name\":\"A\",\"seats\":$((3 * n)),\"price\":1}]}" "$base/v1/events"
for set in plain keyed; do
    EVENTS=evt_idem LIMIT=$n IDS="$work/$set.ids" USER_ID=bench wrk -t1 -c64 -d600s -s scripts/wrk/hold-record.lua "$base" >/dev/null
done
metric() { curl -s "$base/actuator/prometheus" | awk -v name="$1" '$1 == name {print $2}'; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
run() {  # set keyed
    local cpu0 cpu1 t0 t1
    cpu0=$(metric process_cpu_seconds_total); t0=$(date +%s.%N)
    IDS="$work/$1.ids" ACTION=cancel KEYED=$2 USER_ID=bench wrk -t1 -c64 -d600s -s scripts/wrk/act.lua "$base" | grep answered
    t1=$(date +%s.%N); cpu1=$(metric process_cpu_seconds_total)
    awk -v n="$n" -v c0="$cpu0" -v c1="$cpu1" -v t0="$t0" -v t1="$t1" -v label="$1" \
        'BEGIN { printf "%-6s %8.0f req/s   %6.1f us server CPU per request\n", label, n / (t1 - t0), (c1 - c0) * 1e6 / n }'
}
entries0=$(metric idempotency_entries); rss0=$(rss)
run plain 0
run keyed 1
entries1=$(metric idempotency_entries); rss1=$(rss)
echo "keys stored by the keyed run: $((${entries1%.*} - ${entries0%.*})) (RSS grew $((rss1 - rss0)) KiB over both runs)"
sqlite3 "$work/b.db" "SELECT 'idempotency rows: ' || count(*) || ', mean response bytes: ' || CAST(avg(length(response)) AS INT) FROM idempotency_keys" 2>/dev/null || true
entries0=$(metric idempotency_entries); rss0=$(rss)
LIMIT=$keys EVENTS=evt_unknown RUN=keys wrk -t1 -c64 -d600s --timeout 30s -s scripts/wrk/hold-limited.lua "$base" >/dev/null 2>&1
entries1=$(metric idempotency_entries); rss1=$(rss)
awk -v e0="$entries0" -v e1="$entries1" -v r0="$rss0" -v r1="$rss1" \
    'BEGIN { printf "memory per remembered key: %d keys more, RSS %+d KiB: %.1f bytes per key\n", e1 - e0, r1 - r0, (r1 - r0) * 1024 / (e1 - e0) }'
