// rigd's command line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "host/upload/s3_location.h"

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
  // Uploads of recordings to S3-compatible storage (--upload); nullopt = none.
  std::optional<upload::S3Location> upload;
  std::string s3_endpoint;     // "" = AWS's for the region
  std::string s3_credentials;  // "" = the AWS variables or shared credentials file
  absl::Duration keep_local = absl::Hours(24 * 7);
  uint64_t upload_max_rate = 0;  // bytes/s, 0 = no cap
  bool help = false;
};

// INVALID_ARGUMENT naming the bad option or value (also --tls-cert without --tls-key,
// or the reverse, and --tls-client-ca without them; the same for --metrics-tls-*, and
// --metrics-tls-*/--metrics-auth without --metrics-listen; the S3 options without --upload).
absl::StatusOr<RigdOptions> ParseRigdOptions(const std::vector<std::string>& args);

// rigd --help, generated from the options ParseRigdOptions accepts.
std::string RigdUsage();

}  // namespace rollrig::host
