#!/usr/bin/env bash
# The test command: installs what is needed, checks the layers, builds rollrig (Release,
# warnings as errors) and runs every test through ctest. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

bash ci/setup.sh
# Library code never includes upward (ci/layers.txt); cheap, so before the build.
bash ci/check_layers.sh
BUILD_DIR=${BUILD_DIR:-build/release}
jobs=$(nproc)

cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DROLLRIG_WERROR=ON
cmake --build "$BUILD_DIR" -j"$jobs"

# Every ctest stage runs under ci/no_leftovers.py: a test that leaves a process running
# (rigd, rig-sim, Xvfb, node...) fails the stage, and the process is named and killed.
ctest=("$PWD/ci/no_leftovers.py" ctest --output-on-failure)
cd "$BUILD_DIR"
# Unit suites run in parallel; the suites that run the product in real time (labels usb,
# against the emulated USB device, and e2e) run one at a time so a loaded machine does
# not starve them. The soaks stay out (`ctest -L soak` runs them).
"${ctest[@]}" -j"$jobs" -LE 'e2e|usb|soak'
"${ctest[@]}" -j1 -L usb -LE soak
"${ctest[@]}" -j1 -L e2e -LE 'usb|soak'
