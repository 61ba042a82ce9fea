#!/usr/bin/env bash
# Starts the release binary with --demo on a fresh database and a free port, runs scripts/smoke.sh
# against it, then checks SIGTERM exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
.build/release/reservation-server --host 127.0.0.1 --port 0 --grpc-port 0 --db "$work/smoke.db" --demo >"$work/server.log" 2>&1 &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 200); do grep -q '"msg":"listening"' "$work/server.log" && break; sleep 0.05; done
port=$(grep -o '"msg":"listening".*"port":[0-9]*' "$work/server.log" | grep -o '[0-9]*$')
if ! bash scripts/smoke.sh "http://127.0.0.1:$port"; then
    cat "$work/server.log" >&2
    exit 1
fi
kill -TERM $pid
status=0
wait $pid || status=$?
[ $status -eq 0 ] || { echo "smoke-lifecycle: exit $status after SIGTERM" >&2; exit 1; }
