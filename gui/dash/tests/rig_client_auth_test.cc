// The dashboard against a rigd that refuses its token: the snapshot says plainly that an
// e-stop from here would be refused, and a press that rigd refuses says so too.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "gui/dash/rig_client.h"
#include "gui/dash/tests/fake_rigd.h"
#include "rollrig/v1/rig_service.grpc.pb.h"

namespace rollrig::gui {
namespace {

using ::testing::HasSubstr;

// Every call it answers is refused as rigd refuses a missing or revoked token.
class RefusingRig final : public rollrig::v1::RigService::Service {
 public:
  grpc::Status GetStatus(grpc::ServerContext*, const rollrig::v1::GetStatusRequest*,
                         rollrig::v1::RigStatus*) override {
    return Refuse();
  }
  grpc::Status EStop(grpc::ServerContext*, const rollrig::v1::EStopRequest*,
                     rollrig::v1::EStopResponse*) override {
    ++estops;
    return Refuse();
  }
  std::atomic<int> estops{0};

 private:
  static grpc::Status Refuse() {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "no valid token");
  }
};

TEST(RigClientAuthTest, ARefusedTokenSaysTheEStopWouldBeRefused) {
  RefusingRig rig;
  testing::FakeRigd rigd(&rig);
  ASSERT_GT(rigd.port(), 0);

  client::ClientSettings settings;
  settings.addr = rigd.addr();
  settings.token = "revoked";
  settings.token_from = "--token-file dash.token";
  SeriesSet series;
  RigClient client(settings, 0, &series);
  client.Start();
  ASSERT_TRUE(testing::Eventually([&] { return !client.Snapshot().estop_refused.empty(); }));
  const RigSnapshot snap = client.Snapshot();
  EXPECT_THAT(snap.estop_refused, HasSubstr("refused the token from --token-file dash.token"));
  EXPECT_NE(snap.link, LinkState::kConnected);

  client.EStop("test");
  ASSERT_TRUE(testing::Eventually([&] { return rig.estops.load() > 0; }))
      << "the press is still sent";
  ASSERT_TRUE(testing::Eventually([&] { return !client.Snapshot().action_message.empty(); }));
  EXPECT_FALSE(client.Snapshot().action_ok);
  EXPECT_THAT(client.Snapshot().action_message, HasSubstr("E-STOP"));
  EXPECT_EQ(client.estops_sent(), 0u);
  client.Stop();
}

}  // namespace
}  // namespace rollrig::gui
