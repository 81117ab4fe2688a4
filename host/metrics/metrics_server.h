// /metrics over HTTP: CivetWeb serving one collector's text exposition (prometheus-cpp's
// TextSerializer). Not prometheus-cpp's Exposer: it adds its own exposer_* series to every
// page, without the rollrig_ prefix or the serial label the metrics promise.
//
// Beyond loopback the endpoint would need TLS and basic auth, as rigd's gRPC port needs TLS
// and credentials: the metrics name the rig's serials, runs and state. TLS is not available:
// Debian bookworm's CivetWeb (1.15) loads libssl at run time with the OpenSSL 1.1 API, and
// its first HTTPS connection crashes the process on the system's OpenSSL 3 (checked). So
// /metrics serves loopback only (basic auth optional there) and TLS flags are refused with
// that reason; a lab reaches it through a TLS proxy or an SSH tunnel.
//
// Thread safety: Start/Stop from one thread; scrapes run on CivetWeb's threads.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "prometheus/collectable.h"

class CivetServer;

namespace rollrig::host {

struct MetricsServerOptions {
  std::string listen;    // HOST:PORT ([IPV6]:PORT); port 0 picks a free one
  std::string tls_cert;  // refused (see above); kept so the flags say why
  std::string tls_key;
  std::string auth_file;  // USER:HASH lines (metrics_auth.h); "" = no auth
};

class MetricsServer {
 public:
  // Serves `collectable` at /metrics. INVALID_ARGUMENT for a bad address, a non-loopback
  // address, TLS files, or a bad auth file;
  // UNAVAILABLE "cannot serve /metrics on HOST:PORT: ..." when the port is taken or the
  // server cannot start (with CivetWeb's reason).
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      const MetricsServerOptions& options, std::shared_ptr<prometheus::Collectable> collectable);
  ~MetricsServer();

  // Where it listens, with the port it got: "http://127.0.0.1:9464/metrics".
  const std::string& url() const { return url_; }
  // HOST:PORT it listens on.
  const std::string& address() const { return address_; }

 private:
  class Handler;
  MetricsServer();

  std::unique_ptr<Handler> handler_;  // outlives server_, which calls it
  std::unique_ptr<CivetServer> server_;
  std::string address_;
  std::string url_;
};

// INVALID_ARGUMENT when `options` are inconsistent or refused (see Start); no I/O beyond
// reading the auth file and probing the port.
absl::Status CheckMetricsListen(const MetricsServerOptions& options);

}  // namespace rollrig::host
