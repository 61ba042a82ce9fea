#!/usr/bin/env bash
# Creates a 1,000,000-seat event through the HTTP API on a release build and prints how long it
# took, the server's memory before and after (the writer's free-seat index lives in memory), and
# that holds keep flowing meanwhile (other commands interleave with the creation's chunks).
#
# usage: scripts/bench-event.sh [seats]   (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
seats=${1:-1000000}
swift build -c release --product reservation-server >/dev/null
work=$(mktemp -d)
log="$work/server.log"
.build/release/reservation-server --host 127.0.0.1 --port 0 --grpc-port 0 --db "$work/bench.db" --log-level warn >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 200); do grep -q '"msg":"listening"' "$log" && break; sleep 0.05; done
port=$(grep -o '"msg":"listening".*"port":[0-9]*' "$log" | grep -o '[0-9]*$')
base="http://127.0.0.1:$port"
until [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/actuator/health/readiness")" = 200 ]; do sleep 0.05; done
rss() { awk '/VmRSS/ {print $2 / 1024 " MiB"}' "/proc/$pid/status"; }

echo "seats:            $seats"
echo "RSS before:       $(rss)"
# A small event created while the big one is being written must not wait for all of it.
body="{\"eventId\":\"evt_big\",\"name\":\"Stadium\",\"currency\":\"KRW\",\"sections\":[{\"name\":\"A\",\"seats\":$seats,\"price\":10000}]}"
start=$(date +%s.%N)
curl -s -o "$work/big.json" -w '%{http_code}' -H 'content-type: application/json' -d "$body" "$base/v1/events" >"$work/big.status" &
big=$!
sleep 0.2
small_start=$(date +%s.%N)
small=$(curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' \
    -d '{"eventId":"evt_small","name":"Club","currency":"KRW","sections":[{"name":"A","seats":10,"price":1}]}' "$base/v1/events")
small_end=$(date +%s.%N)
wait $big
end=$(date +%s.%N)
echo "big event:        HTTP $(cat "$work/big.status") in $(awk "BEGIN {printf \"%.2f\", $end - $start}") s"
echo "small meanwhile:  HTTP $small in $(awk "BEGIN {printf \"%.3f\", $small_end - $small_start}") s"
echo "RSS after:        $(rss)"
curl -s "$base/v1/events/evt_big/availability" | head -c 200; echo
