// Arming's settle wait before tare, and the bounded waits for rest, a cleared fault and
// standstill, in simulated time: a fake device and a SteppingClock (a wait jumps the time
// to its deadline), so timeouts of seconds elapse at once and exactly.
#include "host/runs/device_arming.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "rig/base/clock.h"

namespace rollrig::host {
namespace {

using rollrig::v1::HostMessage;
using ::testing::HasSubstr;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kS = 1'000'000'000;

// A device that answers from `snap`, changed by `evolve` at every look; records every
// command with the simulated time it was sent.
class FakeDevice final : public RunDevice {
 public:
  explicit FakeDevice(Clock* clock) : clock_(clock) {
    snap.connection = rollrig::v1::CONNECTION_STATE_CONNECTED;
    snap.state = rollrig::v1::DEVICE_STATE_IDLE;
  }
  DeviceSnapshot Snapshot() override {
    if (evolve) evolve(clock_->NowNanos(), &snap);
    return snap;
  }
  absl::Status Command(HostMessage msg) override {
    sent.push_back({msg.ShortDebugString(), clock_->NowNanos()});
    return answer ? answer(msg) : absl::OkStatus();
  }
  // When the first command whose text contains `what` was sent, or -1.
  int64_t SentAt(const std::string& what) const {
    for (const auto& [text, at] : sent) {
      if (text.find(what) != std::string::npos) return at;
    }
    return -1;
  }
  size_t Count(const std::string& what) const {
    size_t n = 0;
    for (const auto& [text, at] : sent) n += text.find(what) != std::string::npos;
    return n;
  }

  DeviceSnapshot snap;
  std::function<void(int64_t now_ns, DeviceSnapshot*)> evolve;
  std::function<absl::Status(const HostMessage&)> answer;
  std::vector<std::pair<std::string, int64_t>> sent;

 private:
  Clock* clock_;
};

class DeviceArmingTest : public ::testing::Test {
 protected:
  // Preload left at 40 N by a jog: the pad presses on the load cell.
  void LeavePreload() {
    device_.snap.preload_n_target = 40;
    device_.snap.have_last = true;
    device_.snap.last.preload_cmd_n = 40;
    device_.snap.last.force_n = 40;
  }
  // A program running at 40 rpm.
  void Spin() {
    device_.snap.state = rollrig::v1::DEVICE_STATE_ACTIVE;
    device_.snap.program_state = rollrig::v1::PROGRAM_STATE_RUNNING;
    device_.snap.have_last = true;
    device_.snap.last.roller_rpm = 40;
  }
  // The device at standstill from `at_ns` on.
  void StopsAt(int64_t at_ns) {
    device_.evolve = [at_ns](int64_t now, DeviceSnapshot* s) {
      if (now < at_ns) return;
      s->state = rollrig::v1::DEVICE_STATE_IDLE;
      s->program_state = rollrig::v1::PROGRAM_STATE_NONE;
      s->last.roller_rpm = 0;
    };
  }

