// rigd in this process for tests: a RigdApp on a free loopback port with a private runs
// directory, a gRPC stub, and the control lease taken so motion calls are accepted.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "grpcpp/grpcpp.h"
#include "host/rigd/rigd_app.h"
#include "rollrig/v1/rig_service.grpc.pb.h"

namespace rollrig::testing {

class RigStack {
 public:
  // `configure`, if given, changes rigd's config before it starts (e.g. uploads).
  // `speedup` > 1 runs the simulated device faster than real time (its watchdog is then
  // off, since rigd's heartbeats stay in real time). `rotate_after`: how long each
  // recording file of a run is. `adjust` may change the config last (e.g. metrics).
  explicit RigStack(const std::string& device_spec,
                    absl::Duration connect_timeout = absl::Seconds(10), double speedup = 1.0,
                    std::string runs_dir = "", bool resume_interrupted = false,
                    absl::Duration rotate_after = absl::Hours(1),
                    std::function<void(host::RigdConfig&)> adjust = {});
  ~RigStack();

  rollrig::v1::RigService::Stub* stub() { return stub_.get(); }
  host::RigdApp& app() { return *app_; }
  const absl::Status& started() const { return started_; }
  const absl::Status& connected() const { return connected_; }
  const std::string& runs_dir() const { return runs_dir_; }
  // Where rigd keeps a recording RunInfo names (clients see file names only).
  std::string RecordingPath(const std::string& name) const { return runs_dir_ + "/" + name; }

  // A context carrying this stack's lease token, speaking as `identity` (the stack's own
  // by default: the one that took the lease).
  std::unique_ptr<grpc::ClientContext> Context(int deadline_s = 10,
                                               const std::string& identity = "test@localhost");
  grpc::Status Jog(std::optional<double> rpm, std::optional<double> head = std::nullopt);
  // Starts a run with this stack's lease (as its identity); the gRPC error as a Status.
  absl::StatusOr<rollrig::v1::RunInfo> StartRun(const rollrig::v1::StartRunRequest& req);
  // The run `id` ("" = the active, else the newest), expected to be there.
  rollrig::v1::RunInfo GetRun(const std::string& id);
  grpc::Status EStop();
  grpc::Status Clear();
  rollrig::v1::RigStatus Status();

 private:
  std::unique_ptr<ScaledClock> clock_;
  std::string runs_dir_;
  bool own_runs_dir_ = false;
  std::unique_ptr<host::RigdApp> app_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<rollrig::v1::RigService::Stub> stub_;
  std::string lease_token_;
  absl::Status started_;
  absl::Status connected_;
};

// A fresh empty directory under /tmp; removed with its contents by RemoveTree.
std::string MakeTempDir();
void RemoveTree(const std::string& dir);

}  // namespace rollrig::testing
