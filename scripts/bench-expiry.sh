#!/usr/bin/env bash
# Expiry on a release build, through the HTTP API:
#  1. lateness: N holds (default 100,000) with a short hold time; waits until every one has expired
#     and prints the writer's lateness percentiles (deadline → commit of the expiry);
#  2. recovery: M live holds (default 1,000,000; 0 skips), then SIGKILL and a restart; prints how
#     long start-up took until readiness (re-arming every live hold).
#
# usage: scripts/bench-expiry.sh [holds] [recovery-holds]
set -euo pipefail
cd "$(dirname "$0")/.."
holds=${1:-100000}
recovery=${2:-1000000}
command -v wrk >/dev/null || { echo "needs wrk" >&2; exit 1; }
swift build -c release --product reservation-server >/dev/null
binary=.build/release/reservation-server
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; rm -rf "$work"' EXIT

start() {  # log-file args...
    local log=$1; shift
    "$binary" --host 127.0.0.1 --port 0 --grpc-port 0 --access-log-sample-rate 0 "$@" >"$log" 2>&1 &
    pid=$!
    for _ in $(seq 1 600); do grep -q '"msg":"listening"' "$log" && break; sleep 0.05; done
    port=$(grep -o '"msg":"listening".*"port":[0-9]*' "$log" | grep -o '[0-9]*$')
    base="http://127.0.0.1:$port"
    until [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/actuator/health/readiness")" = 200 ]; do sleep 0.02; done
}
event() {  # id seats
    curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' \
        -d "{\"eventId\":\"$1\",\"name\":\"bench\",\"currency\":\"KRW\",\"sections\":[{\"name\":\"A\",\"seats\":$2,\"price\":100}]}" "$base/v1/events" | grep -q 201
}
field() { grep -o "\"$1\":\"\?[0-9.]*" | tail -1 | cut -d: -f2 | tr -d '"'; }  # numbers, quoted or not

# 1. Lateness.
hold_seconds=10
start "$work/a.log" --db "$work/a.db" --hold-seconds $hold_seconds
event evt_expiry $((holds * 2))
created=$(date +%s.%N)
EVENTS=evt_expiry LIMIT=$holds wrk -t1 -c64 -d120s -s scripts/wrk/hold-limited.lua "$base" | grep 'holds answered'
# Every hold has expired once the live count is back to 0.
until [ "$(curl -s "$base/actuator/health" | field liveHolds)" = 0 ]; do sleep 0.2; done
kill -TERM $pid; wait $pid || true; pid=
line=$(grep '"msg":"stopped"' "$work/a.log")
echo "expired holds:        $(echo "$line" | field expiredHolds)"
echo "expiry lateness p50:  $(echo "$line" | field expiryLatenessP50Ms) ms (bucket upper bound)"
echo "expiry lateness p99:  $(echo "$line" | field expiryLatenessP99Ms) ms (bucket upper bound)"
echo "expiry lateness max:  $(echo "$line" | field expiryLatenessMaxMs) ms"

# 2. Recovery of live holds after a crash.
[ "$recovery" -gt 0 ] || exit 0
start "$work/b.log" --db "$work/b.db" --hold-seconds 3600
event evt_recovery_a $((recovery))
event evt_recovery_b $((recovery))
EVENTS=evt_recovery_a,evt_recovery_b LIMIT=$recovery wrk -t1 -c64 -d600s -s scripts/wrk/hold-limited.lua "$base" | grep 'holds answered'
kill -9 $pid; wait $pid 2>/dev/null || true; pid=
start "$work/c.log" --db "$work/b.db" --hold-seconds 3600
line=$(grep '"msg":"ready"' "$work/c.log")
echo "live holds recovered: $(echo "$line" | field liveHolds)"
echo "start-up to ready:    $(echo "$line" | field startupMs) ms (after SIGKILL)"
echo "database size:        $(du -h "$work/b.db" | cut -f1)"