  static constexpr int64_t kStart = 5 * kS;
  SteppingClock clock_{kStart};
  FakeDevice device_{&clock_};
  DeviceArming arming_{&device_, &clock_};
};

TEST_F(DeviceArmingTest, NothingToReleaseTaresAtOnce) {
  ASSERT_TRUE(arming_.ReleasePreloadAndTare().ok());
  ASSERT_EQ(device_.sent.size(), 1u);
  EXPECT_EQ(device_.SentAt("tare"), kStart);
}

TEST_F(DeviceArmingTest, AReleasedPreloadSettlesBeforeTheTare) {
  LeavePreload();
  // The force falls 0.5 s after the release.
  device_.evolve = [](int64_t now, DeviceSnapshot* s) {
    if (now < kStart + 500 * kMs) return;
    s->last.force_n = 1;
    s->last.preload_cmd_n = 0;
  };
  ASSERT_TRUE(arming_.ReleasePreloadAndTare().ok());
  EXPECT_EQ(device_.SentAt("set_preload"), kStart);
  // Seen released at the first look from 0.5 s on (every 20 ms), then 200 ms to settle.
  EXPECT_EQ(device_.SentAt("tare"), kStart + 500 * kMs + 200 * kMs);
  EXPECT_EQ(device_.sent.size(), 2u);
}

TEST_F(DeviceArmingTest, AForceThatNeverFallsIsWaitedForThreeSecondsThenTared) {
  LeavePreload();
  ASSERT_TRUE(arming_.ReleasePreloadAndTare().ok());
  EXPECT_EQ(device_.SentAt("tare"), kStart + 3 * kS + 200 * kMs);
}

TEST_F(DeviceArmingTest, AFailedTareSaysSo) {
  device_.answer = [](const HostMessage& m) {
    return m.has_tare() ? absl::FailedPreconditionError("busy") : absl::OkStatus();
  };
  absl::Status s = arming_.ReleasePreloadAndTare();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "tare: busy");
}

TEST_F(DeviceArmingTest, UploadsInPartsThenStartsAtTheFirstCycle) {
  std::vector<rollrig::v1::ProgramSegment> program(70);
  ASSERT_TRUE(arming_.Upload(42, program).ok());
  EXPECT_EQ(device_.Count("load_program"), 3u);  // 32 + 32 + 6
  ASSERT_TRUE(arming_.StartProgram(42, 3, 2).ok());
  EXPECT_THAT(device_.sent.back().first, HasSubstr("first_cycle: 3"));
  EXPECT_THAT(device_.sent.back().first, HasSubstr("cycles: 2"));
  EXPECT_EQ(clock_.NowNanos(), kStart);  // nothing waited
}

TEST_F(DeviceArmingTest, BringToRestStopsTheProgramAndWaitsForStandstill) {
  Spin();
  StopsAt(kStart + 2 * kS);
  ASSERT_TRUE(arming_.BringToRest().ok());
  EXPECT_EQ(device_.SentAt("stop_program"), kStart);
  EXPECT_EQ(clock_.NowNanos(), kStart + 2 * kS);
}

TEST_F(DeviceArmingTest, ADeviceThatNeverComesToRestTimesOutAfterTenSimulatedSeconds) {
  Spin();
  absl::Status s = arming_.BringToRest();
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(std::string(s.message()), HasSubstr("did not come to rest within 10s"));
  EXPECT_EQ(clock_.NowNanos(), kStart + 10 * kS);
}

TEST_F(DeviceArmingTest, ADeviceLostWhileComingToRestIsUnavailable) {
  Spin();
  device_.evolve = [](int64_t now, DeviceSnapshot* s) {
    if (now >= kStart + 1 * kS) s->connection = rollrig::v1::CONNECTION_STATE_DISCONNECTED;
  };
  EXPECT_EQ(arming_.BringToRest().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(clock_.NowNanos(), kStart + 1 * kS);
}

TEST_F(DeviceArmingTest, AJogIsStoppedToo) {
  device_.snap.state = rollrig::v1::DEVICE_STATE_ACTIVE;
  StopsAt(kStart + 100 * kMs);
  ASSERT_TRUE(arming_.BringToRest().ok());
  EXPECT_EQ(device_.Count("stop_program"), 0u);
  EXPECT_EQ(device_.Count("stop {"), 1u);
}

TEST_F(DeviceArmingTest, AtRestNothingIsSentNorWaited) {
  ASSERT_TRUE(arming_.BringToRest().ok());
  EXPECT_TRUE(device_.sent.empty());
  EXPECT_EQ(clock_.NowNanos(), kStart);
}

TEST_F(DeviceArmingTest, ClearingFaultsIsRetriedWhileTheDeviceRefuses) {
  // Refused (the device still brakes) for the first second.
  device_.answer = [this](const HostMessage&) {
    return clock_.NowNanos() < kStart + 1 * kS ? absl::FailedPreconditionError("busy")
                                               : absl::OkStatus();
  };
  ASSERT_TRUE(arming_.ClearFaults().ok());
  EXPECT_EQ(clock_.NowNanos(), kStart + 1 * kS);
  EXPECT_EQ(device_.Count("clear_faults"), 21u);  // every 50 ms, and the one that worked
}

TEST_F(DeviceArmingTest, ClearingFaultsGivesUpAfterFiveSimulatedSeconds) {
  device_.answer = [](const HostMessage&) { return absl::FailedPreconditionError("busy"); };
  absl::Status s = arming_.ClearFaults();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(clock_.NowNanos(), kStart + 5 * kS);
}

TEST_F(DeviceArmingTest, ClearingFaultsStopsAtALostDevice) {
  device_.answer = [](const HostMessage&) { return absl::UnavailableError("gone"); };
  EXPECT_EQ(arming_.ClearFaults().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(device_.Count("clear_faults"), 1u);
  EXPECT_EQ(clock_.NowNanos(), kStart);
}

TEST_F(DeviceArmingTest, StandstillIsWaitedForAtMostTheTimeout) {
  Spin();
  arming_.StopAndWaitForStandstill(absl::Seconds(5));
  EXPECT_EQ(device_.SentAt("stop_program"), kStart);
  EXPECT_EQ(clock_.NowNanos(), kStart + 5 * kS);
  StopsAt(kStart + 5 * kS + 300 * kMs);
  arming_.StopAndWaitForStandstill(absl::Seconds(5));
  EXPECT_EQ(clock_.NowNanos(), kStart + 5 * kS + 300 * kMs);
}

}  // namespace
}  // namespace rollrig::host
