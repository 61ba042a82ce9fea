#!/usr/bin/env bash
# Runs the whole test suite: the Swift tests (unit, in-process sockets, and the built binary
# driven over real sockets and signals), then the scripts and the Python end-to-end suite that drive
# a release binary as users do.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== swift build (debug; the process tests run this binary)"
swift build
echo "== swift test"
status=0
swift test >.build/swift-test.log 2>&1 || status=$?
grep -vE '^(◇|Test Case .* started|Test Suite .* started)' .build/swift-test.log || true
if [ $status -ne 0 ]; then
    echo "swift test failed (exit $status)" >&2
    exit $status
fi

echo "== proto/: lint, and the generated descriptor set and test fixtures are current"
buf lint proto
bash scripts/gen-proto.sh --check
python3 Tests/ProtobufTests/make-fixtures.py --check

echo "== release build"
swift build -c release --product reservation-server
for script in scripts/smoke-*.sh; do
    [ -e "$script" ] || continue
    echo "== $script"
    bash "$script"
done
echo "== end-to-end tests (pytest, against the release binary)"
python3 -m pytest -q -p no:cacheprovider Tests/e2e
echo "== chaos: kill -9 under load, restart, nothing acknowledged lost (3 cycles)"
bash scripts/chaos.sh 3
echo "all tests passed"
