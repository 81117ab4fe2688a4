#!/usr/bin/env bash
# The sanitizer stage: an AddressSanitizer + UndefinedBehaviorSanitizer build of rollrig
# running the fast tests and the USB suite (ThreadSanitizer: ci/tsan.sh).
#   ci/sanitize.sh               build, then test
#   ci/sanitize.sh --build-only  only the build (.ci/run starts it beside the release suites)
#   ci/sanitize.sh --test-only   only the tests, on a finished build
set -euo pipefail
cd "$(dirname "$0")/.."
step=${1:-all}
case "$step" in all | --build-only | --test-only) ;; *)
  echo "usage: ci/sanitize.sh [--build-only | --test-only]" >&2
  exit 2
  ;;
esac
BUILD_DIR=${BUILD_DIR:-build/asan}
jobs=$(nproc)

if [ "$step" != --test-only ]; then
  bash ci/setup.sh
  # -g1: function names and line numbers for the sanitizers' stack traces, at about three
  # quarters of the compile time of full debug information.
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS=-O1 -DCMAKE_CXX_FLAGS_DEBUG=-g1 \
    -DROLLRIG_SANITIZE=address,undefined -DROLLRIG_BUILD_BENCHMARKS=OFF \
    -DROLLRIG_BUILD_E2E_TESTS=OFF
  cmake --build "$BUILD_DIR" -j"$jobs"
fi
[ "$step" = --build-only ] && exit 0

# Leaks reported inside the distribution's gRPC/protobuf/abseil (process-lifetime
# singletons) are not ours; ci/lsan.supp names only those libraries.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export LSAN_OPTIONS=suppressions=$PWD/ci/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# ci/no_leftovers.py fails a stage that leaves a process running (see ci/test.sh).
ctest=("$PWD/ci/no_leftovers.py" ctest --output-on-failure)
cd "$BUILD_DIR"
# The USB path against the emulated device (the emulator puts the ASan runtime first in
# LD_PRELOAD when it loads libumockdev's preload), one test at a time; beside it, at idle
# priority, the fast suite: it takes the CPU the USB suite leaves while it waits on real time.
# Test lists are found by running each test program once (gtest PRE_TEST discovery); done
# here, so the two ctest runs below do not write the same list files at once.
ctest -N >/dev/null
fast_log=$(mktemp)
chrt --idle 0 "${ctest[@]}" -j"$jobs" -L fast -LE soak >"$fast_log" 2>&1 &
fast=$!
usb_status=0
"${ctest[@]}" -j1 -L usb -LE soak || usb_status=$?
fast_status=0
wait "$fast" || fast_status=$?
echo "---- the fast suite under the sanitizers ----"
cat "$fast_log"
rm -f "$fast_log"
if [ "$usb_status" -ne 0 ] || [ "$fast_status" -ne 0 ]; then
  echo "sanitizer stage failed: usb suite exit $usb_status, fast suite exit $fast_status" >&2
  exit 1
fi

# The ThreadSanitizer stage is its own script (ci/tsan.sh): with it, a full .ci/run on a
# 2-core machine goes past its 40-minute budget.
