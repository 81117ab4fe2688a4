#include "host/transport/tcp_transport.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace rollrig::host {
namespace {

int64_t MonotonicMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// poll() timeout in ms for what is left of `deadline_ms`.
int RemainingMs(int64_t deadline_ms) {
  const int64_t left = deadline_ms - MonotonicMs();
  return static_cast<int>(std::clamp<int64_t>(left, 0, 1'000'000));
}

bool SetNonBlocking(int fd) {
  const int flags = fcntl(fd, F_GETFL, 0);
  return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

}  // namespace

TcpTransport::TcpTransport(std::string host, uint16_t port, absl::Duration connect_timeout,
                           absl::Duration write_timeout)
    : host_(std::move(host)),
      port_(port),
      connect_timeout_(connect_timeout),
      write_timeout_(write_timeout) {
  if (pipe(wake_pipe_) == 0) {
    SetNonBlocking(wake_pipe_[0]);
    SetNonBlocking(wake_pipe_[1]);
    fcntl(wake_pipe_[0], F_SETFD, FD_CLOEXEC);
    fcntl(wake_pipe_[1], F_SETFD, FD_CLOEXEC);
  } else {
    wake_pipe_[0] = wake_pipe_[1] = -1;
  }
}

TcpTransport::~TcpTransport() {
  Close();
  if (fd_ >= 0) ::close(fd_);
  for (int fd : wake_pipe_) {
    if (fd >= 0) ::close(fd);
  }
}

std::string TcpTransport::Address() const {
  if (host_.find(':') != std::string::npos) return absl::StrCat("[", host_, "]:", port_);
  return absl::StrCat(host_, ":", port_);
}

std::string TcpTransport::Describe() const { return absl::StrCat("tcp:", Address()); }

absl::Status TcpTransport::Closed() const {
  return absl::UnavailableError(absl::StrCat("connection to rig-sim at ", Address(), " closed"));
}

void TcpTransport::DrainWakePipe() {
  uint8_t sink[64];
  while (wake_pipe_[0] >= 0 && ::read(wake_pipe_[0], sink, sizeof(sink)) > 0) {
  }
}

absl::Status TcpTransport::Open() {
  if (wake_pipe_[0] < 0) return absl::InternalError("tcp transport: could not create a pipe");
  DrainWakePipe();
  closed_.store(false, std::memory_order_release);
  {
    // Release the previous connection's socket; no Write() can be using it now.
    std::lock_guard<std::mutex> write_lock(write_mu_);
    std::lock_guard<std::mutex> lock(fd_mu_);
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int fd = -1;
  absl::Status status = ConnectTo(host_, port_, &fd);
  if (!status.ok()) return status;
  std::lock_guard<std::mutex> lock(fd_mu_);
  fd_ = fd;
  if (closed_.load(std::memory_order_acquire)) return Closed();
  return absl::OkStatus();
}

absl::Status TcpTransport::ConnectTo(const std::string& host, uint16_t port, int* fd_out) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* addrs = nullptr;
  const std::string port_text = absl::StrCat(port);
  const int gai = getaddrinfo(host.c_str(), port_text.c_str(), &hints, &addrs);
  if (gai != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot resolve rig-sim host '", host, "': ", gai_strerror(gai)));
  }
  const int64_t deadline_ms = MonotonicMs() + absl::ToInt64Milliseconds(connect_timeout_);
  std::string last_error = "no address";
  for (addrinfo* a = addrs; a != nullptr; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    SetNonBlocking(fd);
    int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd fds[2] = {{fd, POLLOUT, 0}, {wake_pipe_[0], POLLIN, 0}};
      int ready;
      do {
        ready = ::poll(fds, 2, RemainingMs(deadline_ms));
      } while (ready < 0 && errno == EINTR);
      if (fds[1].revents != 0) {
        ::close(fd);
        freeaddrinfo(addrs);
        return Closed();
      }
      if (ready == 0) {
        last_error = absl::StrCat("no answer within ", absl::FormatDuration(connect_timeout_));
        ::close(fd);
        continue;
      }
      int err = 0;
      socklen_t len = sizeof(err);
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      rc = err == 0 ? 0 : -1;
      errno = err;
    }
    if (rc != 0) {
      last_error = std::strerror(errno);
      ::close(fd);
      continue;
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    freeaddrinfo(addrs);
    *fd_out = fd;
    return absl::OkStatus();
  }
  freeaddrinfo(addrs);
  return absl::UnavailableError(
      absl::StrCat("no rig-sim at ", Address(), ": connect failed: ", last_error));
}

absl::Status TcpTransport::Write(const uint8_t* data, size_t n) {
  std::lock_guard<std::mutex> write_lock(write_mu_);
  int fd;
  {
    std::lock_guard<std::mutex> lock(fd_mu_);
    fd = fd_;
  }
  if (fd < 0 || closed_.load(std::memory_order_acquire)) return Closed();
  const int64_t deadline_ms = MonotonicMs() + absl::ToInt64Milliseconds(write_timeout_);
  size_t sent = 0;
  while (sent < n) {
    const ssize_t r = ::send(fd, data + sent, n - sent, MSG_NOSIGNAL);
    if (r > 0) {
      sent += static_cast<size_t>(r);
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd fds[2] = {{fd, POLLOUT, 0}, {wake_pipe_[0], POLLIN, 0}};
      const int ready = ::poll(fds, 2, RemainingMs(deadline_ms));
      if (ready < 0 && errno == EINTR) continue;
      if (fds[1].revents != 0) return Closed();
      if (ready == 0) {
        return absl::UnavailableError(absl::StrCat("rig-sim at ", Address(),
                                                   " stopped reading: write timed out after ",
                                                   absl::FormatDuration(write_timeout_)));
      }
      continue;
    }
    if (r < 0 && errno != EPIPE && errno != ECONNRESET) {
      return absl::UnavailableError(
          absl::StrCat("write to rig-sim at ", Address(), " failed: ", std::strerror(errno)));
    }
    return absl::UnavailableError(absl::StrCat("rig-sim at ", Address(), " closed the connection"));
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> TcpTransport::Read(uint8_t* buf, size_t cap, absl::Duration timeout) {
  int fd;
  {
    std::lock_guard<std::mutex> lock(fd_mu_);
    fd = fd_;
  }
  if (fd < 0 || closed_.load(std::memory_order_acquire)) return Closed();
  const int64_t deadline_ms = MonotonicMs() + absl::ToInt64Milliseconds(timeout);
  for (;;) {
    pollfd fds[2] = {{fd, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    const int ready = ::poll(fds, 2, RemainingMs(deadline_ms));
    if (ready < 0 && errno == EINTR) continue;
    if (fds[1].revents != 0) return Closed();
    if (ready == 0) return size_t{0};
    const ssize_t r = ::recv(fd, buf, cap, 0);
    if (r > 0) return static_cast<size_t>(r);
    if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (MonotonicMs() >= deadline_ms) return size_t{0};
      continue;
    }
    if (r == 0 || errno == ECONNRESET || errno == EPIPE) {
      return absl::UnavailableError(
          absl::StrCat("rig-sim at ", Address(), " closed the connection"));
    }
    return absl::UnavailableError(
        absl::StrCat("read from rig-sim at ", Address(), " failed: ", std::strerror(errno)));
  }
}

void TcpTransport::Close() {
  closed_.store(true, std::memory_order_release);
  if (wake_pipe_[1] >= 0) {
    const uint8_t byte = 1;
    [[maybe_unused]] const ssize_t r = ::write(wake_pipe_[1], &byte, 1);
  }
  // Tell the peer at once; the descriptor itself is released by Open() or the destructor.
  std::lock_guard<std::mutex> lock(fd_mu_);
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

}  // namespace rollrig::host
