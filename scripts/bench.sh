#!/usr/bin/env bash
# The throughput benchmark: a release build, a fresh database in a temp dir, everything created
# through the HTTP API (events, then the holds the read scenario needs) before timing starts, then
# wrk (one thread, shares the machine with the server) runs each scenario at 64 and 256
# connections for the given seconds:
#   health     GET /health, the HTTP layer alone (the baseline for the ratios)
#   hold       POST /v1/reservations, best available, 1-2 seats, a unique Idempotency-Key each
#   connect-hold  the same holds over Connect: POST /reservation.v1.ReservationService/
#              CreateReservation with a binary protobuf body and the key in `idempotency-key`;
#              hold and connect-hold run twice each, A-B-B-A, for the Connect/REST ratio
#   lifecycle  a hold, then POST …/{id}/confirm or …/{id}/cancel of it (each request counts once)
#   read       GET /v1/reservations/{id} of 5,000 holds created beforehand by the same user
# then the hold scenario with AUTH_MODE=jwt (RS256, 2048-bit, a token per caller; ratio against the
# AUTH_MODE=none holds) and the token verification microbenchmark (AuthBench), and finally the
# hold scenario against a second server process with --threads 1, on the same database. The server runs with --access-log-sample-rate 0, --hold-seconds 3600 (no expiry while
# timing; the inventory is sized for it) and --idempotency-ttl-seconds 10 (below), everything else
# default: synchronous=FULL, so every 201 is on disk before it is sent.
#
# Why the short idempotency TTL: the server remembers at most --idempotency-keys-max keys
# (1,000,000) and answers a hold with a new key 503 beyond that, so keys-max ÷ TTL is the sustained
# rate of new keys: 3,333/s with the default TTL of 300 s, 100,000/s with 10 s. The runs here make
# 20,000-30,000 a second; keeping them for 300 s instead would take ~7M keys (~2 GB).
#
# Prints each run (req/s, p50/p90/p99, non-2xx, the writer's mean batch and commit time), the
# hold/health and read/health ratios, the disk's raw fsync latency and the group-commit ceiling it
# implies, the peak RSS, the writer's batch statistics, the seats left, the reservations stored,
# and a Markdown table for the README.
#
# usage: scripts/bench.sh [--fill N] [seconds]     (default 10 seconds per run)
#   --fill N   first create N holds through the API (wrk, hold-limited.lua, 256 connections), so the
#              timed runs see at least N stored reservations; e.g. --fill 1000000.
# Needs wrk, curl and python3 (with pyjwt and cryptography, scripts/requirements.txt). Default total
# runtime about 3 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-support.sh

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
fill=0
duration=10
while [ $# -gt 0 ]; do
    case $1 in
        --fill) [ $# -ge 2 ] || { usage >&2; exit 2; }; fill=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) duration=$1; shift ;;
    esac
done
[[ $fill =~ ^[0-9]+$ && $duration =~ ^[1-9][0-9]*$ ]] || { usage >&2; exit 2; }
for tool in wrk curl python3; do
    command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/reservation-bench.XXXXXX")
pid=
stop_server() {  # SIGTERM, then wait for the "stopped" line; SIGKILL if it takes too long
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=
}
cleanup() { stop_server; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== reservation-server throughput benchmark"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo); load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
busy_now() {  # processes using ≥ 10% of a core over half a second
    command -v top >/dev/null || return 0
    top -b -n 2 -d 0.5 -w 200 | awk '/^top -/ {n++} n == 2 && $1 ~ /^[0-9]+$/ && $9 + 0 >= 10 {printf "%s%s %s%%", sep, $12, $9; sep = ", "}'
}
busy=$(busy_now)
echo "other processes busy before the run: ${busy:-none}"
echo "per run: wrk -t1, ${duration} s; wrk shares the cores with the server"

echo "building (swift build -c release --product reservation-server, and AuthBench)…"
if ! swift build -c release --product reservation-server >"$work/build.log" 2>&1 \
    || ! swift build -c release --product AuthBench >>"$work/build.log" 2>&1; then
    cat "$work/build.log" >&2; exit 1
fi
binary=.build/release/reservation-server

# The disk under the temp dir: 200 × (append 4 KiB, fsync), as the WAL commit of a batch does.
fsync_ms=$(python3 - "$work/fsync.probe" <<'PY'
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
block = b"\0" * 4096
os.write(fd, block); os.fsync(fd)
times = []
for _ in range(200):
    start = time.perf_counter()
    os.write(fd, block)
    os.fsync(fd)
    times.append(time.perf_counter() - start)
os.close(fd)
os.unlink(sys.argv[1])
print("%.3f" % (sum(times) / len(times) * 1000))
PY
)

idempotency_ttl=10
bench_server() {  # log-file args...: the benchmark's server on the shared database (see bench-support.sh)
    local log=$1; shift
    start_server "$log" "$binary" --host 127.0.0.1 --port 0 --grpc-port 0 --db "$work/bench.db" --access-log-sample-rate 0 \
        --hold-seconds 3600 --idempotency-ttl-seconds "$idempotency_ttl" "$@"
}
keys_max=0
metrics() {  # scrape; keeps the peak of the writer's remembered Idempotency-Keys
    curl -s "$base/actuator/prometheus" >"$work/metrics.txt"
    keys_max=$(awk -v max="$keys_max" '$1 == "idempotency_entries" && $2 > max {max = $2} END {printf "%d", max}' "$work/metrics.txt")
}
metric() {  # exact series name (with labels) → value, 0 when absent; reads the last metrics() scrape
    awk -v name="$1" '$1 == name {v = $2} END {print v + 0}' "$work/metrics.txt"
}
commas() { echo "$1" | sed ':a; s/\B[0-9]\{3\}\>/,&/; ta'; }
first() { grep -o "\"$1\":[0-9]*" | head -1 | cut -d: -f2; }  # the first (top-level) JSON number
outcome() { echo "reservation_outcomes_total{operation=\"$1\",outcome=\"ok\"}"; }
field() { grep -o "\"$1\":\"\?[0-9.]*" | tail -1 | cut -d: -f2 | tr -d '"'; }  # JSON number, quoted or not
peak_rss() { awk '/VmHWM/ {printf "%.0f MiB", $2 / 1024}' "/proc/$pid/status"; }

bench_server "$work/server.log"
echo "server: --access-log-sample-rate 0 --hold-seconds 3600 --idempotency-ttl-seconds $idempotency_ttl, otherwise defaults ($(grep -o '"threads":[0-9]*' "$work/server.log" | cut -d: -f2) loop threads, synchronous=$(grep -o '"synchronous":"[A-Z]*"' "$work/server.log" | cut -d'"' -f4))"

# Inventory: each hold takes 1.5 seats on average and none come back (the hold time outlasts the
# run; half the lifecycle holds are cancelled). 60,000 seats per second of each of the ten hold
# runs covers about 40,000 holds/s, and the lifecycle runs take much less.
needed=$(( fill * 3 / 2 + 7500 + duration * 10 * 60000 ))
event_count=$(( (needed + 999999) / 1000000 ))
[ "$event_count" -ge 4 ] || event_count=4
events=
start=$(date +%s.%N)
for i in $(seq 1 "$event_count"); do
    sections=$(python3 -c 'import json; print(json.dumps([{"name": "S%d" % s, "seats": 100000, "price": 10000} for s in range(1, 11)]))')
    status=$(curl -s -o "$work/event.json" -w '%{http_code}' -H 'Content-Type: application/json' \
        -d "{\"eventId\":\"evt_bench_$i\",\"name\":\"Bench $i\",\"currency\":\"KRW\",\"sections\":$sections}" "$base/v1/events")
    [ "$status" = 201 ] || { echo "creating evt_bench_$i: HTTP $status $(cat "$work/event.json")" >&2; exit 1; }
    events="${events:+$events,}evt_bench_$i"
done
echo "inventory: $event_count events × 1,000,000 seats (10 sections), created through POST /v1/events in $(awk "BEGIN {printf \"%.1f\", $(date +%s.%N) - $start}") s"
export EVENTS=$events

if [ "$fill" -gt 0 ]; then
    start=$(date +%s.%N)
    RUN="fill-$$" LIMIT=$fill wrk -t1 -c256 -d3600s --timeout 30s -s scripts/wrk/hold-limited.lua "$base" >"$work/fill.out" 2>"$work/fill.err"
    head -3 "$work/fill.err"
    elapsed=$(awk "BEGIN {print $(date +%s.%N) - $start}")
    echo "fill: $(grep 'holds answered' "$work/fill.out") in $(printf '%.0f' "$elapsed") s ($(awk "BEGIN {printf \"%.0f\", $fill / $elapsed}") holds/s)"
fi

# Reservations for the read scenario, all held by one user.
LIMIT=5000 USER_ID=bench-reader IDS="$work/ids.txt" \
    wrk -t1 -c16 -d120s --timeout 30s -s scripts/wrk/hold-record.lua "$base" >/dev/null
echo "read set: $(wc -l <"$work/ids.txt") reservations held by X-User-Id bench-reader"
metrics
echo "stored before timing: $(metric "$(outcome hold)") reservations"

# wrk round trip on an idle server: the non-fsync part of a request.
rtt_ms=$(RUN="rtt-$$" wrk -t1 -c1 -d1s -s scripts/wrk/health.lua "$base" | grep -o 'p50_ms=[0-9.]*' | cut -d= -f2)
echo "disk: write+fsync of 4 KiB $fsync_ms ms (mean of 200, python3, in the temp dir); idle round trip $rtt_ms ms"
for c in 64 256; do
    echo "  → group-commit ceiling at $c connections ≈ $c / ($fsync_ms + $rtt_ms) ms = $(awk "BEGIN {printf \"%.0f\", $c / ($fsync_ms + $rtt_ms) * 1000}") req/s"
done
echo

rows=()
declare -A rps
read -r _ user0 nice0 system0 idle0 iowait0 irq0 softirq0 steal0 _ </proc/stat
run() {  # label scenario connections [VAR=value…]
    local label=$1 scenario=$2 c=$3; shift 3
    # Every write run starts with no key of an earlier run left to forget: the idle writer purges
    # expired keys by itself, so after the TTL the previous run's purge does not weigh on this one.
    [ "$scenario" = health ] || [ "$scenario" = read ] || sleep $(( idempotency_ttl + 2 ))
    local out="$work/run-${#rows[@]}.out"
    metrics
    local sum0 count0 commit0 commits0 confirms0 cancels0
    sum0=$(metric writer_batch_size_sum); count0=$(metric writer_batch_size_count)
    commit0=$(metric writer_commit_seconds_sum); commits0=$(metric writer_commit_seconds_count)
    confirms0=$(metric "$(outcome confirm)"); cancels0=$(metric "$(outcome cancel)")
    env "$@" RUN="$scenario-$c-$$-${#rows[@]}" wrk -t1 -c"$c" -d"${duration}s" --timeout 30s \
        -s "scripts/wrk/$scenario.lua" "$base" >"$out"
    local line
    line=$(grep '^RESULT' "$out") || { echo "$label: no result" >&2; cat "$out" >&2; exit 1; }
    get() { echo "$line" | grep -o "$1=[0-9.]*" | cut -d= -f2; }
    metrics
    local batches writer=""
    batches=$(awk "BEGIN {print $(metric writer_batch_size_count) - $count0}")
    if [ "$batches" -gt 0 ]; then
        writer=$(awk "BEGIN {printf \"  writer: %d batches, mean %.1f commands, commit %.2f ms\", $batches,
            ($(metric writer_batch_size_sum) - $sum0) / $batches,
            ($(metric writer_commit_seconds_sum) - $commit0) / ($(metric writer_commit_seconds_count) - $commits0 + 1e-9) * 1000}")
    fi
    local confirms cancels
    confirms=$(awk "BEGIN {print $(metric "$(outcome confirm)") - $confirms0}")
    cancels=$(awk "BEGIN {print $(metric "$(outcome cancel)") - $cancels0}")
    [ "$confirms$cancels" = 00 ] || writer+=", $confirms confirmed + $cancels cancelled"
    local errors=""
    [ "$(get socket_errors)" = 0 ] || errors="  socket errors: $(get socket_errors)"
    printf '%-20s %4d conns %9s req/s  p50 %6s  p90 %6s  p99 %7s  max %7s ms  non-2xx %s%s%s\n' "$label" "$c" \
        "$(commas "$(get rps)")" "$(get p50_ms)" "$(get p90_ms)" "$(get p99_ms)" "$(get max_ms)" "$(get non2xx)" "$writer" "$errors"
    grep '^NON2XX' "$out" | sed 's/^/    /' || true
    rps[$label-$c]=$(get rps)
    rows+=("| $label | $c | $(commas "$(get rps)") | $(get p50_ms) ms | $(get p90_ms) ms | $(get p99_ms) ms | $(get non2xx) |")
    sleep 1  # let requests wrk abandoned at the end finish
}

for c in 64 256; do
    run health health $c
    # REST and Connect holds in A-B-B-A order, so the database growing between runs weighs on both
    # the same; the ratio compares the sums.
    run hold hold $c
    run connect-hold connect-hold $c
    run "connect-hold (2)" connect-hold $c
    run "hold (2)" hold $c
    run lifecycle lifecycle $c
    run read read $c IDS="$work/ids.txt" USER_ID=bench-reader
done
for c in 64 256; do
    echo "ratios at $c connections: hold/health $(awk "BEGIN {printf \"%.3f\", ${rps[hold-$c]} / ${rps[health-$c]}}"), read/health $(awk "BEGIN {printf \"%.3f\", ${rps[read-$c]} / ${rps[health-$c]}}"), Connect hold/REST hold $(awk "BEGIN {printf \"%.3f\", (${rps[connect-hold-$c]} + ${rps[connect-hold (2)-$c]}) / (${rps[hold-$c]} + ${rps[hold (2)-$c]})}")"
done

metrics
stored=$(metric "$(outcome hold)")
rss_main=$(peak_rss)
stop_server
stopped=$(grep '"msg":"stopped"' "$work/server.log" || true)
echo "peak RSS (VmHWM): $rss_main"
echo "writer over the whole run (\"stopped\" log line): $(echo "$stopped" | field writerBatches) batches, mean batch $(printf '%.1f' "$(echo "$stopped" | field meanBatchSize)"), max batch $(echo "$stopped" | field maxBatchSize)"
echo

# AUTH_MODE=jwt: the same holds with RS256 bearer tokens (2048-bit key, one token per caller, each
# verified once per loop and then cached), on the same database right after the runs above; the
# ratio compares it with the mean of the two AUTH_MODE=none hold runs at the same connections.
python3 - "$work" <<'PY'
import base64, json, sys, time
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
work = sys.argv[1]
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
n = key.public_key().public_numbers().n
modulus = base64.urlsafe_b64encode(n.to_bytes(256, "big")).rstrip(b"=").decode()
json.dump({"keys": [{"kty": "RSA", "kid": "bench", "use": "sig", "alg": "RS256", "n": modulus, "e": "AQAB"}]},
          open(f"{work}/jwks.json", "w"))
with open(f"{work}/tokens.txt", "w") as out:
    for user in range(1000):
        out.write(jwt.encode({"sub": f"bench-{user}", "exp": int(time.time()) + 86400}, key, algorithm="RS256",
                             headers={"kid": "bench"}) + "\n")
PY
bench_server "$work/server-jwt.log" --auth-mode jwt --jwt-jwks-file "$work/jwks.json"
for c in 64 256; do
    run "hold (jwt)" hold $c TOKENS="$work/tokens.txt"
done
for c in 64 256; do
    echo "AUTH_MODE=jwt/none at $c connections: hold (jwt) / mean of hold and hold (2) $(awk "BEGIN {printf \"%.3f\", 2 * ${rps[hold (jwt)-$c]} / (${rps[hold-$c]} + ${rps[hold (2)-$c]})}")"
done
metrics
stored=$(( stored + $(metric "$(outcome hold)") ))
stop_server
.build/release/AuthBench 2>/dev/null || true
echo

start=$(date +%s.%N)
bench_server "$work/server1.log" --threads 1
echo "second server, --threads 1, same database: ready in $(awk "BEGIN {printf \"%.1f\", $(date +%s.%N) - $start}") s ($(grep '"msg":"ready"' "$work/server1.log" | field liveHolds) live holds re-armed)"
# A 3 s untimed warm-up after the restart (printed, not in the table), so the comparison does not
# measure a cold start.
RUN="warm-$$" wrk -t1 -c64 -d3s --timeout 30s -s scripts/wrk/hold.lua "$base" >"$work/warm.out"
line=$(grep '^RESULT' "$work/warm.out")
echo "warm-up after the restart (hold, 64 connections, 3 s, not in the table): $(echo "$line" | grep -o 'rps=[0-9]*' | cut -d= -f2) req/s, p99 $(echo "$line" | grep -o 'p99_ms=[0-9.]*' | cut -d= -f2) ms, max $(echo "$line" | grep -o 'max_ms=[0-9.]*' | cut -d= -f2) ms"
for c in 64 256; do
    run "hold (--threads 1)" hold $c
done

metrics
stored=$(( stored + $(metric "$(outcome hold)") ))
available=0; held=0; sold=0; lowest=1000000
for event in ${events//,/ }; do
    curl -s "$base/v1/events/$event/availability" >"$work/availability.json"
    left=$(first available <"$work/availability.json")
    available=$(( available + left ))
    [ "$left" -lt "$lowest" ] && lowest=$left
    held=$(( held + $(first held <"$work/availability.json") ))
    sold=$(( sold + $(first sold <"$work/availability.json") ))
done
rss_one=$(peak_rss)
stop_server
stopped=$(grep '"msg":"stopped"' "$work/server1.log" || true)
echo "peak RSS (VmHWM), --threads 1 server: $rss_one; writer mean batch $(printf '%.1f' "$(echo "$stopped" | field meanBatchSize)"), max $(echo "$stopped" | field maxBatchSize)"
errors=$(cat "$work/server.log" "$work/server1.log" | grep -c '"level":"\(error\|warn\)"' || true)
[ "$errors" = 0 ] || { echo "server log: $errors warn/error lines, e.g.:"; grep -h '"level":"\(error\|warn\)"' "$work/server.log" "$work/server1.log" | head -3; }
echo "Idempotency-Keys remembered at most (idempotency_entries, sampled after each run): $(commas "$keys_max") of 1,000,000"
read -r _ user1 nice1 system1 idle1 iowait1 irq1 softirq1 steal1 _ </proc/stat
cpu_total=$(( user1 + nice1 + system1 + idle1 + iowait1 + irq1 + softirq1 + steal1 - user0 - nice0 - system0 - idle0 - iowait0 - irq0 - softirq0 - steal0 ))
echo "CPU over the timed runs: $(awk "BEGIN {printf \"%.0f%% idle, %.1f%% steal\", ($idle1 + $iowait1 - $idle0 - $iowait0) * 100 / $cpu_total, ($steal1 - $steal0) * 100 / $cpu_total}") (steal: the hypervisor ran other work)"
echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "seats left: $(commas "$available") of $(commas $((event_count * 1000000))) (held $(commas "$held"), sold $(commas "$sold")); fewest in one event: $(commas "$lowest")"
echo "stored reservations: $(commas "$stored") (every hold the writer committed, both servers, all created through the API)"
echo
echo "| scenario | connections | req/s | p50 | p90 | p99 | non-2xx |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
