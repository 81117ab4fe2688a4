// What every rigctl command shares: the connection to rigd (address, TLS and token as
// host/client resolves them), the control lease (taken and released by itself for
// commands that move the rig, renewed while a command follows a run), one-line error
// reporting and the exit statuses.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <thread>

#include "grpcpp/grpcpp.h"
#include "host/client/client_settings.h"
#include "rig/base/user_identity.h"
#include "rollrig/v1/rig_service.grpc.pb.h"

namespace rollrig::host::rigctl {

// rigctl's exit statuses, one table (the README's "Exit status" repeats it). 0..3 are a
// verdict (run, attach, check; validate: 1 = the profile has errors); 4..8 say why a
// command did not do what was asked, so a script can tell them apart.
inline constexpr int kExitOk = 0;           // done; a run's PASS verdict
inline constexpr int kExitFail = 1;         // a run's FAIL verdict, a check that does not match
inline constexpr int kExitMarginal = 2;     // a run's MARGINAL verdict
inline constexpr int kExitAborted = 3;      // a run ABORTED or FAULTED
inline constexpr int kExitUsage = 4;        // bad arguments, options or client config
inline constexpr int kExitUnreachable = 5;  // no connection: address, TLS or certificate
inline constexpr int kExitRefused = 6;      // rigd or the device refused (control held, ...)
inline constexpr int kExitNotFound = 7;     // no such run, recording or file
inline constexpr int kExitDenied = 8;       // token missing, wrong or expired; role too low

// rigctl names itself to rigd as rollrig::UserAtHost() (rig/base/user_identity.h).
using rollrig::UserAtHost;

class Session {
 public:
  Session(client::ClientFlags flags, bool force, std::ostream& out, std::ostream& err);
  ~Session();  // releases the lease if held

  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }
  const std::string& addr() const { return settings_.addr; }

  // Connects, or says why not (which of address, certificate or token); failure() is
  // then the exit status.
  bool Connect();
  int failure() const { return failure_; }
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
  client::ClientFlags flags_;
  client::ClientSettings settings_;
  int failure_ = kExitOk;
  // Takes the control lease, by force if `force`.
  grpc::Status TakeLease(bool force);
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
