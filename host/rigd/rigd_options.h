// rigd's command line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace rollrig::host {

struct RigdOptions {
  std::string device = "sim";  // sim | tcp:HOST:PORT | usb | usb:SERIAL | replay:FILE
  std::string listen = "127.0.0.1:50051";
  std::string tls_cert;             // PEM; with tls_key: TLS on the gRPC port
  std::string tls_key;              // PEM, unencrypted
  std::string tls_client_ca;        // PEM; verify client certificates (optional with TLS)
  std::string credentials;          // the credentials file; "" = none (loopback only)
  uint64_t seed = 1;                // simulator noise seed (--device sim)
  uint32_t tick_hz = 1000;          // simulator control tick (--device sim)
  std::string serial = "SIM-0001";  // simulator serial (--device sim)
  std::string runs_dir;             // "" = $XDG_DATA_HOME/rollrig/runs
  bool resume_interrupted = false;  // resume the newest interrupted run at start
  std::string metrics_listen;       // HOST:PORT serving /metrics; "" = off
  std::string metrics_tls_cert;     // PEM; with metrics_tls_key: HTTPS on /metrics
  std::string metrics_tls_key;
  std::string metrics_auth;  // USER:HASH lines: basic auth on /metrics
  bool help = false;
};

// INVALID_ARGUMENT naming the bad option or value (also --tls-cert without --tls-key,
// or the reverse, and --tls-client-ca without them; the same for --metrics-tls-*, and
// --metrics-tls-*/--metrics-auth without --metrics-listen).
absl::StatusOr<RigdOptions> ParseRigdOptions(const std::vector<std::string>& args);

// rigd --help, generated from the options ParseRigdOptions accepts.
std::string RigdUsage();

}  // namespace rollrig::host
