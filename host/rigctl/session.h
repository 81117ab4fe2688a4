// What every rigctl command shares: the connection to rigd, the control lease (taken and
// released by itself for commands that move the rig, renewed while a command follows a
// run), one-line error reporting and the exit statuses.
#pragma once

#include <atomic>
#include <memory>
#include <ostream>
#include <string>
#include <thread>

#include "grpcpp/grpcpp.h"
#include "rig/base/user_identity.h"
#include "rollrig/v1/rig_service.grpc.pb.h"

namespace rollrig::host::rigctl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRefused = 1;   // rigd or the device refused; a run's FAIL verdict
inline constexpr int kExitMarginal = 2;  // a run's MARGINAL verdict
inline constexpr int kExitAborted = 3;   // a run ABORTED or FAULTED
inline constexpr int kExitUsage = 4;     // bad arguments, rigd not reachable, no control

// rigctl names itself to rigd as rollrig::UserAtHost() (rig/base/user_identity.h).
using rollrig::UserAtHost;

class Session {
 public:
  Session(std::string addr, bool force, std::ostream& out, std::ostream& err);
  ~Session();  // releases the lease if held

  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }
  const std::string& addr() const { return addr_; }

  // Connects, or says why not ("cannot reach rigd at ...").
  bool Connect();
  rollrig::v1::RigService::Stub& stub() { return *stub_; }

  // Takes the control lease (with --force from its holder), or says who holds it.
  bool AcquireControl();
  // Keeps the lease alive from a background thread until Release.
  void KeepControl();
  void ReleaseControl();
  // A context with a deadline, carrying the lease token when held.
  std::unique_ptr<grpc::ClientContext> Context(int deadline_s = 10);

  // Prints "rigctl: WHAT refused: MESSAGE" (or a connection problem) and returns the exit
  // status for it.
  int Failed(const std::string& what, const grpc::Status& status);
  int Usage(const std::string& message);

 private:
  std::string addr_;
  bool force_;
  std::ostream& out_;
  std::ostream& err_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<rollrig::v1::RigService::Stub> stub_;
  std::string token_;
  std::atomic<bool> keep_running_{false};
  std::thread keeper_;
};

}  // namespace rollrig::host::rigctl
