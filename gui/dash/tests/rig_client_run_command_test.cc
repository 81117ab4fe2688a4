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
#include "gui/dash/tests/fake_rigd.h"
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

TEST(RigClientRunCommandTest, AnotherIdentitysRunIsRefusedThenForcedWithTheReason) {
  OwnedRunRig rig;
  testing::FakeRigd rigd(&rig);
  ASSERT_GT(rigd.port(), 0);
  client::ClientSettings settings;
  settings.addr = rigd.addr();
  RigClient client(settings, 0, nullptr);
  client.Start();

  client.StopRun();  // no lease asked for: rigd judges by the run's owner
  ASSERT_TRUE(testing::Eventually([&] { return !client.Snapshot().action_message.empty(); }));
  EXPECT_FALSE(client.Snapshot().action_ok);
  EXPECT_THAT(client.Snapshot().action_message, HasSubstr("belongs to bob@bench"));

  client.PauseRun({.force = true, .reason = "bob is away; the DUT overheats"});
  ASSERT_TRUE(testing::Eventually([&] { return rig.requests().size() == 2; }));
  const rollrig::v1::RunRequest forced = rig.requests()[1];
  EXPECT_TRUE(forced.force());
  EXPECT_EQ(forced.reason(), "bob is away; the DUT overheats");
  ASSERT_TRUE(testing::Eventually([&] { return client.Snapshot().action_ok; }));
  EXPECT_THAT(client.Snapshot().action_message, HasSubstr("forced"));
  client.Stop();
}

}  // namespace
}  // namespace rollrig::gui
