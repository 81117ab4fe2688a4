// The dashboard's pause, resume and stop of a run: sent without the lease (the run's owner
// needs none), an admin's force and reason carried to rigd, and rigd's refusal (naming the
// owner) shown as the action's outcome.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "gui/dash/rig_client.h"
#include "rollrig/v1/rig_service.grpc.pb.h"

namespace rollrig::gui {
namespace {

using ::testing::HasSubstr;

// Keeps every run request; refuses one that is not forced, as rigd refuses a command on
// another identity's run.
class OwnedRunRig final : public rollrig::v1::RigService::Service {
 public:
  grpc::Status PauseRun(grpc::ServerContext*, const rollrig::v1::RunRequest* req,
                        rollrig::v1::RunInfo* out) override {
    return Take(*req, out);
  }
  grpc::Status StopRun(grpc::ServerContext*, const rollrig::v1::RunRequest* req,
                       rollrig::v1::RunInfo* out) override {
    return Take(*req, out);
  }
  std::vector<rollrig::v1::RunRequest> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  grpc::Status Take(const rollrig::v1::RunRequest& req, rollrig::v1::RunInfo* out) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(req);
    }
    if (!req.force()) {
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                          "run r-1 belongs to bob@bench; only bob@bench, or an admin with "
                          "--force, may stop it");
    }
    out->set_id("r-1");
    return grpc::Status::OK;
  }
  mutable std::mutex mu_;
  std::vector<rollrig::v1::RunRequest> requests_;
};

template <typename Predicate>
bool WaitUntil(Predicate done) {
  for (int i = 0; i < 300 && !done(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

TEST(RigClientRunCommandTest, AnotherIdentitysRunIsRefusedThenForcedWithTheReason) {
  OwnedRunRig rig;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&rig);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_GT(port, 0);
  client::ClientSettings settings;
  settings.addr = "127.0.0.1:" + std::to_string(port);
  RigClient client(settings, 0, nullptr);
  client.Start();

  client.StopRun();  // no lease asked for: rigd judges by the run's owner
  ASSERT_TRUE(WaitUntil([&] { return !client.Snapshot().action_message.empty(); }));
  EXPECT_FALSE(client.Snapshot().action_ok);
  EXPECT_THAT(client.Snapshot().action_message, HasSubstr("belongs to bob@bench"));

  client.PauseRun({.force = true, .reason = "bob is away; the DUT overheats"});
  ASSERT_TRUE(WaitUntil([&] { return rig.requests().size() == 2; }));
  const rollrig::v1::RunRequest forced = rig.requests()[1];
  EXPECT_TRUE(forced.force());
  EXPECT_EQ(forced.reason(), "bob is away; the DUT overheats");
  ASSERT_TRUE(WaitUntil([&] { return client.Snapshot().action_ok; }));
  EXPECT_THAT(client.Snapshot().action_message, HasSubstr("forced"));
  client.Stop();
  server->Shutdown();
}

}  // namespace
}  // namespace rollrig::gui
