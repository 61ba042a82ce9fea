#!/usr/bin/env bash
# Runs the Swift test suite under AddressSanitizer and then ThreadSanitizer (the process tests
# drive the sanitized server binary too). Each sanitizer builds everything again into a scratch
# directory of its own (.build-address, .build-thread), so this is slow: several minutes per
# sanitizer on two cores. Any report fails the run: ASan and TSan print their findings and
# make the process exit non-zero.
#
# usage: scripts/sanitize.sh [address|thread]... [-- swift test options, e.g. --filter AuthTests]
set -euo pipefail
cd "$(dirname "$0")/.."

sanitizers=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
    case $1 in
        address|thread) sanitizers+=("$1") ;;
        *) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
    shift
done
[ "${1:-}" = -- ] && shift
[ ${#sanitizers[@]} -gt 0 ] || sanitizers=(address thread)

# Reports go to stderr with the stack; halt_on_error makes a report fail its test process at once.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:halt_on_error=1}"
# TSan cannot see Synchronization.Mutex (scripts/tsan-suppressions.txt says why and what is
# suppressed).
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/scripts/tsan-suppressions.txt}"
status=0
for sanitizer in "${sanitizers[@]}"; do
    scratch=".build-$sanitizer"
    log="$scratch/sanitize.log"
    mkdir -p "$scratch"
    echo "== swift build --build-tests --sanitize=$sanitizer (into $scratch)"
    swift build --build-tests --sanitize="$sanitizer" --scratch-path "$scratch"
    echo "== swift test --sanitize=$sanitizer $*"
    if swift test --skip-build --sanitize="$sanitizer" --scratch-path "$scratch" "$@" >"$log" 2>&1; then
        echo "$sanitizer: clean ($(grep -cE '^✔ Test .* passed' "$log" || true) tests passed; log in $log)"
    else
        status=1
        grep -E 'ERROR: (AddressSanitizer|ThreadSanitizer)|WARNING: ThreadSanitizer|SUMMARY:|✘' "$log" | head -40 || true
        echo "$sanitizer: FAILED (full log in $log)" >&2
    fi
done
exit $status
