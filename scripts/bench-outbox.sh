#!/usr/bin/env bash
# Outbox delivery to a webhook, on a release build, against nginx as the receiver (`return 204`,
# keep-alive; the fastest local receiver there is, so the numbers measure the relay):
#   throughput  EVENTS holds are made with no webhook configured (the events wait in the outbox),
#               then the server restarts with --outbox-webhook-url: the time from ready until
#               outbox_backlog is 0 gives delivered events per second (default 4 connections, and
#               again with 8)
#   lag         while wrk holds at a steady RATE a second for SECONDS (hold-paced.lua: 100
#               connections, each pausing between requests), commit → 2xx lag from the
#               outbox_delivery_lag_seconds histogram (p50, p99 by linear interpolation inside
#               its buckets, as Prometheus' histogram_quantile does), and the backlog after the run
# The server runs with --access-log-sample-rate 0, --hold-seconds 3600 and
# --idempotency-ttl-seconds 10 (as scripts/bench.sh, for the same reason), otherwise defaults
# (synchronous=FULL).
#
# usage: scripts/bench-outbox.sh [seconds] [events] [rate]   (default 10 s, 50000 events, 5000/s)
# Needs wrk, curl, nginx (nginx-light) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-support.sh

duration=${1:-10}
events=${2:-50000}
rate=${3:-5000}
for tool in wrk curl nginx python3; do
    command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 1; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/reservation-bench-outbox.XXXXXX")
pid=
nginx_pid=
stop_server() {
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=
}
cleanup() {
    stop_server
    [ -z "$nginx_pid" ] || { kill -TERM "$nginx_pid" 2>/dev/null || true; wait "$nginx_pid" 2>/dev/null || true; }
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

metric() {  # metric NAME → its value (0 when absent)
    curl -s "$base/metrics" | awk -v name="$1" '$1 == name { print $2; found = 1 } END { if (!found) print 0 }'
}

echo "== outbox delivery: $(nproc) cores; $events events for throughput; ${rate} holds/s for ${duration} s for lag"
echo "building (release)…"
swift build -c release --product reservation-server >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
binary=.build/release/reservation-server

nginx_port=$(free_port)
start_nginx "$work/nginx" 1 "127.0.0.1:$nginx_port" 204
webhook="http://127.0.0.1:$nginx_port/events"
common=(--host 127.0.0.1 --port 0 --grpc-port 0 --db "$work/bench.db" --access-log-sample-rate 0 --hold-seconds 3600
        --idempotency-ttl-seconds 10)

# One event large enough for every hold of both phases (1-2 seats each).
start_server "$work/fill.log" "$binary" "${common[@]}"
sections=$(python3 -c 'import json; print(json.dumps([{"name": "S%d" % s, "seats": 100000, "price": 10000} for s in range(1, 11)]))')
curl -sf -o /dev/null -H 'Content-Type: application/json' \
    -d "{\"eventId\":\"evt_bench_outbox\",\"name\":\"Outbox bench\",\"currency\":\"KRW\",\"sections\":$sections}" "$base/v1/events"
export EVENTS=evt_bench_outbox

throughput() {  # throughput CONNECTIONS → "events seconds events/s" in $work/throughput-CONNECTIONS
    local connections=$1 start backlog
    LIMIT=$events RUN=fill-$connections wrk -t1 -c64 -d600s --timeout 30s -s scripts/wrk/hold-limited.lua "$base" >/dev/null
    backlog=$(metric outbox_backlog)
    stop_server
    start_server "$work/deliver-$connections.log" "$binary" "${common[@]}" --outbox-webhook-url "$webhook" \
        --outbox-connections "$connections"
    start=$(date +%s.%N)
    while [ "$(metric outbox_backlog)" != 0 ]; do sleep 0.02; done
    python3 -c "import sys; n, t0, t1 = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]); print(int(n), round(t1 - t0, 2), int(n / (t1 - t0)))" \
        "$backlog" "$start" "$(date +%s.%N)" >"$work/throughput-$connections"
    stop_server
    start_server "$work/fill-again.log" "$binary" "${common[@]}"
}

throughput 4
read -r n4 s4 r4 <"$work/throughput-4"
echo "throughput, 4 connections: $n4 events in $s4 s = $r4 events/s"
throughput 8
read -r n8 s8 r8 <"$work/throughput-8"
echo "throughput, 8 connections: $n8 events in $s8 s = $r8 events/s"

# Lag under a steady hold rate, the webhook on.
stop_server
start_server "$work/lag.log" "$binary" "${common[@]}" --outbox-webhook-url "$webhook"
while [ "$(metric outbox_backlog)" != 0 ]; do sleep 0.05; done
curl -s "$base/metrics" | grep '^outbox_delivery_lag_seconds_bucket' >"$work/before.txt"
connections=100
RATE=$rate CONNECTIONS=$connections RUN=lag wrk -t1 -c$connections -d"${duration}s" --timeout 30s -s scripts/wrk/hold-paced.lua "$base" >"$work/lag.out"
for _ in $(seq 1 200); do [ "$(metric outbox_backlog)" = 0 ] && break; sleep 0.05; done
backlog_after=$(metric outbox_backlog)
curl -s "$base/metrics" | grep '^outbox_delivery_lag_seconds_bucket' >"$work/after.txt"
line=$(grep '^RESULT' "$work/lag.out") || { cat "$work/lag.out" >&2; exit 1; }
holds=$(echo "$line" | grep -o 'rps=[0-9.]*' | cut -d= -f2)
non2xx=$(echo "$line" | grep -o 'non2xx=[0-9]*' | cut -d= -f2)
read -r p50 p99 count < <(python3 - "$work/before.txt" "$work/after.txt" <<'PY'
import re, sys
def buckets(path):
    out = {}
    for line in open(path):
        m = re.match(r'outbox_delivery_lag_seconds_bucket\{le="([^"]+)"\} (\S+)', line)
        if m:
            out[float("inf") if m.group(1) == "+Inf" else float(m.group(1))] = float(m.group(2))
    return out
before, after = buckets(sys.argv[1]), buckets(sys.argv[2])
bounds = sorted(after)
cumulative = [after[b] - before.get(b, 0) for b in bounds]
total = cumulative[-1]
def quantile(q):
    rank = q * total
    previous_bound, previous_count = 0.0, 0.0
    for bound, count in zip(bounds, cumulative):
        if count >= rank:
            if bound == float("inf"):
                return previous_bound
            return previous_bound + (bound - previous_bound) * (rank - previous_count) / max(count - previous_count, 1e-9)
        previous_bound, previous_count = bound, count
    return bounds[-2]
print(f"{quantile(0.5) * 1000:.1f} {quantile(0.99) * 1000:.1f} {int(total)}")
PY
)
echo "lag while holding: $holds holds/s for ${duration} s (non-2xx $non2xx), $count events delivered; commit → 2xx p50 ${p50} ms, p99 ${p99} ms; backlog after the run: $backlog_after"
echo
echo "| measure | result | target |"
echo "|---|---|---|"
echo "| delivery throughput, 4 connections | $r4 events/s | ≥ 5,000/s |"
echo "| delivery throughput, 8 connections | $r8 events/s | |"
echo "| lag p50 / p99 at $holds holds/s | $p50 ms / $p99 ms | p99 ≤ 100 ms |"
echo "| backlog after the run | $backlog_after | 0 |"
