#include "rig/sim/tcp_device_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace rollrig::sim {
namespace {

constexpr int64_t kSendWaitNs = 100'000'000;  // how long the sender waits for device output
constexpr size_t kSendChunk = 64 * 1024;

std::string ErrnoText(int err) { return std::string(std::strerror(err)); }

std::string PeerName(const sockaddr_storage& addr) {
  char host[NI_MAXHOST] = "?";
  char port[NI_MAXSERV] = "?";
  getnameinfo(reinterpret_cast<const sockaddr*>(&addr), sizeof(addr), host, sizeof(host), port,
              sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
  return addr.ss_family == AF_INET6 ? absl::StrCat("[", host, "]:", port)
                                    : absl::StrCat(host, ":", port);
}

// Splits "HOST:PORT" or "[V6HOST]:PORT".
absl::Status SplitAddress(const std::string& address, std::string* host, uint16_t* port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address \"", address, "\" is not HOST:PORT"));
  }
  *host = address.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  uint32_t value = 0;
  if (!absl::SimpleAtoi(address.substr(colon + 1), &value) || value > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address \"", address, "\" has no valid port (0..65535)"));
  }
  *port = static_cast<uint16_t>(value);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<TcpDeviceServer>> TcpDeviceServer::Listen(const std::string& address,
                                                                         DevicePipe* runner) {
  std::string host;
  uint16_t port = 0;
  if (absl::Status s = SplitAddress(address, &host, &port); !s.ok()) return s;

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port_text = std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), port_text.c_str(), &hints, &found); rc != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot resolve listen host \"", host, "\": ", gai_strerror(rc)));
  }
  const addrinfo* ai = found;
  const int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
  if (fd < 0) {
    const int err = errno;
    freeaddrinfo(found);
    return absl::InternalError(absl::StrCat("socket(): ", ErrnoText(err)));
  }
  // Lets a restarted rig-sim bind while old connections linger in TIME_WAIT. (Not
  // SO_REUSEPORT: a second live rig-sim on the same port must fail, not share it.)
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 4) != 0) {
    const int err = errno;
    freeaddrinfo(found);
    close(fd);
    const std::string what = absl::StrCat("cannot listen on ", address, ": ", ErrnoText(err));
    if (err == EADDRINUSE) {
      return absl::FailedPreconditionError(
          absl::StrCat(what, " (another rig-sim or program holds the port)"));
    }
    return absl::UnavailableError(what);
  }
  freeaddrinfo(found);

  sockaddr_storage bound{};
  socklen_t bound_len = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_len);
  const uint16_t bound_port = bound.ss_family == AF_INET6
                                  ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                  : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);

  int wake[2];
  if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    const int err = errno;
    close(fd);
    return absl::InternalError(absl::StrCat("pipe(): ", ErrnoText(err)));
  }
  return std::unique_ptr<TcpDeviceServer>(
      new TcpDeviceServer(fd, wake[0], wake[1], PeerName(bound), bound_port, runner));
}

TcpDeviceServer::TcpDeviceServer(int listen_fd, int wake_read_fd, int wake_write_fd,
                                 std::string bound, uint16_t port, DevicePipe* runner)
    : listen_fd_(listen_fd),
      wake_read_fd_(wake_read_fd),
      wake_write_fd_(wake_write_fd),
      bound_address_(std::move(bound)),
      port_(port),
      runner_(runner) {}

TcpDeviceServer::~TcpDeviceServer() {
  RequestStop();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (sender_.joinable()) sender_.join();
  if (host_fd_ >= 0) close(host_fd_);
  close(listen_fd_);
  close(wake_read_fd_);
  close(wake_write_fd_);
}

void TcpDeviceServer::RequestStop() {
  const char byte = 1;
  // Async-signal-safe; a full pipe already holds a wake-up, so a failed write is fine.
  [[maybe_unused]] ssize_t ignored = write(wake_write_fd_, &byte, 1);
}

