#!/usr/bin/env bash
# This build against another build of reservation-server, side by side in one run: REST hold and
# REST read, each scenario A-B-B-A (A = the other binary, B = this checkout's release build), so
# the machine's drift weighs on both alike; prints each run and the B/A ratios of the sums.
#
# Both servers start at once, each on its own fresh database with the same inventory and the same
# 5,000 holds to read, and sit idle while the other is measured. They run with
# --access-log-sample-rate 0 --hold-seconds 3600 --idempotency-ttl-seconds 10 (see bench.sh), and
# each write run starts after the previous run's keys have been purged.
#
# usage: scripts/bench-ab.sh OTHER_BINARY [seconds] [connections]   (default 10 s per run, 64)
#   e.g. git worktree add /tmp/base <commit> && (cd /tmp/base && swift build -c release)
#        scripts/bench-ab.sh /tmp/base/.build/release/reservation-server
# Needs wrk, curl and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-support.sh

[ $# -ge 1 ] && [ -x "$1" ] || { echo "usage: $0 OTHER_BINARY [seconds] [connections]" >&2; exit 2; }
other=$(realpath "$1")
duration=${2:-10}
connections=${3:-64}
for tool in wrk curl python3; do
    command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 1; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/reservation-bench-ab.XXXXXX")
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== this build (B) against $other (A): $(nproc) cores; ${duration} s per run, $connections connections"
echo "building (swift build -c release --product reservation-server)…"
swift build -c release --product reservation-server >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
this=$(realpath .build/release/reservation-server)
idempotency_ttl=10

declare -A bases
start() {  # name binary
    local name=$1 binary=$2 extra=()
    # Builds from before gRPC know no --grpc-port; newer ones must not take 8011 twice.
    "$binary" --help 2>&1 | grep -q -- '--grpc-port' && extra=(--grpc-port 0)
    mkdir -p "$work/$name"
    start_server "$work/$name/server.log" "$binary" --host 127.0.0.1 --port 0 "${extra[@]}" --db "$work/$name/bench.db" \
        --access-log-sample-rate 0 --hold-seconds 3600 --idempotency-ttl-seconds $idempotency_ttl
    pids+=("$pid")
    bases[$name]=$base
    read_set "$base" "$work/$name/ids.txt"
}
start A "$other"
start B "$this"

declare -A rps
run() {  # server scenario label [VAR=value…]
    local name=$1 scenario=$2 label=$3; shift 3
    [ "$scenario" = read ] || sleep $(( idempotency_ttl + 2 ))
    env "$@" RUN="$label-$$" wrk -t1 -c"$connections" -d"${duration}s" --timeout 30s -s "scripts/wrk/$scenario.lua" "${bases[$name]}" >"$work/run.out"
    local line value
    line=$(grep '^RESULT' "$work/run.out")
    value=$(echo "$line" | grep -o 'rps=[0-9.]*' | cut -d= -f2)
    printf '%-10s %s  %9s req/s  p50 %6s  p99 %7s ms  non-2xx %s\n' "$scenario" "$name" "$value" \
        "$(echo "$line" | grep -o 'p50_ms=[0-9.]*' | cut -d= -f2)" "$(echo "$line" | grep -o 'p99_ms=[0-9.]*' | cut -d= -f2)" \
        "$(echo "$line" | grep -o 'non2xx=[0-9]*' | cut -d= -f2)"
    rps[$scenario-$name]=$(awk -v a="${rps[$scenario-$name]:-0}" -v b="$value" 'BEGIN {print a + b}')
}
for scenario in read hold; do
    for name in A B B A; do
        if [ "$scenario" = read ]; then
            run $name read "read-$name" IDS="$work/$name/ids.txt" USER_ID=bench-reader
        else
            run $name hold "hold-$name"
        fi
    done
done
echo
for scenario in read hold; do
    awk -v s="$scenario" -v a="${rps[$scenario-A]}" -v b="${rps[$scenario-B]}" \
        'BEGIN {printf "%-5s B/A %.3f  (A %.0f req/s, B %.0f req/s, means of two runs)\n", s, b / a, a / 2, b / 2}'
done
