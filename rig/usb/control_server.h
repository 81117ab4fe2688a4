// A line-oriented UNIX stream socket for scripted faults (rig-sim --usb --control PATH):
// each line a client sends is one command, answered by exactly one line from `handler`.
//
// Thread-safe: each connection is served on its own thread; the handler may be called
// from several at once. The destructor closes the socket, ends the connections, joins
// the threads and removes the socket file.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"

namespace rollrig::usb {

class ControlServer {
 public:
  // Gets one command line (without its newline), returns the reply line (without one).
  using Handler = std::function<std::string(const std::string& line)>;

  // Listens on `path` (a stale socket file there is replaced; any other file is an error).
  static absl::StatusOr<std::unique_ptr<ControlServer>> Start(const std::string& path,
                                                              Handler handler);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

 private:
  ControlServer(std::string path, int listen_fd, int wake_fd, int wake_write_fd, Handler handler);
  void AcceptLoop();
  void Serve(int fd);

  std::string path_;
  int listen_fd_;
  int wake_fd_;        // readable once the server stops
  int wake_write_fd_;  // closed to stop
  Handler handler_;
  std::mutex mu_;
  std::vector<int> connections_;
  std::vector<std::thread> threads_;
  std::thread accept_thread_;
};

}  // namespace rollrig::usb