absl::Status TcpDeviceServer::Serve() {
  sender_ = std::thread([this] { SendLoop(); });
  std::vector<uint8_t> buf(kSendChunk);
  absl::Status result = absl::OkStatus();
  for (;;) {
    pollfd fds[3] = {{wake_read_fd_, POLLIN, 0}, {listen_fd_, POLLIN, 0}, {-1, POLLIN, 0}};
    {
      std::lock_guard<std::mutex> lock(mu_);
      fds[2].fd = host_fd_;
    }
    if (poll(fds, fds[2].fd >= 0 ? 3 : 2, -1) < 0) {
      if (errno == EINTR) continue;
      result = absl::InternalError(absl::StrCat("poll(): ", ErrnoText(errno)));
      break;
    }
    if (fds[0].revents != 0) break;  // stop requested
    if (fds[1].revents & POLLIN) AcceptHost();
    if (fds[2].fd >= 0 && fds[2].revents != 0) {
      const ssize_t n = recv(fds[2].fd, buf.data(), buf.size(), 0);
      if (n > 0) {
        runner_->WriteFromHost(buf.data(), static_cast<size_t>(n));
      } else if (n == 0) {
        DropHost("closed the connection");
      } else if (errno != EINTR && errno != EAGAIN) {
        DropHost(std::strerror(errno));
      }
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (host_fd_ >= 0) DropHost("the simulator is shutting down");
  if (sender_.joinable()) sender_.join();
  return result;
}

void TcpDeviceServer::AcceptHost() {
  sockaddr_storage peer{};
  socklen_t peer_len = sizeof(peer);
  const int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &peer_len, SOCK_CLOEXEC);
  if (fd < 0) return;  // the peer gave up already, or a transient error: keep listening
  std::unique_lock<std::mutex> lock(mu_);
  if (host_fd_ >= 0) {
    std::fprintf(stderr,
                 "rig-sim: refused a connection from %s: host %s is connected (one host at a "
                 "time)\n",
                 PeerName(peer).c_str(), host_name_.c_str());
    close(fd);
    return;
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));  // acks and events promptly
  // A new host starts clean: nothing of the previous session's pipes reaches it.
  runner_->DiscardPipes();
  host_fd_ = fd;
  host_name_ = PeerName(peer);
  std::fprintf(stderr, "rig-sim: host connected from %s\n", host_name_.c_str());
  lock.unlock();
  cv_.notify_all();
}

void TcpDeviceServer::DropHost(const char* why) {
  std::unique_lock<std::mutex> lock(mu_);
  if (host_fd_ < 0) return;
  const int fd = host_fd_;
  host_fd_ = -1;
  shutdown(fd, SHUT_RDWR);  // wakes a sender blocked in send() on it
  cv_.wait(lock, [this] { return !sender_using_fd_; });
  close(fd);
  std::fprintf(stderr, "rig-sim: host %s %s; the device runs on (its watchdog stops the motors)\n",
               host_name_.c_str(), why);
  host_name_.clear();
}

void TcpDeviceServer::SendLoop() {
  std::vector<uint8_t> buf(kSendChunk);
  for (;;) {
    int fd;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || host_fd_ >= 0; });
      if (stopping_) return;
      fd = host_fd_;
      sender_using_fd_ = true;
    }
    // While no host is connected nothing is read, so the device backs up and drops
    // telemetry, as a real device with no USB host would.
    const size_t n = runner_->ReadToHost(buf.data(), buf.size(), kSendWaitNs);
    size_t sent = 0;
    while (sent < n) {
      const ssize_t k = send(fd, buf.data() + sent, n - sent, MSG_NOSIGNAL);
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) {
        shutdown(fd, SHUT_RDWR);  // the receive loop sees it and drops the host
        break;
      }
      sent += static_cast<size_t>(k);
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      sender_using_fd_ = false;
    }
    cv_.notify_all();
  }
}

}  // namespace rollrig::sim
