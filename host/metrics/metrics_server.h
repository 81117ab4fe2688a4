// /metrics over HTTP(S): CivetWeb serving one collector's text exposition (prometheus-cpp's
// TextSerializer). Not prometheus-cpp's Exposer: it adds its own exposer_* series to every
// page, without the rollrig_ prefix or the serial label the metrics promise.
//
// Beyond loopback the endpoint needs TLS and basic auth, as rigd's gRPC port needs TLS and
// credentials: the metrics name the rig's serials, runs and state. TLS takes a PEM
// certificate (chain) and its unencrypted key; CivetWeb (Debian's is built with OpenSSL,
// loaded at start) reads them from one file, so both are copied into a private temporary
// file that is removed as soon as the server has loaded it.
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
  std::string listen;     // HOST:PORT ([IPV6]:PORT); port 0 picks a free one
  std::string tls_cert;   // PEM certificate (chain); with tls_key: HTTPS
  std::string tls_key;    // PEM private key, unencrypted
  std::string auth_file;  // USER:HASH lines (metrics_auth.h); "" = no auth
};

class MetricsServer {
 public:
  // Serves `collectable` at /metrics. INVALID_ARGUMENT for a bad address, a non-loopback
  // address without TLS and auth, a bad auth file or only half of the TLS pair;
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
