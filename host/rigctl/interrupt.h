// Ctrl-C while rigctl follows a run, a stream of events or telemetry: counted, not fatal,
// so the command ends cleanly (a run stopped or detached, a stream closed, exit 0).
// One catcher at a time; it restores the previous SIGINT handling when it goes.
#pragma once

#include <signal.h>

#include <atomic>
#include <thread>

#include "grpcpp/grpcpp.h"

namespace rollrig::host::rigctl {

class InterruptCatcher {
 public:
  InterruptCatcher();
  ~InterruptCatcher();
  InterruptCatcher(const InterruptCatcher&) = delete;
  InterruptCatcher& operator=(const InterruptCatcher&) = delete;

  // Ctrl-C presses since the catcher was made.
  static int Count();

  // Cancels `ctx` at the first Ctrl-C, so a Read blocked on a quiet stream returns.
  // `ctx` must outlive the catcher.
  void CancelOnInterrupt(grpc::ClientContext* ctx);

 private:
  struct sigaction old_ {};
  std::atomic<bool> done_{false};
  std::thread canceller_;
};

}  // namespace rollrig::host::rigctl
