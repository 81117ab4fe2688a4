#include "tests/rig_stack.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "gtest/gtest.h"

namespace rollrig::testing {

std::string MakeTempDir() {
  char path[] = "/tmp/rollrig-test-XXXXXX";
  return mkdtemp(path) ? path : "";
}

void RemoveTree(const std::string& dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

RigStack::RigStack(const std::string& device_spec, absl::Duration connect_timeout, double speedup,
                   std::string runs_dir, bool resume_interrupted, absl::Duration rotate_after,
                   std::function<void(host::RigdConfig*)> configure)
    : runs_dir_(std::move(runs_dir)) {
  if (runs_dir_.empty()) {
    runs_dir_ = MakeTempDir();
    own_runs_dir_ = true;
  }
  host::RigdConfig config;
  config.device = device_spec;
  config.listen = "127.0.0.1:0";
  config.runs_dir = runs_dir_;
  config.resume_interrupted = resume_interrupted;
  config.recording_rotate_after = rotate_after;
  if (speedup != 1.0) {
    clock_ = std::make_unique<ScaledClock>(speedup);
    config.sim_clock = clock_.get();
    config.sim.firmware.watchdog_ms = 0;
    config.client.watchdog_ms = 0;
  }
  if (configure) configure(&config);
  app_ = std::make_unique<host::RigdApp>(config);
  started_ = app_->Start();
  EXPECT_TRUE(started_.ok()) << started_;
  if (!started_.ok()) return;
  connected_ = app_->device().WaitConnected(connect_timeout);
  channel_ = grpc::CreateChannel(app_->address(), grpc::InsecureChannelCredentials());
  stub_ = rollrig::v1::RigService::NewStub(channel_);
  absl::StatusOr<rollrig::v1::LeaseInfo> lease =
      app_->lease().Acquire("test@localhost", "tests", false, absl::Minutes(10));
  EXPECT_TRUE(lease.ok()) << lease.status();
  if (lease.ok()) lease_token_ = lease->token();
}

RigStack::~RigStack() {
  app_->Shutdown("test over");
  app_.reset();
  if (own_runs_dir_) RemoveTree(runs_dir_);
}

std::unique_ptr<grpc::ClientContext> RigStack::Context(int deadline_s) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("rollrig-lease", lease_token_);
  ctx->AddMetadata("rollrig-user", "test@localhost");  // the identity that holds the lease
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(deadline_s));
  return ctx;
}

grpc::Status RigStack::Jog(std::optional<double> rpm, std::optional<double> head) {
  rollrig::v1::JogRequest req;
  if (rpm) req.set_roller_rpm(*rpm);
  if (head) req.set_head_deg(*head);
  rollrig::v1::JogResponse resp;
  return stub_->Jog(Context().get(), req, &resp);
}

absl::StatusOr<rollrig::v1::RunInfo> RigStack::StartRun(const rollrig::v1::StartRunRequest& req) {
  rollrig::v1::RunInfo run;
  grpc::Status s = stub_->StartRun(Context(30).get(), req, &run);
  if (!s.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
  }
  return run;
}

rollrig::v1::RunInfo RigStack::GetRun(const std::string& id) {
  rollrig::v1::RunRequest req;
  req.set_id(id);
  rollrig::v1::RunInfo run;
  grpc::ClientContext ctx;
  EXPECT_TRUE(stub_->GetRun(&ctx, req, &run).ok());
  return run;
}

grpc::Status RigStack::EStop() {
  rollrig::v1::EStopRequest req;
  req.set_who("e2e test");
  req.set_reason("test");
  rollrig::v1::EStopResponse resp;
  grpc::ClientContext ctx;  // e-stop needs no lease
  return stub_->EStop(&ctx, req, &resp);
}

grpc::Status RigStack::Clear() {
  rollrig::v1::ClearFaultResponse resp;
  return stub_->ClearFault(Context().get(), rollrig::v1::ClearFaultRequest(), &resp);
}

rollrig::v1::RigStatus RigStack::Status() {
  grpc::ClientContext ctx;
  rollrig::v1::RigStatus st;
  EXPECT_TRUE(stub_->GetStatus(&ctx, rollrig::v1::GetStatusRequest(), &st).ok());
  return st;
}

}  // namespace rollrig::testing
