#!/usr/bin/env bash
# HTTP layer throughput: reservation-server's GET /health against nginx answering `return 200` on
# loopback, in one run, same loads: wrk with keep-alive (64 connections) and with
# `Connection: close`; 1 loop thread vs 1 nginx worker, then 2 vs 2. Prints every rate and ratio.
# Both sides run without access logs (nginx: access_log off; server: --access-log-sample-rate 0);
# the server keeps its metrics on.
#
# usage: scripts/bench-http.sh [seconds-per-run]   (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
command -v nginx >/dev/null || { echo "needs nginx (apt-get install nginx-light)" >&2; exit 1; }

swift build -c release --product reservation-server >/dev/null
binary=.build/release/reservation-server
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

start_server() {  # threads port
    "$binary" --host 127.0.0.1 --port "$2" --grpc-port 0 --threads "$1" --access-log-sample-rate 0 --log-level warn >"$work/server.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$2/health" >/dev/null && return; sleep 0.05; done
    echo "server did not start" >&2; exit 1
}

start_nginx() {  # workers port
    mkdir -p "$work/nginx$1"
    cat >"$work/nginx$1/nginx.conf" <<CONF
worker_processes $1;
daemon off;
pid $work/nginx$1/nginx.pid;
error_log $work/nginx$1/error.log crit;
events { worker_connections 16384; }
http {
    access_log off;
    keepalive_requests 100000000;
    client_body_temp_path $work/nginx$1;
    proxy_temp_path $work/nginx$1;
    fastcgi_temp_path $work/nginx$1;
    uwsgi_temp_path $work/nginx$1;
    scgi_temp_path $work/nginx$1;
    server {
        listen 127.0.0.1:$2 reuseport;
        default_type application/json;
        location / { return 200 '{"status":"UP"}'; }
    }
}
CONF
    nginx -c "$work/nginx$1/nginx.conf" -p "$work/nginx$1" &
    pids+=($!)
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$2/health" >/dev/null && return; sleep 0.05; done
    echo "nginx did not start" >&2; exit 1
}

rate() {  # url [extra wrk args...]
    local url=$1; shift
    wrk -t1 -c64 -d"${duration}s" "$@" "$url" | awk '/Requests\/sec/ {print int($2)}'
}

printf '%-28s %12s %12s %8s\n' "load" "server rps" "nginx rps" "ratio"
for threads in 1 2; do
    server_port=$((18100 + threads)); nginx_port=$((18200 + threads))
    start_server "$threads" "$server_port"
    start_nginx "$threads" "$nginx_port"
    for mode in keep-alive close; do
        args=()
        [ "$mode" = close ] && args=(-H "Connection: close")
        s=$(rate "http://127.0.0.1:$server_port/health" "${args[@]}")
        n=$(rate "http://127.0.0.1:$nginx_port/health" "${args[@]}")
        printf '%-28s %12d %12d %8.2f\n' "$threads thread(s), $mode" "$s" "$n" "$(awk "BEGIN {print $s / $n}")"
    done
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    pids=()
    sleep 0.5
done
