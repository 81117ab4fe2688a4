#!/usr/bin/env bash
# The layer check's own test: the tree passes, and a copy of a few of its files with an
# upward include, a sideways one, a test including what it does not test, a folder in no
# layer, or a target linking upward fails, naming the file and line.
# usage: ci/check_layers_test.sh SOURCE_DIR
set -euo pipefail
SRC=$(cd "${1:-$(dirname "$0")/..}" && pwd)
CHECK="$SRC/ci/check_layers.sh"
fails=0
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

bash "$CHECK" "$SRC" >/dev/null || bad "the tree itself does not pass: $(bash "$CHECK" "$SRC" 2>&1 | head -n 5)"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fresh() {  # a small tree: the script, its table and a few real files
  rm -rf "$TMP/t" && mkdir -p "$TMP/t/ci" "$TMP/t/rig/base" "$TMP/t/rig/codec" "$TMP/t/rig/firmware"
  cp "$SRC/ci/check_layers.sh" "$SRC/ci/layers.txt" "$TMP/t/ci/"
  cp "$SRC/rig/base/clock.h" "$SRC/rig/base/CMakeLists.txt" "$TMP/t/rig/base/"
  cp "$SRC/rig/codec/frame_codec.h" "$TMP/t/rig/codec/"
  cp "$SRC/rig/firmware/firmware.h" "$TMP/t/rig/firmware/"
}
expect_fail() {  # WHAT PATTERN: the check fails and its output matches PATTERN
  local out rc=0
  out=$(bash "$TMP/t/ci/check_layers.sh" "$TMP/t" 2>&1) || rc=$?
  [ "$rc" -ne 0 ] || bad "$1: the check passed"
  grep -qE "$2" <<<"$out" || bad "$1: the output does not match '$2': $out"
}

fresh
bash "$TMP/t/ci/check_layers.sh" "$TMP/t" >/dev/null || bad "the small clean tree does not pass"

echo '#include "host/service/rig_service.h"' >>"$TMP/t/rig/base/clock.h"
line=$(wc -l <"$TMP/t/rig/base/clock.h")
expect_fail "upward include" \
  "^rig/base/clock.h:$line: includes host/service/rig_service.h \(layer host/service\) from layer rig/base$"

fresh
echo '#include <host/device/device_client.h>' >>"$TMP/t/rig/base/clock.h"
expect_fail "upward include in angle brackets" "^rig/base/clock.h:[0-9]+: includes host/device/device_client.h"

fresh
echo '#include "rig/protocol/telemetry_columns.h"' >>"$TMP/t/rig/codec/frame_codec.h"
expect_fail "sideways include" "^rig/codec/frame_codec.h:[0-9]+: includes rig/protocol/telemetry_columns.h"

fresh
printf '#include "rig/firmware/firmware.h"\n#include "rig/sim/testing/lockstep_rig.h"\n' \
  >"$TMP/t/rig/firmware/loop_test.cc"
bash "$TMP/t/ci/check_layers.sh" "$TMP/t" >/dev/null || bad "a test including test support fails"
echo '#include "rig/sim/sim_runner.h"' >>"$TMP/t/rig/firmware/loop_test.cc"
expect_fail "test including upward" "^rig/firmware/loop_test.cc:3: includes rig/sim/sim_runner.h"

fresh
mkdir -p "$TMP/t/host/nowhere" && echo '#pragma once' >"$TMP/t/host/nowhere/thing.h"
expect_fail "folder in no layer" "^host/nowhere/thing.h:1: is in no layer"

fresh
echo 'target_link_libraries(rollrig_base PUBLIC rollrig_codec)' >>"$TMP/t/rig/base/CMakeLists.txt"
echo 'add_library(rollrig_codec STATIC x.cc)' >"$TMP/t/rig/codec/CMakeLists.txt"
expect_fail "upward link" "^rig/base/CMakeLists.txt:[0-9]+: target rollrig_base \(layer rig/base\) links rollrig_codec \(layer rig/codec\)"

[ "$fails" -eq 0 ] && echo "check_layers: the tree passes; upward, sideways, test, unplaced and link cases fail"
exit "$((fails > 0))"
