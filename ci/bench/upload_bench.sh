#!/usr/bin/env bash
# Upload figures: starts the pinned s3rver (tests/s3rver) on a free loopback port, runs
# upload_bench against it (our upload throughput; the recorder alone and with uploads
# running), then puts the same file with s3cmd and prints our throughput against it.
#   ci/bench/upload_bench.sh BUILD_DIR [FILE_MB=64] [WRITE_SECONDS=300]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build=${1:?usage: upload_bench.sh BUILD_DIR [FILE_MB] [WRITE_SECONDS]}
s3rver="$root/tests/s3rver/node_modules/.bin/s3rver"
[ -x "$s3rver" ] || { echo "upload_bench: $s3rver missing (ci/setup.sh installs it)" >&2; exit 1; }
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/s3"
setsid "$s3rver" --directory "$work/s3" --port "$port" --address 127.0.0.1 --configure-bucket rollrig \
  >"$work/s3rver.log" 2>&1 &
s3pid=$!
trap 'kill -TERM -- -$s3pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.2; done
"$build/ci/bench/upload_bench" "http://127.0.0.1:$port" "$work/bench" "${2:-64}" "${3:-300}" \
  | tee "$work/out.txt" | grep -v '^upload_seconds='
ours=$(sed -n 's/^upload_seconds=//p' "$work/out.txt")
cat >"$work/s3cfg" <<CFG
[default]
access_key = S3RVER
secret_key = S3RVER
host_base = 127.0.0.1:$port
host_bucket = 127.0.0.1:$port
use_https = False
signature_v2 = False
CFG
start=$(date +%s.%N)
s3cmd -c "$work/s3cfg" put "$work/bench/bench.mcap" s3://rollrig/s3cmd/bench.mcap >/dev/null 2>&1
end=$(date +%s.%N)
python3 - "$ours" "$start" "$end" "$work/bench/bench.mcap" <<'PY'
import os, sys
ours, start, end, f = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
theirs = end - start
mib = os.path.getsize(f) / 1048576
print(f"s3cmd put: {mib:.1f} MiB in {theirs:.2f} s = {mib/theirs:.1f} MiB/s; "
      f"rigd's upload throughput / s3cmd's = {theirs/ours:.2f}")
PY
