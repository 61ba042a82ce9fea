#!/usr/bin/env bash
# gRPC against REST, and the HTTP/2 layer against nginx, in one run on a release build:
#   read    GET /v1/reservations/{id} (wrk, read.lua) beside GetReservation over gRPC: of one id
#           with h2load (-m 1, one call in flight per connection as with wrk; then the same calls
#           in flight multiplexed on an eighth of the connections), and of 5,000 reservations of
#           one user read in turn with GRPCLoad
#   hold    POST /v1/reservations (wrk, hold.lua) beside CreateReservation over gRPC (GRPCLoad),
#           best available, 1-2 seats, a unique key per call, 1,000 users
#   health  grpc.health.v1.Health/Check with h2load on the gRPC port, beside nginx serving h2c
#           (`listen … http2`, `return 200`) with the same h2load settings
# Each REST/gRPC pair runs A-B-B-A (so the database growing between runs weighs on both alike),
# each write run starts after the previous run's idempotency keys have been purged, and the
# ratios compare sums. GRPCLoad (Sources/GRPCLoad) exists because h2load sends one fixed body:
# every CreateReservation would carry the same key and replay. The server runs with
# --access-log-sample-rate 0, --hold-seconds 3600, --idempotency-ttl-seconds 10, otherwise defaults.
#
# usage: scripts/bench-grpc.sh [seconds] [connections]     (default 10 s per run, 64 connections)
# Needs wrk, curl, h2load (nghttp2-client) and nginx (nginx-light).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-support.sh

duration=${1:-10}
connections=${2:-64}
for tool in wrk curl h2load nginx python3; do
    command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 1; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/reservation-bench-grpc.XXXXXX")
