#!/usr/bin/env bash
# ThreadSanitizer build of rollrig (build/tsan), running the fast tests; the last part
# of ci/sanitize.sh, and runnable alone. A data race fails the test that hit it.
# ci/tsan.supp silences only Debian's uninstrumented libraries, each entry saying why.
set -euo pipefail
cd "$(dirname "$0")/.."

bash ci/setup.sh
BUILD_DIR=${TSAN_BUILD_DIR:-build/tsan}
jobs=$(nproc)

# -g1: function names and line numbers for the sanitizers' stack traces, at about three
# quarters of the compile time of full debug information.
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS=-O1 -DCMAKE_CXX_FLAGS_DEBUG=-g1 \
  -DROLLRIG_SANITIZE=thread -DROLLRIG_BUILD_BENCHMARKS=OFF -DROLLRIG_BUILD_E2E_TESTS=OFF
cmake --build "$BUILD_DIR" -j"$jobs"

# halt_on_error: the first race ends the test with its report; second_deadlock_stack
# shows where both locks of a lock-order inversion were taken.
export TSAN_OPTIONS="suppressions=$PWD/ci/tsan.supp:halt_on_error=1:second_deadlock_stack=1"
ctest=("$PWD/ci/no_leftovers.py" ctest --output-on-failure)
cd "$BUILD_DIR"
"${ctest[@]}" -j"$jobs" -L fast -LE soak
