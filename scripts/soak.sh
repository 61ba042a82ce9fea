#!/usr/bin/env bash
# Soak: a steady mixed load (scripts/wrk/mixed.lua: holds with 5 s deadlines so expiry runs all the
# time, confirms, cancels, extends, reads, and one hold in twenty retried, which must replay) for
# the given minutes against a release build at its defaults (synchronous=FULL, idempotency TTL
# 300 s, keys-max 16,000,000), except --hold-seconds 5 and --access-log-sample-rate 0.01 (a full
# access log would fill the disk, not the server). Prints per minute: requests/s, p99 as the server
# measured it (http_server_requests_seconds, every route, interpolated in its buckets) and as wrk
# measured it (wrk shares the two cores and its Lua reads every body, so its p99 includes its own
# backlog), non-2xx besides business 409s, replays and mismatches, RSS, open fds, WAL size,
# idempotency entries, live holds, outbox backlog.
#
# Pass (exit 0): no replay mismatch, nothing but 2xx and business 409s, and after warm-up RSS,
# open fds and WAL size of the last minute within 10% of the first minute after warm-up, and the
# server's p99 of the last minute at most 1.5× that minute's plus 5 ms. Warm-up is 6 minutes by default: until the
# idempotency TTL (300 s) has passed, every new key adds to what the server remembers (and to its
# RSS); from then on keys are forgotten as fast as they come, and nothing may grow any more.
#
# usage: scripts/soak.sh [minutes] [connections] [warm-up minutes]   (default 10, 32, 6)
# Needs wrk, curl, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-support.sh

minutes=${1:-10}
connections=${2:-32}
warmup=${3:-6}
[ "$minutes" -gt "$warmup" ] || { echo "needs more minutes than the $warmup of warm-up" >&2; exit 2; }
for tool in wrk curl python3; do
    command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 1; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/reservation-soak.XXXXXX")
pid=
cleanup() {
    [ -z "$pid" ] || { kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== soak: $minutes minutes, $connections connections, $(nproc) cores"
swift build -c release --product reservation-server >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
start_server "$work/server.log" .build/release/reservation-server --host 127.0.0.1 --port 0 --grpc-port 0 \
    --db "$work/soak.db" --hold-seconds 5 --access-log-sample-rate 0.01
sections=$(python3 -c 'import json; print(json.dumps([{"name": "S%d" % s, "seats": 100000, "price": 10000} for s in range(1, 11)]))')
EVENTS=
for i in 1 2 3 4; do
    curl -sf -o /dev/null -H 'Content-Type: application/json' \
        -d "{\"eventId\":\"evt_soak_$i\",\"name\":\"Soak $i\",\"currency\":\"KRW\",\"sections\":$sections}" "$base/v1/events"
    EVENTS="${EVENTS:+$EVENTS,}evt_soak_$i"
done
export EVENTS

metric() { curl -s "$base/metrics" | awk -v name="$1" '$1 == name { print $2; found = 1 } END { if (!found) print 0 }'; }
# The server's request-duration buckets summed over every series: "le count" lines.
buckets() { curl -s "$base/metrics" | awk -F'le="' '/^http_server_requests_seconds_bucket/ { split($2, a, "\"} "); n[a[1]] += a[2] } END { for (le in n) print le, n[le] }'; }
# server_p99 BEFORE AFTER — the 99th percentile of the requests between two bucket snapshots, in ms.
server_p99() {
    python3 - "$1" "$2" <<'PY'
import sys
def read(path):
    out = {}
    for line in open(path):
        le, n = line.split()
        out[float("inf") if le == "+Inf" else float(le)] = float(n)
    return out
before, after = read(sys.argv[1]), read(sys.argv[2])
bounds = sorted(after)
counts = [after[b] - before.get(b, 0) for b in bounds]
rank, lower, below = 0.99 * counts[-1], 0.0, 0.0
for bound, count in zip(bounds, counts):
    if count >= rank:
        print("%.2f" % (1000 * (lower if bound == float("inf") else lower + (bound - lower) * (rank - below) / max(count - below, 1e-9))))
        break
    lower, below = bound, count
PY
}
buckets >"$work/buckets-0"
printf '%-6s %9s %9s %8s %7s %9s %9s %8s %6s %9s %11s %10s %8s\n' minute "req/s" "p99 srv" "p99 wrk" "bad" replays mismatch "RSS MB" fds "WAL MB" "idem keys" "live holds" backlog
: >"$work/minutes.txt"
for minute in $(seq 1 "$minutes"); do
    RUN="soak$minute" wrk -t1 -c"$connections" -d60s --timeout 30s -s scripts/wrk/mixed.lua "$base" >"$work/wrk-$minute.out" 2>&1
    line=$(grep '^RESULT' "$work/wrk-$minute.out") || { cat "$work/wrk-$minute.out" >&2; exit 1; }
    mixed=$(grep '^MIXED' "$work/wrk-$minute.out")
    rps=$(echo "$line" | grep -o 'rps=[0-9.]*' | cut -d= -f2)
    p99=$(echo "$line" | grep -o 'p99_ms=[0-9.]*' | cut -d= -f2)
    buckets >"$work/buckets-$minute"
    p99server=$(server_p99 "$work/buckets-$((minute - 1))" "$work/buckets-$minute")
    bad=$(echo "$line" | grep -o 'non2xx=[0-9]*' | cut -d= -f2)
    replays=$(echo "$mixed" | grep -o ' replays=[0-9]*' | cut -d= -f2)
    mismatches=$(echo "$mixed" | grep -o 'replay_mismatches=[0-9]*' | cut -d= -f2)
    rss=$(awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")
    fds=$(ls "/proc/$pid/fd" | wc -l)
    wal=$(python3 -c 'import os, sys; p = sys.argv[1]; print("%.1f" % (os.path.getsize(p) / 1048576 if os.path.exists(p) else 0))' "$work/soak.db-wal")
    keys=$(metric idempotency_entries)
    holds=$(metric reservations_live_holds)
    backlog=$(metric outbox_backlog)
    printf '%-6s %9s %9s %8s %7s %9s %9s %8s %6s %9s %11s %10s %8s\n' "$minute" "$rps" "$p99server" "$p99" "$bad" "$replays" "$mismatches" "$rss" "$fds" "$wal" "$keys" "$holds" "$backlog"
    echo "$minute $rps $p99server $bad $mismatches $rss $fds $wal" >>"$work/minutes.txt"
done
python3 - "$work/minutes.txt" "$warmup" <<'PY'
import sys
rows = [line.split() for line in open(sys.argv[1])]
warmup = int(sys.argv[2])
second, last = rows[warmup], rows[-1]
problems = []
if any(int(r[4]) for r in rows): problems.append("a retried hold did not replay its first answer")
if any(int(r[3]) for r in rows): problems.append("answers other than 2xx and business 409s")
for index, name in ((5, "RSS"), (6, "open fds"), (7, "WAL size")):
    a, b = float(second[index]), float(last[index])
    if b > a * 1.10 + (0.5 if name == "WAL size" else 0):
        problems.append(f"{name} grew: {a} in minute {warmup + 1}, {b} in minute {len(rows)}")
if float(last[2]) > float(second[2]) * 1.5 + 5:
    problems.append(f"the server's p99 rose: {second[2]} ms in minute {warmup + 1}, {last[2]} ms in minute {len(rows)}")
print("soak: " + ("PASS (RSS, fds and WAL flat after warm-up, p99 stable, every retry replayed)" if not problems else "FAIL: " + "; ".join(problems)))
sys.exit(1 if problems else 0)
PY
