#include "host/metrics/metrics_server.h"

#include <exception>
#include <vector>

#include "CivetServer.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "host/metrics/metrics_auth.h"
#include "host/service/rig_server.h"
#include "prometheus/text_serializer.h"

namespace rollrig::host {
namespace {

// Checked on Debian bookworm: its CivetWeb 1.15 loads libssl at run time with the OpenSSL
// 1.1 API and its first HTTPS connection crashes the process on OpenSSL 3.
constexpr char kNoTlsReason[] =
    "Debian's CivetWeb (1.15) loads OpenSSL with the 1.1 API and crashes on the system's "
    "OpenSSL 3";

}  // namespace

// GET /metrics: basic auth when configured, then the collector's page.
class MetricsServer::Handler : public CivetHandler {
 public:
  Handler(std::shared_ptr<prometheus::Collectable> collectable,
          std::shared_ptr<const MetricsAuth> auth)
      : collectable_(std::move(collectable)), auth_(std::move(auth)) {}

  bool handleGet(CivetServer*, mg_connection* conn) override {
    if (auth_ && !Authorized(conn)) {
      mg_printf(conn,
                "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"rollrig metrics\"\r\n"
                "Content-Length: 0\r\n\r\n");
      return true;
    }
    const std::string page = prometheus::TextSerializer().Serialize(collectable_->Collect());
    mg_printf(conn,
              "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
              "Content-Length: %zu\r\n\r\n",
              page.size());
    mg_write(conn, page.data(), page.size());
    return true;
  }

 private:
  bool Authorized(mg_connection* conn) const {
    const char* header = mg_get_header(conn, "Authorization");
    constexpr absl::string_view kBasic = "Basic ";
    if (header == nullptr || !absl::StartsWith(header, kBasic)) return false;
    std::string decoded;
    if (!absl::Base64Unescape(absl::string_view(header).substr(kBasic.size()), &decoded)) {
      return false;
    }
    const size_t colon = decoded.find(':');
    if (colon == std::string::npos) return false;
    return auth_->Check(decoded.substr(0, colon), decoded.substr(colon + 1));
  }

  const std::shared_ptr<prometheus::Collectable> collectable_;
  const std::shared_ptr<const MetricsAuth> auth_;
};

MetricsServer::MetricsServer() = default;

absl::Status CheckMetricsListen(const MetricsServerOptions& options) {
  std::string host;
  int port = 0;
  if (absl::Status s = ParseHostPort(options.listen, &host, &port); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--metrics-listen: ", s.message()));
  }
  if (!options.tls_cert.empty() || !options.tls_key.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--metrics-tls-cert/--metrics-tls-key: TLS on /metrics is not available: ", kNoTlsReason,
        "; serve /metrics on 127.0.0.1 and reach it through a TLS proxy or an "
        "SSH tunnel"));
  }
  if (!IsLoopbackHost(host)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "refusing to serve /metrics on ", options.listen,
        ": beyond loopback the metrics (serials, runs, state) need TLS and basic auth, and TLS "
        "is not available (",
        kNoTlsReason,
        "); listen on 127.0.0.1 (with --metrics-auth FILE if the machine is "
        "shared) and reach it through a TLS proxy or an SSH tunnel"));
  }
  const bool auth = !options.auth_file.empty();
  if (auth) {
    absl::StatusOr<MetricsAuth> loaded = MetricsAuth::Load(options.auth_file);
    if (!loaded.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--metrics-auth: ", loaded.status().message()));
    }
  }
  if (absl::Status s = ProbeListenPort(host, port); !s.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve /metrics: ", s.message(), " (--metrics-listen)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const MetricsServerOptions& options, std::shared_ptr<prometheus::Collectable> collectable) {
  if (absl::Status s = CheckMetricsListen(options); !s.ok()) return s;
  std::string host;
  int port = 0;
  (void)ParseHostPort(options.listen, &host, &port);
  const std::string bracketed = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  const std::vector<std::string> civet = {"listening_ports", absl::StrCat(bracketed, ":", port),
                                          "num_threads", "2"};
  std::shared_ptr<const MetricsAuth> auth;
  if (!options.auth_file.empty()) {
    absl::StatusOr<MetricsAuth> loaded = MetricsAuth::Load(options.auth_file);
    if (!loaded.ok()) return loaded.status();
    auth = std::make_shared<const MetricsAuth>(*std::move(loaded));
  }
  auto server = std::unique_ptr<MetricsServer>(new MetricsServer());
  server->handler_ = std::make_unique<Handler>(std::move(collectable), std::move(auth));
  try {
    server->server_ = std::make_unique<CivetServer>(civet);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve /metrics on ", options.listen, ": ", e.what()));
  }
  server->server_->addHandler("/metrics", server->handler_.get());
  const std::vector<int> ports = server->server_->getListeningPorts();
  server->address_ = absl::StrCat(bracketed, ":", ports.empty() ? port : ports.front());
  server->url_ = absl::StrCat("http://", server->address_, "/metrics");
  return server;
}

MetricsServer::~MetricsServer() {
  if (server_) server_->close();  // joins CivetWeb's threads before the handler goes
}

}  // namespace rollrig::host
