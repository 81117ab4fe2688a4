#include "host/service/rig_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"

namespace rollrig::host {

bool IsLoopbackHost(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

// gRPC only logs why a bind failed; probing the port ourselves gives the user a clear
// reason. The probe uses SO_REUSEADDR like gRPC, so only a live listener makes it fail.
absl::Status ProbeListenPort(const std::string& host, int port) {
  if (port == 0) return absl::OkStatus();
  const bool v6 = host.find(':') != std::string::npos;
  int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::OkStatus();
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  int rc;
  if (v6) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET6, host.c_str(), &a.sin6_addr);
    rc = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host.c_str(), &a.sin_addr);
    rc = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  }
  const int err = errno;
  close(fd);
  if (rc != 0 && err == EADDRINUSE) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", host, ":", port,
                                               ": address already in use (is another rigd "
                                               "running on this port?)"));
  }
  return absl::OkStatus();
}

namespace {

// TLS with rigd's certificate; with a client CA, a client certificate is asked for and
// verified when given, so clients with a token need none.
std::shared_ptr<grpc::ServerCredentials> ServerCredentials(const std::optional<TlsServerPem>& tls) {
  if (!tls) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions ssl(tls->client_ca.empty()
                                            ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                            : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  ssl.pem_root_certs = tls->client_ca;
  ssl.pem_key_cert_pairs.push_back({tls->private_key, tls->cert_chain});
  return grpc::SslServerCredentials(ssl);
}

}  // namespace

absl::Status ParseHostPort(const std::string& address, std::string* host, int* port) {
  std::string h, p;
  if (!address.empty() && address[0] == '[') {
    const size_t close = address.find(']');
    if (close == std::string::npos || close + 1 >= address.size() || address[close + 1] != ':') {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid address '", address, "': expected [IPV6]:PORT"));
    }
    h = address.substr(1, close - 1);
    p = address.substr(close + 2);
  } else {
    const size_t colon = address.rfind(':');
    if (colon == std::string::npos || colon == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid address '", address, "': expected HOST:PORT"));
    }
    h = address.substr(0, colon);
    p = address.substr(colon + 1);
  }
  int value = -1;
  if (!absl::SimpleAtoi(p, &value) || value < 0 || value > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid port '", p, "' in '", address, "': expected 0..65535"));
  }
  *host = h;
  *port = value;
  return absl::OkStatus();
}

RigServer::RigServer(DeviceClient* device, RunManager* runs, LeaseManager* lease,
                     RigServerOptions options)
    : device_(device),
      runs_(runs),
      lease_(lease),
      options_(std::move(options)),
      pump_(absl::Milliseconds(10), options_.access) {}

RigServer::~RigServer() { Shutdown(); }

std::string RigServer::address() const {
  return host_.find(':') != std::string::npos ? absl::StrCat("[", host_, "]:", port_)
                                              : absl::StrCat(host_, ":", port_);
}

absl::Status CheckListenAddress(const RigServerOptions& options) {
  std::string host;
  int port = 0;
  if (absl::Status s = ParseHostPort(options.listen, &host, &port); !s.ok()) return s;
  if (!IsLoopbackHost(host) && (!options.tls || options.access == nullptr)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "refusing to listen on ", options.listen, " without ",
        !options.tls && options.access == nullptr ? "TLS and credentials"
        : !options.tls                            ? "TLS"
                                                  : "credentials",
        ": beyond loopback rigd needs TLS and credentials, or anyone on the network could "
        "drive the rig. Give --tls-cert FILE --tls-key FILE (TLS, with a server certificate "
        "from your lab CA) and --credentials FILE (who may do what), as the README's \"Remote "
        "use\" section shows; or listen on "
        "127.0.0.1"));
  }
  return ProbeListenPort(host, port);
}

absl::Status RigServer::Start() {
  int port = 0;
  if (absl::Status s = ParseHostPort(options_.listen, &host_, &port); !s.ok()) return s;
  if (absl::Status s = CheckListenAddress(options_); !s.ok()) return s;

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  service_ = std::make_unique<RigServiceImpl>(device_, &pump_, runs_, lease_, options_.access,
                                              options_.lab);
  grpc::ServerBuilder builder;
  // gRPC enables SO_REUSEPORT by default: two servers could then share the port.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  int selected = 0;
  builder.AddListeningPort(options_.listen, ServerCredentials(options_.tls), &selected);
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  if (!server_ || selected == 0) {
    server_.reset();
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options_.listen, ": the address is in use or not local"));
  }
  port_ = selected;
  server_->GetHealthCheckService()->SetServingStatus("", true);
  server_->GetHealthCheckService()->SetServingStatus("rollrig.v1.RigService", true);
  pump_.Start();
  return absl::OkStatus();
}

void RigServer::Shutdown(absl::Duration grace) {
  if (!server_) return;
  server_->GetHealthCheckService()->SetServingStatus(false);
  pump_.FinishAll(grpc::Status(grpc::StatusCode::UNAVAILABLE, "rigd is shutting down"), grace);
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(grace));
  server_->Wait();
  pump_.Stop();
  server_.reset();
}

}  // namespace rollrig::host
