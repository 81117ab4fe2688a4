#!/usr/bin/env bash
# The demo command: installs what is needed, builds rollrig, starts rigd on the simulated
# massager, drives it with rigctl for about ten seconds printing live readings, e-stops,
# then runs one cycle of the swedish preset (about 50 s) with its progress and verdict,
# and shuts down cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."

bash ci/setup.sh >/dev/null
BUILD_DIR=${BUILD_DIR:-build/release}
echo "== building (Release) into $BUILD_DIR"
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" --target rigd rigctl rig-sim >/dev/null

RIGD=$BUILD_DIR/host/rigd/rigd
RIGCTL=$BUILD_DIR/host/rigctl/rigctl
ADDR=${RIGD_ADDR:-127.0.0.1:50051}
rigctl() { "$RIGCTL" --addr "$ADDR" "$@"; }

echo "== starting rigd on the simulated massager, listening on $ADDR"
RUNS_DIR=$(mktemp -d)
"$RIGD" --device sim --listen "$ADDR" --runs-dir "$RUNS_DIR" &
rigd_pid=$!
trap 'kill -TERM $rigd_pid 2>/dev/null || true; wait $rigd_pid 2>/dev/null || true; rm -rf "$RUNS_DIR"' EXIT
for _ in $(seq 1 100); do
  rigctl status >/dev/null 2>&1 && break
  kill -0 $rigd_pid 2>/dev/null || { echo "rigd exited; is $ADDR taken? set RIGD_ADDR"; exit 1; }
  sleep 0.1
done
rigctl status

echo; echo "== jog: roller 60 rpm, head 30 deg, preload 50 N"
rigctl jog --roller-rpm 60 --head-deg 30 --preload-n 50
rigctl watch --duration 4 --rate 5
echo; echo "== jog: roller -90 rpm (reversing), head -45 deg"
rigctl jog --roller-rpm -90 --head-deg -45
rigctl watch --duration 4 --rate 5
echo; echo "== e-stop"
rigctl estop --reason "demo e-stop"
rigctl watch --duration 1 --rate 10
echo; echo "== a jog while e-stopped is refused:"
rigctl jog --roller-rpm 10 || true
rigctl clear
echo; echo "== one cycle of the swedish preset (effleurage), with live progress and the verdict"
rigctl run swedish --cycles 1 --dut DEMO-1 --notes "demo run" || true
rigctl runs
echo; echo "== shutting rigd down (SIGTERM)"
kill -TERM $rigd_pid
wait $rigd_pid
trap - EXIT
rm -rf "$RUNS_DIR"
echo "== demo done"
