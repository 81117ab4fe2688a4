#!/usr/bin/env bash
# Installs every Debian package rollrig needs to build, test and run, plus the tools
# the outside acceptance checks use. Non-interactive and idempotent: packages already
# present are left alone, and apt-get update runs only when something is missing.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake pkg-config ccache clang-format
  # clang with libFuzzer and its sanitizer runtimes: the fuzz targets (ci/fuzz.sh)
  clang libclang-rt-dev
  # libraries
  libprotobuf-dev protobuf-compiler libgrpc++-dev protobuf-compiler-grpc libabsl-dev
  libboost-dev libzstd-dev
  # TLS on rigd's port: OpenSSL checks the certificate and key files; the openssl tool makes
  # the lab CA (packaging/tls/rollrig-pki) and the tests' CAs
  libssl-dev openssl
  # the lab: Prometheus metrics (prometheus-cpp's text format, served by Boost.Beast) and uploads to
  # S3-compatible storage (libcurl signs SigV4)
  prometheus-cpp-dev libcurl4-openssl-dev
  # USB: libusb for rigd, libumockdev to emulate the device without a USB bus
  libusb-1.0-0-dev libumockdev-dev umockdev libglib2.0-dev
  # rig-dash: Dear ImGui (with its GLFW and OpenGL3 backends), GLFW, OpenGL, stb for PNGs
  libimgui-dev libglfw3-dev libgl-dev libstb-dev
  # headless rendering for the dashboard's tests
  xvfb xauth libgl1-mesa-dri libglx-mesa0
  # a browser to render the run report as people see it (report_render_test, acceptance)
  chromium
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # independent clients used by tests and acceptance checks
  python3 python3-grpcio python3-protobuf python3-grpc-tools grpc-proto
  # the lab's real servers and clients in tests: Prometheus (and promtool for the alert
  # rules), s3cmd as the independent S3 client (the S3-compatible server is npm's s3rver)
  prometheus s3cmd
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node/npm come from Node's own packages on some machines; Debian's would conflict.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup: all packages present"
fi

# npm packages the tests pin by their package-lock.json: the independent MCAP checker
# (tests/mcapcheck) and the S3-compatible server uploads are tested against (tests/s3rver),
# installed again when a lockfile is newer than what npm last installed.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
for npm_dir in "$root/tests/mcapcheck" "$root/tests/s3rver"; do
  if [ -f "$npm_dir/package-lock.json" ] && command -v npm >/dev/null 2>&1; then
    if [ ! -f "$npm_dir/node_modules/.package-lock.json" ] ||
       [ "$npm_dir/package-lock.json" -nt "$npm_dir/node_modules/.package-lock.json" ]; then
      echo "setup: npm ci in $npm_dir"
      (cd "$npm_dir" && npm ci --no-audit --no-fund)
    fi
  fi
done
