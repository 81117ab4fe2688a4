// A rig-sim process (or anything speaking the device protocol) over TCP: "tcp:HOST:PORT".
//
// POSIX sockets with TCP_NODELAY (commands and heartbeats are small and must not wait
// for Nagle). Connect, Read and Write all wait with poll() and a timeout, never forever.
// A closed or reset connection is UNAVAILABLE "rig-sim at HOST:PORT closed the
// connection"; nothing raises SIGPIPE.
//
// Thread safety: as Transport. Open() and Read() belong to one thread; Write() may come
// from any thread (serialized); Close() from any thread wakes a blocked Open(), Read()
// or Write() at once. The socket itself is released by the next Open() or the
// destructor, so a concurrent Read() never touches a reused descriptor.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>

#include "absl/time/time.h"
#include "host/transport/transport.h"

namespace rollrig::host {

class TcpTransport final : public Transport {
 public:
  TcpTransport(std::string host, uint16_t port, absl::Duration connect_timeout = absl::Seconds(2),
               absl::Duration write_timeout = absl::Seconds(2));
  ~TcpTransport() override;
  TcpTransport(const TcpTransport&) = delete;
  TcpTransport& operator=(const TcpTransport&) = delete;

  absl::Status Open() override;
  absl::Status Write(const uint8_t* data, size_t n) override;
  absl::StatusOr<size_t> Read(uint8_t* buf, size_t cap, absl::Duration timeout) override;
  void Close() override;
  std::string Describe() const override;

 private:
  // "HOST:PORT" (IPv6 hosts in brackets), for messages.
  std::string Address() const;
  absl::Status ConnectTo(const std::string& host, uint16_t port, int* fd_out);
  absl::Status Closed() const;
  void DrainWakePipe();

  const std::string host_;
  const uint16_t port_;
  const absl::Duration connect_timeout_;
  const absl::Duration write_timeout_;
  // Close() writes a byte here; every poll() also watches the read end.
  int wake_pipe_[2] = {-1, -1};
  std::atomic<bool> closed_{true};
  std::mutex write_mu_;  // serializes Write(); Open() takes it to swap the socket
  std::mutex fd_mu_;     // guards fd_
  int fd_ = -1;
};

}  // namespace rollrig::host
