# Sourced by the benchmark scripts (bash): starting a server and waiting for it, and the inventory
# and read set the REST/RPC comparisons share.

# start_server LOG BINARY ARG… — starts BINARY with ARG… (its output in LOG), waits until it logs
# "listening" and answers readiness (a restart re-arms every live hold first). Sets pid, port,
# grpc_port (empty for builds without gRPC) and base (http://127.0.0.1:port); exits when it fails.
start_server() {
    local log=$1 binary=$2
    shift 2
    "$binary" "$@" >"$log" 2>&1 &
    pid=$!
    port=
    for _ in $(seq 1 600); do
        port=$(grep -o '"msg":"listening".*' "$log" | grep -o '"port":[0-9]*' | head -1 | cut -d: -f2 || true)
        [ -n "$port" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    [ -n "$port" ] || { echo "server did not start:" >&2; tail -5 "$log" >&2; exit 1; }
    grpc_port=$(grep -o '"grpcPort":[0-9]*' "$log" | cut -d: -f2 || true)
    base="http://127.0.0.1:$port"
    for _ in $(seq 1 6000); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/actuator/health/readiness")" = 200 ] && return
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    echo "server not ready:" >&2; tail -5 "$log" >&2; exit 1
}

# read_set BASE IDS — four events of 1,000,000 seats (ten sections of 100,000) through the API,
# then 5,000 holds by X-User-Id bench-reader, their ids written to IDS. Exports EVENTS for the wrk
# scripts.
read_set() {
    local base=$1 ids=$2 i sections
    EVENTS=
    sections=$(python3 -c 'import json; print(json.dumps([{"name": "S%d" % s, "seats": 100000, "price": 10000} for s in range(1, 11)]))')
    for i in 1 2 3 4; do
        curl -sf -o /dev/null -H 'Content-Type: application/json' \
            -d "{\"eventId\":\"evt_bench_$i\",\"name\":\"Bench $i\",\"currency\":\"KRW\",\"sections\":$sections}" "$base/v1/events"
        EVENTS="${EVENTS:+$EVENTS,}evt_bench_$i"
    done
    export EVENTS
    LIMIT=5000 USER_ID=bench-reader IDS="$ids" wrk -t1 -c16 -d120s --timeout 30s -s scripts/wrk/hold-record.lua "$base" >/dev/null
}

# free_port — a TCP port nobody listens on now.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_nginx DIR WORKERS LISTEN ANSWER — nginx with its configuration, pid, logs and temporary
# files in DIR, WORKERS worker processes, `listen LISTEN` (e.g. "127.0.0.1:8080 http2") and
# `return ANSWER` for every request (e.g. '204' or '200 "ok"'), no access log and unlimited
# keep-alive requests. Sets nginx_pid.
start_nginx() {
    local dir=$1 workers=$2 listen=$3 answer=$4
    mkdir -p "$dir"
    cat >"$dir/nginx.conf" <<NGINX
worker_processes $workers;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 100000000;
    client_body_temp_path $dir;
    server {
        listen $listen;
        location / { return $answer; }
    }
}
NGINX
    nginx -p "$dir" -c "$dir/nginx.conf" &
    nginx_pid=$!
    sleep 0.5
}