pid=
nginx_pid=
cleanup() {
    [ -z "$pid" ] || { kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
    [ -z "$nginx_pid" ] || { kill -TERM "$nginx_pid" 2>/dev/null || true; wait "$nginx_pid" 2>/dev/null || true; }
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== gRPC and REST, HTTP/2 and nginx: $(nproc) cores; ${duration} s per run, $connections connections"
echo "building (release: reservation-server, GRPCLoad)…"
swift build -c release --product reservation-server >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
swift build -c release --product GRPCLoad >>"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
binary=.build/release/reservation-server
load=.build/release/GRPCLoad
idempotency_ttl=10

start_server "$work/server.log" "$binary" --host 127.0.0.1 --port 0 --grpc-port 0 --db "$work/bench.db" \
    --access-log-sample-rate 0 --hold-seconds 3600 --idempotency-ttl-seconds $idempotency_ttl
read_set "$base" "$work/ids.txt"
echo "inventory: 4 events × 1,000,000 seats; read set: $(wc -l <"$work/ids.txt") reservations of bench-reader"
echo

declare -A rps
rows=()
record() {  # label line
    local label=$1 line=$2
    get() { echo "$line" | grep -o "$1=[0-9.]*" | cut -d= -f2; }
    printf '%-22s %9s req/s  p50 %6s  p90 %6s  p99 %7s ms  not OK %s\n' "$label" "$(get rps)" "$(get p50_ms)" "$(get p90_ms)" "$(get p99_ms)" "$(get non2xx)"
    rps[$label]=$(get rps)
    rows+=("| $label | $connections | $(get rps) | $(get p50_ms) ms | $(get p99_ms) ms | $(get non2xx) |")
}
rest() {  # label scenario [VAR=value…]
    local label=$1 scenario=$2; shift 2
    [ "$scenario" = read ] || sleep $(( idempotency_ttl + 2 ))
    env "$@" RUN="${label// /-}-$$" wrk -t1 -c"$connections" -d"${duration}s" --timeout 30s -s "scripts/wrk/$scenario.lua" "$base" >"$work/run.out"
    record "$label" "$(grep '^RESULT' "$work/run.out")"
    grep '^NON2XX' "$work/run.out" | sed 's/^/    /' || true
}
grpc() {  # label call [args…]
    local label=$1 call=$2; shift 2
    [ "$call" = get ] || sleep $(( idempotency_ttl + 2 ))
    record "$label" "$("$load" --port "$grpc_port" --connections "$connections" --seconds "$duration" --call "$call" --tag "${label// /-}-$$" "$@" | grep '^RESULT')"
}

# Reads of one reservation: h2load sends one fixed body, so its GetReservation reads one id, and
# wrk reads that same id. First h2load -m 1 (one call in flight per connection, as wrk has), A-B-B-A.
head -1 "$work/ids.txt" >"$work/one-id.txt"
python3 -c 'import sys; rid = open(sys.argv[1]).readline().strip().encode(); m = b"\x0a" + bytes([len(rid)]) + rid; sys.stdout.buffer.write(b"\0" + len(m).to_bytes(4, "big") + m)' "$work/ids.txt" >"$work/get.bin"
# GRPCLoad checks grpc-status (h2load sees only HTTP status 200): every call of the id must be OK.
"$load" --port "$grpc_port" --connections 1 --seconds 1 --call get --ids "$work/one-id.txt" --user bench-reader | grep '^RESULT' | grep -q 'non2xx=0 ' \
    || { echo "GetReservation of the read id is not OK" >&2; exit 1; }
h2load_get() {  # label connections streams-per-connection
    local label=$1 clients=$2 streams=$3
    h2load -D "$duration" -c "$clients" -m "$streams" -t 1 -d "$work/get.bin" -H 'content-type: application/grpc' -H 'te: trailers' \
        -H 'x-user-id: bench-reader' "http://127.0.0.1:$grpc_port/reservation.v1.ReservationService/GetReservation" >"$work/h2load.out"
    local value not_ok
    value=$(awk '/^finished in/ {gsub(",", "", $4); print int($4)}' "$work/h2load.out")
    not_ok=$(awk '/^requests:/ {print $2 - $8}' "$work/h2load.out")
    printf '%-40s %9s req/s  (h2load -c %s -m %s; not OK %s)\n' "$label" "$value" "$clients" "$streams" "$not_ok"
    rps[$label]=$value
    rows+=("| $label | $clients × $streams streams | $value | | | $not_ok |")
}
rest "REST read (one id)" read IDS="$work/one-id.txt" USER_ID=bench-reader
h2load_get "gRPC GetReservation (h2load)" "$connections" 1
h2load_get "gRPC GetReservation (h2load) (2)" "$connections" 1
rest "REST read (one id) (2)" read IDS="$work/one-id.txt" USER_ID=bench-reader
# The same number of calls in flight, multiplexed the way gRPC clients use a channel.
multiplexed=$(( connections >= 8 ? connections / 8 : 1 ))
h2load_get "gRPC GetReservation (h2load, multiplexed)" "$multiplexed" $(( connections / multiplexed ))
# 5,000 reservations read in turn, by wrk and by GRPCLoad (A-B-B-A).
rest "REST read" read IDS="$work/ids.txt" USER_ID=bench-reader
grpc "gRPC GetReservation" get --ids "$work/ids.txt" --user bench-reader
grpc "gRPC GetReservation (2)" get --ids "$work/ids.txt" --user bench-reader
rest "REST read (2)" read IDS="$work/ids.txt" USER_ID=bench-reader
rest "REST hold" hold
grpc "gRPC CreateReservation" create --events "$EVENTS"
grpc "gRPC CreateReservation (2)" create --events "$EVENTS"
rest "REST hold (2)" hold

# Health over HTTP/2: h2load on the gRPC port, then the same against nginx h2c.
python3 -c 'import sys; sys.stdout.buffer.write(b"\0\0\0\0\0")' >"$work/health.bin"
h2() {  # url → req/s
    h2load -D "$duration" -c "$connections" -m 10 -t 1 -d "$work/health.bin" -H 'content-type: application/grpc' -H 'te: trailers' "$1" \
        | awk '/^finished in/ {gsub(",", "", $4); print int($4)} /^requests:/ {print "#", $0 > "/dev/stderr"}'
}
health=$(h2 "http://127.0.0.1:$grpc_port/grpc.health.v1.Health/Check" 2>"$work/h2-health.txt")
nginx_port=$(free_port)
start_nginx "$work/nginx" 2 "127.0.0.1:$nginx_port http2" '200 "ok"'
baseline=$(h2 "http://127.0.0.1:$nginx_port/grpc.health.v1.Health/Check" 2>"$work/h2-nginx.txt")
echo "health over HTTP/2 (h2load -c $connections -m 10 -t 1, ${duration} s): reservation-server $health req/s ($(sed 's/^# //' "$work/h2-health.txt")); nginx h2c return 200: $baseline req/s ($(sed 's/^# //' "$work/h2-nginx.txt"))"

# Server CPU per call, without the load generator competing for the same cores: a second server
# with one loop thread pinned to CPU 1, the client pinned to CPU 0, on the first server's database
# (the same id), gRPC and REST reads alternating three times, 3 s each; user and system CPU of the
# server process per call, medians.
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
    kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=
    start_server "$work/pinned.log" taskset -c 1 "$binary" --threads 1 --host 127.0.0.1 --port 0 --grpc-port 0 \
        --db "$work/bench.db" --access-log-sample-rate 0 --hold-seconds 3600
    cpu_per_call() {  # label command… → "label calls user_ns sys_ns" (the command prints the call count)
        local label=$1; shift
        local before after calls
        before=$(awk '{print $14, $15}' "/proc/$pid/stat")
        calls=$("$@")
        after=$(awk '{print $14, $15}' "/proc/$pid/stat")
        # utime and stime are in clock ticks
        echo "$label $calls $before $after" | awk -v hz="$(getconf CLK_TCK)" \
            '{printf "%s %d %.0f %.0f\n", $1, $2, ($5 - $3) * 1e9 / hz / $2, ($6 - $4) * 1e9 / hz / $2}'
    }
    for _ in 1 2 3; do
        cpu_per_call grpc sh -c "taskset -c 0 h2load -D 3 -c 32 -m 1 -t 1 -d '$work/get.bin' -H 'content-type: application/grpc' \
            -H 'te: trailers' -H 'x-user-id: bench-reader' http://127.0.0.1:$grpc_port/reservation.v1.ReservationService/GetReservation \
            | awk '/^requests:/ {print \$8}'"
        cpu_per_call rest sh -c "IDS='$work/one-id.txt' USER_ID=bench-reader RUN=pinned taskset -c 0 wrk -t1 -c32 -d3s \
            -s scripts/wrk/read.lua http://127.0.0.1:$port | awk '/requests in/ {print \$1}'"
    done >"$work/cpu.txt"
    python3 - "$work/cpu.txt" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
def median(kind, column):
    return statistics.median(int(row[column]) for row in rows if row[0] == kind)
for kind, label in (("grpc", "gRPC GetReservation (h2load)"), ("rest", "REST read (wrk)     ")):
    print("server CPU per call, one pinned loop, %s: %5.1f µs user + %5.1f µs system (%d calls a run)"
          % (label, median(kind, 2) / 1000, median(kind, 3) / 1000, median(kind, 1)))
PY
fi

echo
ratio() { awk "BEGIN {printf \"%.3f\", ($1) / ($2)}"; }
echo "gRPC GetReservation (h2load -m 1) / REST read, one id:  $(ratio "${rps[gRPC GetReservation (h2load)]} + ${rps[gRPC GetReservation (h2load) (2)]}" "${rps[REST read (one id)]} + ${rps[REST read (one id) (2)]}")"
echo "gRPC GetReservation multiplexed / REST read, one id:    $(ratio "2 * ${rps[gRPC GetReservation (h2load, multiplexed)]}" "${rps[REST read (one id)]} + ${rps[REST read (one id) (2)]}")"
echo "gRPC GetReservation (GRPCLoad) / REST read, 5,000 ids:  $(ratio "${rps[gRPC GetReservation]} + ${rps[gRPC GetReservation (2)]}" "${rps[REST read]} + ${rps[REST read (2)]}")"
echo "gRPC CreateReservation (GRPCLoad) / REST hold:          $(ratio "${rps[gRPC CreateReservation]} + ${rps[gRPC CreateReservation (2)]}" "${rps[REST hold]} + ${rps[REST hold (2)]}")"
echo "gRPC health / nginx h2c (h2load -m 10):                 $(ratio "$health" "$baseline")"
echo
echo "| scenario | connections | req/s | p50 | p99 | not OK |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo "| gRPC Health/Check (h2load, -m 10) | $connections | $health | | | |"
echo "| nginx h2c return 200 (h2load, -m 10) | $connections | $baseline | | | |"
