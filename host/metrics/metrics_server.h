// /metrics over HTTP or HTTPS: one collector's text exposition (prometheus-cpp's
// TextSerializer) served by Boost.Beast on one I/O thread of its own. Not prometheus-cpp's
// Exposer: it adds its own exposer_* series to every page, without the rollrig_ prefix or
// the serial label the metrics promise, and Debian's build of it (CivetWeb 1.15) cannot
// serve TLS with the system's OpenSSL 3.
//
// On loopback TLS and basic auth are optional. Beyond loopback both are required, as rigd's
// gRPC port requires TLS and credentials: the metrics name the rig's serials, runs and
// state. TLS 1.2 or later, with the certificate chain and key from PEM files.
//
// Bounds: at most kMaxConnections at once (more are closed on accept), a request's header
// must arrive within the read timeout and fit in 8 KiB, no request body is read; a slow or
// hostile client costs one connection slot, never the scrape of another.
//
// Thread safety: Start and the destructor from one thread; requests are answered on the
// server's own thread, which calls the collectable's Collect (it must be thread-safe).
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "prometheus/collectable.h"

namespace rollrig::host {

struct MetricsServerOptions {
  std::string listen;     // HOST:PORT ([IPV6]:PORT); port 0 picks a free one
  std::string tls_cert;   // PEM certificate (chain); with tls_key, serves HTTPS
  std::string tls_key;    // its PEM private key (unencrypted)
  std::string auth_file;  // USER:HASH lines (metrics_auth.h); "" = no auth
};

class MetricsServer {
 public:
  static constexpr int kMaxConnections = 64;
  static constexpr int kReadTimeoutSeconds = 30;  // Prometheus scrapes at most this far apart
                                                  // by default (15 s) on a kept-alive link

  // Serves `collectable` at /metrics. INVALID_ARGUMENT for a bad address, a non-loopback
  // address without TLS and basic auth, an unreadable or mismatched certificate or key, or a
  // bad auth file; UNAVAILABLE "cannot serve /metrics on HOST:PORT: ..." when the port is
  // taken or cannot be listened on.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      const MetricsServerOptions& options, std::shared_ptr<prometheus::Collectable> collectable);
  ~MetricsServer();  // stops accepting, drops open connections, joins the thread

  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Where it listens, with the port it got: "https://127.0.0.1:9464/metrics".
  const std::string& url() const { return url_; }
  // HOST:PORT it listens on.
  const std::string& address() const { return address_; }
  // The URL a reader on another machine uses (rigctl status, the log): this machine's host
  // name in place of a wildcard address (0.0.0.0, ::), which names no machine; else url().
  const std::string& public_url() const { return public_url_; }

 private:
  struct Impl;
  MetricsServer();

  std::unique_ptr<Impl> impl_;
  std::string address_;
  std::string url_;
  std::string public_url_;
};

// INVALID_ARGUMENT when `options` are inconsistent or refused (see Start), naming the flag;
// no I/O beyond reading the auth, certificate and key files and probing the port.
absl::Status CheckMetricsListen(const MetricsServerOptions& options);

}  // namespace rollrig::host
