#!/usr/bin/env bash
# Benchmarks (not tests): builds Release and prints the figures.
#   codec_bench     frames/s and bytes/s of the wire codec, bytes per sample on the wire,
#                   simulator speed
#   pipeline_bench  highest zero-loss sample rate through rigd to one gRPC subscriber,
#                   e-stop latency (RPC to standstill and to bridge off, p50/p99)
#   mcap_bench      recorder throughput at 10 kHz with fdatasync per chunk, bytes per
#                   sample, finalizing a crashed file, reading a window of a 1-hour file
#   tls_bench       TLS on rigd's port vs plaintext: CPU per sample and throughput of the
#                   same stream (as ratios), e-stop round trip over TLS (p50/p99)
#   history_bench   GetRunHistory on a 72 h 1 kHz run it makes through the recorder
#                   (HISTORY_BENCH_HOURS, HISTORY_BENCH_DIR to keep it): first picture,
#                   zooms to samples (p50/p99), and reading every raw sample as the baseline
#   report_bench    the run report of a 1-hour 1 kHz recording: times faster than real time
#                   (target >= 200x), against reading every message of the file once
#   metrics_bench   /metrics: one scrape's cost (Collect + text exposition, and a whole
#                   HTTP GET; time and page bytes) on a busy simulated rig, and the telemetry
#                   hot path with the metrics' averager subscribed vs without (a ratio)
#   upload_bench    uploads to S3-compatible storage (a pinned s3rver on loopback): upload
#                   throughput against a plain `s3cmd put` of the same file (a ratio), and
#                   the recorder's throughput with uploads running against without (ratios)
#   plot_bench      rig-dash plot: CPU frame build time for 4 x 10M samples through the
#                   level-of-detail store vs every point drawn, append rate, memory
#   fleet_bench.sh  rig-dash --lab: CPU per connected rig with FLEET_BENCH_RIGS (default 12)
#                   simulated rigds, extrapolated to 50 rigs
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh >/dev/null
BUILD_DIR=${BUILD_DIR:-build/release}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" --target codec_bench pipeline_bench mcap_bench history_bench report_bench upload_bench >/dev/null
if [ -e "$BUILD_DIR/gui/plot" ]; then
  cmake --build "$BUILD_DIR" -j"$(nproc)" --target plot_bench >/dev/null
fi
if [ -e "$BUILD_DIR/tests" ]; then
  cmake --build "$BUILD_DIR" -j"$(nproc)" --target tls_bench metrics_bench >/dev/null
fi
"$BUILD_DIR/ci/bench/codec_bench" --benchmark_min_time=0.5
"$BUILD_DIR/ci/bench/pipeline_bench" "$@"
bench_dir=$(mktemp -d)
"$BUILD_DIR/ci/bench/mcap_bench" "$bench_dir"
"$BUILD_DIR/ci/bench/report_bench" "$bench_dir"
rm -rf "$bench_dir"
history_dir=${HISTORY_BENCH_DIR:-$(mktemp -d)}
"$BUILD_DIR/ci/bench/history_bench" "$history_dir" "${HISTORY_BENCH_HOURS:-72}"
[ -n "${HISTORY_BENCH_DIR:-}" ] || rm -rf "$history_dir"
ci/bench/upload_bench.sh "$BUILD_DIR"
if [ -x "$BUILD_DIR/ci/bench/tls_bench" ]; then
  "$BUILD_DIR/ci/bench/tls_bench"
fi
if [ -x "$BUILD_DIR/ci/bench/metrics_bench" ]; then
  "$BUILD_DIR/ci/bench/metrics_bench"
fi
if [ -x "$BUILD_DIR/ci/bench/plot_bench" ]; then
  "$BUILD_DIR/ci/bench/plot_bench"
fi
if [ -e "$BUILD_DIR/gui/dash" ]; then
  cmake --build "$BUILD_DIR" -j"$(nproc)" --target rig-dash rigd rigctl >/dev/null
  bash ci/bench/fleet_bench.sh "$BUILD_DIR"
fi
