#include "host/metrics/metrics_server.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <exception>
#include <fstream>
#include <sstream>
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

absl::StatusOr<std::string> ReadFile(const std::string& path, const char* what) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", what, " ", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// CivetWeb's ssl_certificate is one PEM file with the key and the certificate chain.
class CombinedPemFile {
 public:
  ~CombinedPemFile() { Remove(); }
  absl::Status Write(const std::string& cert_path, const std::string& key_path) {
    absl::StatusOr<std::string> cert = ReadFile(cert_path, "the metrics TLS certificate");
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadFile(key_path, "the metrics TLS key");
    if (!key.ok()) return key.status();
    std::string path = "/tmp/rollrig-metrics-tls-XXXXXX";
    const int fd = mkstemp(path.data());  // mode 0600
    if (fd < 0) return absl::InternalError("cannot create a private file for the TLS pair");
    path_ = path;
    const std::string pem = *key + "\n" + *cert + "\n";
    const bool ok = write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size());
    close(fd);
    if (!ok) return absl::InternalError("cannot write the TLS pair to a private file");
    return absl::OkStatus();
  }
  void Remove() {
    if (!path_.empty()) unlink(path_.c_str());
    path_.clear();
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

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
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return absl::InvalidArgumentError(
        "--metrics-tls-cert and --metrics-tls-key go together: give both");
  }
  const bool tls = !options.tls_cert.empty();
  const bool auth = !options.auth_file.empty();
  if (!IsLoopbackHost(host) && (!tls || !auth)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "refusing to serve /metrics on ", options.listen, " without ",
        !tls && !auth ? "TLS and basic auth"
        : !tls        ? "TLS"
                      : "basic auth",
        ": beyond loopback the metrics (serials, runs, state) need --metrics-tls-cert FILE "
        "--metrics-tls-key FILE and --metrics-auth FILE (USER:HASH lines); or listen on "
        "127.0.0.1"));
  }
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
  const bool tls = !options.tls_cert.empty();
  CombinedPemFile pem;
  if (tls) {
    if (absl::Status s = pem.Write(options.tls_cert, options.tls_key); !s.ok()) return s;
  }
  const std::string bracketed = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  std::vector<std::string> civet = {
      "listening_ports", absl::StrCat(bracketed, ":", port, tls ? "s" : ""), "num_threads", "2"};
  if (tls) {
    civet.insert(civet.end(), {"ssl_certificate", pem.path()});
  }
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
        absl::StrCat("cannot serve /metrics on ", options.listen, ": ", e.what(),
                     tls ? " (is the TLS certificate and key a matching PEM pair?)" : ""));
  }
  pem.Remove();  // loaded by now
  server->server_->addHandler("/metrics", server->handler_.get());
  const std::vector<int> ports = server->server_->getListeningPorts();
  server->address_ = absl::StrCat(bracketed, ":", ports.empty() ? port : ports.front());
  server->url_ = absl::StrCat(tls ? "https://" : "http://", server->address_, "/metrics");
  return server;
}

MetricsServer::~MetricsServer() {
  if (server_) server_->close();  // joins CivetWeb's threads before the handler goes
}

}  // namespace rollrig::host
