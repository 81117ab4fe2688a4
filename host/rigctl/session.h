// What every rigctl command shares: the connection to rigd, the control lease (taken and
// released by itself for commands that move the rig, renewed while a command follows a
// run), one-line error reporting and the exit statuses.
#pragma once

#include <atomic>
#include <functional>
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

  // --force: take the lease from its holder (admin only), act on another's run.
  bool force() const { return force_; }

  // Sends a command that needs the control lease. A free lease is taken first; rigd checks
  // the command, the device and ownership before the lease, so a command refused for any
  // of those takes nothing from anyone. Refused for the lease alone (rigd says so in the
  // trailing metadata, not in words) and with --force, the lease is taken by force (rigd
  // allows it to admins only) and the command sent once more.
  grpc::Status Control(const std::function<grpc::Status(grpc::ClientContext*)>& call,
                       int deadline_s = 10);
  // Keeps the lease alive from a background thread until Release.
  void KeepControl();
  void ReleaseControl();
  // A context with a deadline, carrying who we are and the lease token when held.
  std::unique_ptr<grpc::ClientContext> Context(int deadline_s = 10);

  // Prints "rigctl: WHAT refused: MESSAGE" (or a connection problem) and returns the exit
  // status for it (kExitUsage when the last Control was refused for the lease).
  int Failed(const std::string& what, const grpc::Status& status);
  int Usage(const std::string& message);

 private:
  // Takes the control lease, by force if `force`.
  grpc::Status TakeLease(bool force);
  // Every call states the OS account on whose behalf rigctl acts: rigd's identity for a
  // loopback client without credentials.
  static void Identify(grpc::ClientContext* ctx);

  std::string addr_;
  bool force_;
  bool refused_for_lease_ = false;
  std::ostream& out_;
  std::ostream& err_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<rollrig::v1::RigService::Stub> stub_;
  std::string token_;
  std::atomic<bool> keep_running_{false};
  std::thread keeper_;
};

}  // namespace rollrig::host::rigctl
