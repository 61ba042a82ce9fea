#!/usr/bin/env bash
# Drives the release binary with curl the way a user would: health, errors, HEAD, keep-alive,
# and a clean SIGTERM. Exits non-zero on any surprise.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=.build/release/reservation-server
log=$(mktemp)
"$binary" --host 127.0.0.1 --port 0 --grpc-port 0 >"$log" 2>&1 &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do grep -q '"msg":"listening"' "$log" && break; sleep 0.05; done
port=$(grep -o '"msg":"listening".*"port":[0-9]*' "$log" | grep -o '[0-9]*$')
base="http://127.0.0.1:$port"
fail() { echo "smoke-http: $*" >&2; cat "$log" >&2; exit 1; }

[ "$(curl -s "$base/health")" = '{"status":"UP"}' ] || fail "/health body"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/nope")" = 404 ] || fail "404"
body=$(curl -s "$base/nope"); grep -q '"code":"NOT_FOUND"' <<<"$body" || fail "404 envelope"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$base/health")" = 405 ] || fail "405"
head=$(curl -sI "$base/health"); grep -qi '^content-length: 15' <<<"$head" || fail "HEAD content-length"
# Two requests on one connection: curl reuses it and says so.
trace=$(curl -sv "$base/health" "$base/health" 2>&1); grep -q 'Re-using existing connection' <<<"$trace" || fail "keep-alive"
kill -TERM $pid
for _ in $(seq 1 100); do kill -0 $pid 2>/dev/null || break; sleep 0.05; done
status=0
wait $pid || status=$?
[ $status -eq 0 ] || fail "exit status $status after SIGTERM"
echo "smoke-http: ok"
