// The whole product on emulated USB, as a user runs it: `rig-sim --usb --control SOCKET
// -- rigd --device usb ...` in its own process tree, with a gRPC client and the
// emulator's control socket for scripted unplugs, resets and firmware hangs.
//
// Not thread-safe: one test thread drives it.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "rollrig/v1/rig_service.grpc.pb.h"
#include "tests/test_process.h"

namespace rollrig::testing {

struct EmulatedUsbRigOptions {
  std::vector<std::string> rig_sim_args;  // before "--", e.g. {"--unplugged"}
  std::string device_spec = "usb";        // rigd --device
  // The command rig-sim runs; empty = rigd on a free port. "{rigd}" and "{addr}" and
  // "{runs}" are replaced, for shell commands that start more than one process.
  std::vector<std::string> command;
  bool wait_connected = true;
};

class EmulatedUsbRig {
 public:
  explicit EmulatedUsbRig(EmulatedUsbRigOptions options = {});
  // SIGTERM to rig-sim (which forwards it to rigd), waits, then kills anything left in
  // rig-sim's process group (e.g. a process the command started in the background).
  ~EmulatedUsbRig();

  // Set when the rig did not come up; the test should stop.
  const std::string& error() const { return error_; }
  const std::string& addr() const { return addr_; }
  const std::string& runs_dir() const { return runs_dir_; }
  ChildProcess& rig_sim() { return *rig_sim_; }
  rollrig::v1::RigService::Stub* stub() { return stub_.get(); }

  // One command to the emulator's control socket; returns its reply line.
  std::string Control(const std::string& command);
  // A context carrying the lease (taken at start).
  std::unique_ptr<grpc::ClientContext> Context(int deadline_s = 10);
  rollrig::v1::RigStatus Status();
  // Polls until the device is connected (true) or the timeout passes.
  bool WaitConnected(double timeout_s);
  // The rigd process (rig-sim's child), for its memory use; -1 if not found.
  pid_t RigdPid() const;
  std::string Output() const;

 private:
  std::string addr_;
  std::string runs_dir_;
  std::string control_path_;
  std::string error_;
  std::unique_ptr<ChildProcess> rig_sim_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<rollrig::v1::RigService::Stub> stub_;
  std::string lease_token_;
};

// Resident set size of a process in kB (0 if it is gone).
long RssKb(pid_t pid);

}  // namespace rollrig::testing
