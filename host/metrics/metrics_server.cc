#include "host/metrics/metrics_server.h"

#include <chrono>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/ip/v6_only.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "boost/beast/ssl.hpp"
#include "host/metrics/metrics_auth.h"
#include "host/metrics/metrics_responder.h"
#include "host/metrics/metrics_tls.h"
#include "host/service/rig_server.h"
#include "rig/base/user_identity.h"

namespace rollrig::host {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

constexpr std::chrono::seconds kReadTimeout(MetricsServer::kReadTimeoutSeconds);
constexpr std::chrono::seconds kWriteTimeout(10);
constexpr uint32_t kHeaderLimit = 8 * 1024;

// What every connection shares; owned by the server, outlives its I/O thread.
struct Shared {
  MetricsResponder responder;
  int connections = 0;  // touched on the I/O thread only
};

// One connection: requests read and answered in turn (keep-alive) until the client closes,
// a timeout, or an error. Stream is a beast::tcp_stream or an ssl_stream over one.
template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Stream stream, Shared* shared) : stream_(std::move(stream)), shared_(shared) {
    ++shared_->connections;
  }
  ~Session() { --shared_->connections; }

  void Start() {
    if constexpr (kTls) {
      beast::get_lowest_layer(stream_).expires_after(kReadTimeout);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](error_code ec) {
                                if (!ec) self->Read();
                              });
    } else {
      Read();
    }
  }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  void Read() {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(0);  // a GET has none; a request with a body is refused
    beast::get_lowest_layer(stream_).expires_after(kReadTimeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(error_code ec) {
    if (ec == http::error::end_of_stream) return Close();
    if (ec) return;  // timeout, reset, or a request too large: drop the connection
    response_ = shared_->responder.Respond(parser_->release());
    beast::get_lowest_layer(stream_).expires_after(kWriteTimeout);
    http::async_write(stream_, response_,
                      [self = this->shared_from_this()](error_code write_error, size_t) {
                        if (write_error) return;
                        if (self->response_.keep_alive()) return self->Read();
                        self->Close();
                      });
  }

  void Close() {
    if constexpr (kTls) {
      beast::get_lowest_layer(stream_).expires_after(kWriteTimeout);
      stream_.async_shutdown([self = this->shared_from_this()](error_code) {});
    } else {
      error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
  }

  Stream stream_;
  Shared* shared_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> parser_;
  MetricsResponse response_;
};

std::string Bracketed(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

absl::StatusOr<tcp::endpoint> Endpoint(const std::string& host, int port) {
  error_code ec;
  const std::string numeric = host == "localhost" ? "127.0.0.1" : host;
  const asio::ip::address address = asio::ip::make_address(numeric, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics-listen: '", host, "' is not an IP address (", ec.message(), ")"));
  }
  return tcp::endpoint(address, static_cast<unsigned short>(port));
}

}  // namespace

struct MetricsServer::Impl {
  Impl(std::shared_ptr<prometheus::Collectable> collectable,
       std::shared_ptr<const MetricsAuth> auth, std::unique_ptr<asio::ssl::context> tls_context)
      : shared{MetricsResponder(std::move(collectable), std::move(auth))},
        tls(std::move(tls_context)) {}

  absl::Status Listen(const tcp::endpoint& endpoint) {
    error_code ec;
    if (acceptor.open(endpoint.protocol(), ec); !ec) {
      acceptor.set_option(asio::socket_base::reuse_address(true), ec);
      if (endpoint.address().is_v6()) acceptor.set_option(asio::ip::v6_only(true), ec);
      ec = {};
      if (acceptor.bind(endpoint, ec); !ec)
        acceptor.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) return absl::UnavailableError(ec.message());
    return absl::OkStatus();
  }

  void Accept() {
    acceptor.async_accept([this](error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (ec) return RetryAcceptLater();  // out of descriptors: do not spin
      if (shared.connections >= kMaxConnections) {
        socket.close(ec);  // full: this client retries; those connected keep their slots
      } else {
        Serve(std::move(socket));
      }
      Accept();
    });
  }

  void RetryAcceptLater() {
    retry.expires_after(std::chrono::milliseconds(100));
    retry.async_wait([this](error_code ec) {
      if (!ec) Accept();
    });
  }

  void Serve(tcp::socket socket) {
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    beast::tcp_stream stream(std::move(socket));
    if (tls) {
      std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
          beast::ssl_stream<beast::tcp_stream>(std::move(stream), *tls), &shared)
          ->Start();
    } else {
      std::make_shared<Session<beast::tcp_stream>>(std::move(stream), &shared)->Start();
    }
  }

  // Declared in the order they must outlive each other: the sessions, freed with io's
  // pending handlers, use `shared` and `tls`.
  Shared shared;
  std::unique_ptr<asio::ssl::context> tls;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  asio::steady_timer retry{io};
  std::thread thread;
};

MetricsServer::MetricsServer() = default;

absl::Status CheckMetricsListen(const MetricsServerOptions& options) {
  std::string host;
  int port = 0;
  if (absl::Status s = ParseHostPort(options.listen, &host, &port); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--metrics-listen: ", s.message()));
  }
  if (absl::StatusOr<tcp::endpoint> e = Endpoint(host, port); !e.ok()) return e.status();
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return absl::InvalidArgumentError(
        "--metrics-tls-cert and --metrics-tls-key go together: give both");
  }
  const bool tls = !options.tls_cert.empty();
  const bool auth = !options.auth_file.empty();
  if (!IsLoopbackHost(host) && !(tls && auth)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "refusing to serve /metrics on ", options.listen,
        ": beyond loopback the metrics (serials, runs, state) need TLS and basic auth; give ",
        tls ? "" : "--metrics-tls-cert and --metrics-tls-key", tls || auth ? "" : " and ",
        auth ? "" : "--metrics-auth FILE", ", or listen on 127.0.0.1"));
  }
  if (auth) {
    if (absl::StatusOr<MetricsAuth> a = MetricsAuth::Load(options.auth_file); !a.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--metrics-auth: ", a.status().message()));
    }
  }
  if (tls) {
    if (auto context = LoadMetricsTls(options.tls_cert, options.tls_key); !context.ok()) {
      return context.status();
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
  absl::StatusOr<tcp::endpoint> endpoint = Endpoint(host, port);
  if (!endpoint.ok()) return endpoint.status();
  std::shared_ptr<const MetricsAuth> auth;
  if (!options.auth_file.empty()) {
    absl::StatusOr<MetricsAuth> loaded = MetricsAuth::Load(options.auth_file);
    if (!loaded.ok()) return loaded.status();
    auth = std::make_shared<const MetricsAuth>(*std::move(loaded));
  }
  std::unique_ptr<boost::asio::ssl::context> tls;
  if (!options.tls_cert.empty()) {
    auto loaded = LoadMetricsTls(options.tls_cert, options.tls_key);
    if (!loaded.ok()) return loaded.status();
    tls = *std::move(loaded);
  }
  const bool https = tls != nullptr;
  auto server = std::unique_ptr<MetricsServer>(new MetricsServer());
  server->impl_ = std::make_unique<Impl>(std::move(collectable), std::move(auth), std::move(tls));
  Impl& impl = *server->impl_;
  if (absl::Status s = impl.Listen(*endpoint); !s.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve /metrics on ", options.listen, ": ", s.message()));
  }
  server->address_ = absl::StrCat(Bracketed(host), ":", impl.acceptor.local_endpoint().port());
  server->url_ = absl::StrCat(https ? "https://" : "http://", server->address_, "/metrics");
  const std::string name = HostName();
  server->public_url_ = endpoint->address().is_unspecified() && !name.empty()
                            ? absl::StrCat(https ? "https://" : "http://", name, ":",
                                           impl.acceptor.local_endpoint().port(), "/metrics")
                            : server->url_;
  impl.Accept();
  impl.thread = std::thread([&impl] {
    // Handlers do not throw (every operation takes an error_code); a throw is a bug and
    // terminates, as on any other thread of rigd.
    impl.io.run();
  });
  return server;
}

MetricsServer::~MetricsServer() {
  if (!impl_) return;
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  // Open connections go with io's pending handlers when impl_ is destroyed.
}

}  // namespace rollrig::host
