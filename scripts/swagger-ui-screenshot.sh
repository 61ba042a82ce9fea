#!/usr/bin/env bash
# A screenshot of the Swagger UI page for people: starts the release binary with --demo on a
# temporary database, serves Swagger UI 5 from the pinned PyPI package (swagger-ui-bundle-v2; no
# network needed), and has headless Chromium render /swagger-ui.html into a PNG.
#
#   scripts/swagger-ui-screenshot.sh [OUT.png]    (default swagger-ui.png)
# Needs: chromium (Debian package), python3 with scripts/requirements.txt, a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-support.sh

out=${1:-swagger-ui.png}
binary=.build/release/reservation-server
[ -x "$binary" ] || { echo "build first: swift build -c release --product reservation-server" >&2; exit 1; }
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "chromium is missing (apt-get install chromium)" >&2; exit 1; }
assets=$(python3 -c 'import swagger_ui_bundle; print(swagger_ui_bundle.swagger_ui_path)')

work=$(mktemp -d)
static_pid=
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    [ -n "$static_pid" ] && kill "$static_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

python3 -m http.server 0 --bind 127.0.0.1 --directory "$assets" >"$work/static.log" 2>&1 &
static_pid=$!
static_port=
for _ in $(seq 1 100); do
    static_port=$(grep -o 'port [0-9]*' "$work/static.log" | cut -d' ' -f2 || true)
    [ -n "$static_port" ] && break
    sleep 0.05
done
[ -n "$static_port" ] || { echo "the asset server did not start" >&2; exit 1; }

start_server "$work/server.log" "$binary" --host 127.0.0.1 --port 0 --grpc-port 0 --db "$work/r.db" --demo \
    --swagger-ui-assets-url "http://127.0.0.1:$static_port"
"$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --hide-scrollbars \
    --user-data-dir="$work/profile" --window-size=1280,2400 --virtual-time-budget=15000 \
    --screenshot="$(realpath -m "$out")" "$base/swagger-ui.html" 2>/dev/null
echo "wrote $out"
