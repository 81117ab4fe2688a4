#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang with ASan + UBSan, in build/fuzz) and runs
# each one in turn, one process at a time, seeded from the fixtures, the preset profiles
# and the simulator's own frames. Prints executions and executions per second per target;
# exits non-zero if any target finds a crash (its input is kept in build/fuzz/artifacts).
# Not part of the CI gate: a full run takes a while.
#
# Usage: ci/fuzz.sh [-runs N] [-max_total_time SECONDS] [TARGET...]
#   defaults: 10000000 executions per target, no time cap, every target
#   targets:  frame_decoder_fuzz profile_fuzz mcap_fuzz mcap_recover_fuzz credentials_fuzz
set -euo pipefail
cd "$(dirname "$0")/.."

runs=10000000
max_time=0
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    -runs) runs=$2; shift 2 ;;
    -max_total_time) max_time=$2; shift 2 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
all_targets=(frame_decoder_fuzz profile_fuzz mcap_fuzz mcap_recover_fuzz credentials_fuzz)
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
for target in "${targets[@]}"; do
  [[ " ${all_targets[*]} " == *" $target "* ]] || { echo "fuzz.sh: unknown target $target" >&2; exit 2; }
done

bash ci/setup.sh >/dev/null
BUILD_DIR=${BUILD_DIR:-build/fuzz}
CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DROLLRIG_FUZZ=ON -DROLLRIG_BUILD_TESTS=OFF -DROLLRIG_BUILD_BENCHMARKS=OFF \
  -DROLLRIG_BUILD_GUI=OFF >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" --target make_fuzz_seeds "${targets[@]}"

seeds="$BUILD_DIR/seeds"
rm -rf "$seeds"
"$BUILD_DIR/fuzz/make_fuzz_seeds" "$seeds" fixtures host/profiles

# The generated seeds, plus fuzz/regressions/KIND: inputs that once broke a target, kept
# so that every run checks them again.
seed_dirs() {
  local kind
  case "$1" in
    frame_decoder_fuzz) kind=frames ;;
    profile_fuzz) kind=profiles ;;
    mcap_fuzz | mcap_recover_fuzz) kind=mcap ;;
    credentials_fuzz) kind=credentials ;;
  esac
  echo "$seeds/$kind"
  [ ! -d "fuzz/regressions/$kind" ] || echo "fuzz/regressions/$kind"
}

export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
mkdir -p "$BUILD_DIR/artifacts"
summary=()
failed=0
for target in "${targets[@]}"; do
  mapfile -t dirs < <(seed_dirs "$target")
  corpus="$BUILD_DIR/corpus/$target"  # grows across runs
  mkdir -p "$corpus"
  log="$BUILD_DIR/$target.log"
  echo "fuzz.sh: $target: up to $runs executions$([ "$max_time" -gt 0 ] && echo ", at most $max_time s")"
  status=0
  "$BUILD_DIR/fuzz/$target" -runs="$runs" -max_total_time="$max_time" -print_final_stats=1 \
    -rss_limit_mb=2048 -timeout=30 -artifact_prefix="$BUILD_DIR/artifacts/$target-" \
    "$corpus" "${dirs[@]}" >"$log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
  if [ "$status" -ne 0 ]; then
    failed=1
    result="FAILED (exit $status; see $log and $BUILD_DIR/artifacts)"
    tail -40 "$log"
  else
    result="no crash"
  fi
  line=$(printf '%-20s %12s executions %8s exec/s  %-10s %s' "$target" "${execs:-?}" "${rate:-?}" \
    "${cov:-}" "$result")
  echo "$line"
  summary+=("$line")
done
echo
echo "fuzz.sh summary:"
printf '  %s\n' "${summary[@]}"
exit "$failed"
