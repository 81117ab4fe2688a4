#!/usr/bin/env bash
# rig-dash's fleet view: CPU per rig. Starts FLEET_BENCH_RIGS (default 12, N) simulated rigds
# on free ports (private runs directories), then renders the fleet view of 0 connected rigs
# (one unreachable entry), N/2 and N of them, and of 4N entries (each rigd listed four times:
# 4N clients, each with its own streams) for FLEET_BENCH_FRAMES frames (default 300: 10 s at the fleet view's 30 Hz) under
# Xvfb, with Mesa's software renderer on the render thread (LP_NUM_THREADS=0). From the
# screenshot's timing: the rig clients' CPU (all threads but the render thread) per second,
# and the render thread's CPU per frame. Prints the clients' CPU per rig (least squares over
# 0..N, checked against 4N) and the extrapolation to 50 rigs.
#   ci/bench/fleet_bench.sh BUILD_DIR
set -euo pipefail
BUILD_DIR=${1:-build/release}
RIGD=$BUILD_DIR/host/rigd/rigd
RIGCTL=$BUILD_DIR/host/rigctl/rigctl
DASH=$BUILD_DIR/gui/dash/rig-dash
N=${FLEET_BENCH_RIGS:-12}
FRAMES=${FLEET_BENCH_FRAMES:-300}
for bin in "$RIGD" "$RIGCTL" "$DASH"; do [ -x "$bin" ] || { echo "fleet_bench: $bin missing" >&2; exit 1; }; done
command -v xvfb-run >/dev/null || { echo "fleet_bench: xvfb-run missing" >&2; exit 1; }
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

addrs=()
for i in $(seq 1 "$N"); do
  port=$(free_port)
  mkdir -p "$work/rig$i/home"
  HOME="$work/rig$i/home" XDG_DATA_HOME="$work/rig$i/home/data" "$RIGD" --device sim \
    --serial "SIM-$i" --listen "127.0.0.1:$port" --runs-dir "$work/rig$i/runs" >"$work/rig$i.log" 2>&1 &
  pids+=($!)
  addrs+=("127.0.0.1:$port")
done
for a in "${addrs[@]}"; do
  for _ in $(seq 1 100); do "$RIGCTL" --addr "$a" status >/dev/null 2>&1 && break; sleep 0.3; done
  "$RIGCTL" --addr "$a" status >/dev/null 2>&1 || { echo "fleet_bench: rigd at $a did not start" >&2; exit 1; }
done

# rig list of the first n rigds (0: one entry nobody listens on)
write_list() {
  local n=$1 out=$2 sep=""
  {
    echo "["
    if [ "$n" = 0 ]; then
      echo "{\"targets\": [\"127.0.0.1:1\"], \"labels\": {\"rig\": \"none\", \"grpc\": \"127.0.0.1:$(free_port)\"}}"
    fi
    for i in $(seq 1 "$n"); do
      echo "$sep{\"targets\": [\"127.0.0.1:1\"], \"labels\": {\"rig\": \"R$i\", \"grpc\": \"${addrs[$(((i - 1) % N))]}\"}}"
      sep=","
    done
    echo "]"
  } >"$out"
}

results=$work/results.txt
: >"$results"
for n in 0 $((N / 2)) "$N" $((4 * N)); do
  write_list "$n" "$work/rigs$n.json"
  LIBGL_ALWAYS_SOFTWARE=1 LP_NUM_THREADS=0 timeout 300 xvfb-run -a -s "-screen 0 1600x1000x24" "$DASH" \
    --lab "$work/rigs$n.json" --screenshot "$work/fleet$n.png" --frames "$FRAMES" --size 1600x1000 \
    >"$work/dash$n.log" 2>&1 || { echo "fleet_bench: rig-dash failed: $(tail -c 300 "$work/dash$n.log")" >&2; exit 1; }
  python3 - "$n" "$work/fleet$n.json" >>"$results" <<'PY'
import json, sys
d = json.load(open(sys.argv[2])); t = d["timing"]
connected = sum(1 for x in d["tiles"] if x["connection"] == "connected")
print(sys.argv[1], connected, t["cpu_s"], t["render_cpu_s"], t["wall_s"], t["frames"],
      t["visible_tiles"])
PY
done
python3 - "$results" "$N" <<'PY'
import sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
n_rigds = int(sys.argv[2])
print("fleet_bench: rig-dash --lab at 1600x1000 under Xvfb (Mesa llvmpipe on the render thread)")
print(f"{'entries':>7} {'connected':>9} {'clients CPU %':>13} {'render ms/frame':>15} "
      f"{'tiles drawn':>11} {'process CPU %':>13}")
pts = []
for n, conn, cpu, render, wall, frames, visible in rows:
    clients = 100 * (cpu - render) / wall
    print(f"{int(n):>7} {int(conn):>9} {clients:>13.2f} {1000 * render / frames:>15.1f} "
          f"{int(visible):>11} {100 * cpu / wall:>13.1f}")
    if n <= n_rigds:
        pts.append((conn, clients))
k = len(pts); mx = sum(p[0] for p in pts) / k; my = sum(p[1] for p in pts) / k
sxx = sum((p[0] - mx) ** 2 for p in pts)
slope = sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx if sxx else float("nan")
base = my - slope * mx
big = rows[-1]
predicted = base + slope * big[1]
print(f"clients' CPU per connected rig: {slope:.2f} % of a core (least squares, 0..{n_rigds} "
      f"rigds); with none: {base:.2f} %")
print(f"check: {int(big[1])} clients predicted {predicted:.1f} %, measured "
      f"{100 * (big[2] - big[3]) / big[4]:.1f} %")
print(f"extrapolated to 50 rigs: {base + 50 * slope:.1f} % of a core for the clients, plus the "
      f"render thread, which draws only the tiles in view (a screenful)")
PY
