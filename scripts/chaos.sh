#!/usr/bin/env bash
# Crash cycles: mixed load, kill -9 at a random moment, restart on the same database, and checks
# through the API and with SQL that every acknowledged change survived, seats and counters agree,
# and retried keys replay (scripts/chaos.py says exactly what). Builds the release binary first.
#
# usage: scripts/chaos.sh [cycles] [--seed N]     (default 3 cycles; needs python3 with requests)
set -euo pipefail
cd "$(dirname "$0")/.."
cycles=${1:-3}
shift || true
swift build -c release --product reservation-server >/dev/null
work=$(mktemp -d "${TMPDIR:-/tmp}/reservation-chaos.XXXXXX")
trap 'rm -rf "$work"' EXIT
python3 scripts/chaos.py .build/release/reservation-server "$cycles" --workdir "$work" "$@"
