#include "host/client/connection_diagnosis.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace rollrig::client {
namespace {

// The HTTP/2 client preface and an empty SETTINGS frame (RFC 9113, 3.4 and 6.5).
constexpr char kHttp2Preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\4\0\0\0\0\0";
constexpr size_t kHttp2PrefaceBytes = sizeof(kHttp2Preface) - 1;
constexpr uint8_t kHttp2SettingsFrame = 0x04;

std::pair<std::string, std::string> SplitHostPort(const std::string& addr) {
  const size_t colon = addr.rfind(':');
  std::string host = addr.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  return {host, colon == std::string::npos ? "" : addr.substr(colon + 1)};
}

int MillisLeft(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// A connected socket to one of addr's addresses, or -1.
int ConnectTo(const std::string& addr, std::chrono::steady_clock::time_point deadline) {
  auto [host, port] = SplitHostPort(addr);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0) return -1;
  int connected = -1;
  for (addrinfo* a = found; a != nullptr && connected < 0; a = a->ai_next) {
    const int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
      connected = fd;
      break;
    }
    pollfd p{fd, POLLOUT, 0};
    int error = 0;
    socklen_t len = sizeof(error);
    if (errno == EINPROGRESS && poll(&p, 1, MillisLeft(deadline)) == 1 &&
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) == 0 && error == 0) {
      connected = fd;
    } else {
      close(fd);
    }
  }
  freeaddrinfo(found);
  return connected;
}

std::string Host(const std::string& addr) { return SplitHostPort(addr).first; }

std::string TokenHint() {
  const std::string config = DefaultClientConfigPath();
  return absl::StrCat("give one with --token-file FILE, ", kTokenEnv, " or token-file in ",
                      config.empty() ? "the client config" : config);
}

}  // namespace

PortAnswer ProbePort(const std::string& addr, double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));
  const int fd = ConnectTo(addr, deadline);
  if (fd < 0) return PortAnswer::kNothing;
  (void)send(fd, kHttp2Preface, kHttp2PrefaceBytes, MSG_NOSIGNAL);
  // A plaintext HTTP/2 server answers with its SETTINGS frame; a TLS server sends an alert
  // or closes, as the preface is no ClientHello.
  uint8_t head[9];
  size_t got = 0;
  while (got < sizeof(head)) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, MillisLeft(deadline)) != 1) break;
    const ssize_t n = recv(fd, head + got, sizeof(head) - got, 0);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  close(fd);
  return got == sizeof(head) && head[3] == kHttp2SettingsFrame ? PortAnswer::kPlaintextGrpc
                                                               : PortAnswer::kNotPlaintext;
}

std::string DescribeConnectFailure(const ClientSettings& s) {
  switch (ProbePort(s.addr, 2.0)) {
    case PortAnswer::kNothing:
      return absl::StrCat("cannot reach rigd at ", s.addr, " (", s.addr_from,
                          "): nothing accepts connections there; is rigd running and the "
                          "address right? (start it with: rigd --device sim)");
    case PortAnswer::kPlaintextGrpc:
      if (s.tls()) {
        return absl::StrCat("rigd at ", s.addr, " speaks plaintext, not TLS, so the TLS ",
                            "handshake cannot start: drop the CA (", s.ca_from, " ", s.ca_file,
                            "; --tls-ca none) or start rigd with --tls-cert and --tls-key");
      }
      return absl::StrCat("cannot reach rigd at ", s.addr, " (", s.addr_from,
                          "): a gRPC server answers but the connection failed");
    case PortAnswer::kNotPlaintext:
      if (!s.tls()) {
        return absl::StrCat("rigd at ", s.addr, " (", s.addr_from, ") does not answer ",
                            "plaintext gRPC: it wants TLS; give the CA certificate that signed ",
                            "its certificate with --tls-ca FILE (or tls-ca in the client config)");
      }
      return absl::StrCat("TLS handshake with rigd at ", s.addr, " failed: its certificate is ",
                          "not signed by the CA in ", s.ca_file, " (", s.ca_from,
                          "), or is not issued for '", Host(s.addr),
                          "' (its subjectAltName); check the CA certificate and the address");
  }
  return "";
}

Failure DescribeCallFailure(const grpc::Status& status, const ClientSettings& s) {
  const std::string said = status.error_message().empty()
                               ? absl::StrCat("gRPC status ", static_cast<int>(status.error_code()))
                               : status.error_message();
  switch (status.error_code()) {
    case grpc::StatusCode::UNAUTHENTICATED:
      if (s.token.empty()) {
        return {FailureKind::kUnauthenticated,
                absl::StrCat("rigd at ", s.addr, " wants a token (UNAUTHENTICATED: ", said, "); ",
                             TokenHint())};
      }
      return {FailureKind::kUnauthenticated,
              absl::StrCat("rigd at ", s.addr, " refused the token from ", s.token_from,
                           " (UNAUTHENTICATED: ", said, "): it is wrong, revoked or expired")};
    case grpc::StatusCode::PERMISSION_DENIED:
      return {
          FailureKind::kPermissionDenied,
          absl::StrCat("permission denied: ", said,
                       s.token.empty() ? "" : absl::StrCat(" (token from ", s.token_from, ")"))};
    case grpc::StatusCode::NOT_FOUND:
      return {FailureKind::kNotFound, said};
    case grpc::StatusCode::UNAVAILABLE:
      // rigd says UNAVAILABLE itself when the device is gone: that is a refusal.
      if (!absl::StrContains(said, "device")) {
        return {FailureKind::kUnreachable, DescribeConnectFailure(s)};
      }
      return {FailureKind::kRefused, said};
    default:
      return {FailureKind::kRefused, said};
  }
}

}  // namespace rollrig::client
