// Serves a device byte stream (a SimRunner, or a ReplayRunner playing a recording) over
// TCP: what rig-sim exposes in place of USB.
//
// One host at a time: a second concurrent connection is refused (closed at once, with a
// log line), because two hosts driving one rig is never what anyone wants. When the host
// goes, the device keeps running (its watchdog stops the motors) and the next connection
// starts from clean pipes.
//
// Threads: Serve() runs the accept/receive loop on the caller's thread and one sender
// thread of its own; RequestStop() may be called from any thread and is
// async-signal-safe (it writes one byte to a pipe).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rig/sim/device_pipe.h"
#include "rig/sim/sim_runner.h"  // the usual pipe

namespace rollrig::sim {

class TcpDeviceServer {
 public:
  // Binds and listens on "HOST:PORT" ("[::1]:7001" for IPv6; port 0 picks a free one).
  // A port already taken is FAILED_PRECONDITION naming the address; a malformed address
  // is INVALID_ARGUMENT. `runner` must outlive the server and be started by the caller.
  static absl::StatusOr<std::unique_ptr<TcpDeviceServer>> Listen(const std::string& address,
                                                                 DevicePipe* runner);
  ~TcpDeviceServer();
  TcpDeviceServer(const TcpDeviceServer&) = delete;
  TcpDeviceServer& operator=(const TcpDeviceServer&) = delete;

  // "127.0.0.1:7001", with the port actually bound.
  const std::string& bound_address() const { return bound_address_; }
  uint16_t port() const { return port_; }

  // Serves until RequestStop(). Returns an error only if the listening socket fails.
  absl::Status Serve();
  void RequestStop();

 private:
  TcpDeviceServer(int listen_fd, int wake_read_fd, int wake_write_fd, std::string bound,
                  uint16_t port, DevicePipe* runner);
  void AcceptHost();
  void DropHost(const char* why);
  void SendLoop();

  const int listen_fd_;
  const int wake_read_fd_;
  const int wake_write_fd_;
  const std::string bound_address_;
  const uint16_t port_;
  DevicePipe* const runner_;

  std::mutex mu_;
  std::condition_variable cv_;
  int host_fd_ = -1;              // the connected host, or -1
  std::string host_name_;         // its address, for logs
  bool sender_using_fd_ = false;  // the sender thread is inside a send() on host_fd_
  bool stopping_ = false;
  std::thread sender_;
};

}  // namespace rollrig::sim
