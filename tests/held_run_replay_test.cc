// A run that lost its device and was HELD, judged again from its recording: the offline
// replay (`rigctl check`) must give the live run's verdict and cycle statistics. The
// device is the in-process simulator behind a fault-injecting "cable" that is unplugged
// mid-cycle and plugged in again, in real time.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "google/protobuf/util/message_differencer.h"
#include "host/check/recording_replay.h"
#include "host/device/device_client.h"
#include "host/runs/lease_manager.h"
#include "host/runs/run_manager.h"
#include "host/runs/run_store.h"
#include "host/transport/fault_injecting_transport.h"
#include "host/transport/sim_transport.h"
#include "rig/base/clock.h"

namespace rollrig {
namespace {

using google::protobuf::util::MessageDifferencer;
using host::RunActor;
using host::RunManager;
using rollrig::v1::CycleStats;
using rollrig::v1::RunInfo;
using ::testing::HasSubstr;

// 2 s a cycle. The force limit is exceeded in every cycle's hold and only recorded, so
// the verdict depends on exactly which samples were analysed; the cycle-statistic limit
// is checked once per complete cycle.
constexpr char kProfile[] = R"pb(
  name: "held"
  steps {
    segment {
      label: "up"
      duration_s: 0.5
      roller { ramp { from_rpm: 0 to_rpm: 40 } }
      preload { ramp { from_newtons: 0 to_newtons: 30 } }
    }
  }
  steps {
    segment {
      label: "hold"
      duration_s: 1
      roller { hold { rpm: 40 } }
      preload { hold { newtons: 30 } }
    }
  }
  steps {
    segment {
      label: "down"
      duration_s: 0.5
      roller { ramp { from_rpm: 40 to_rpm: 0 } }
      preload { ramp { from_newtons: 30 to_newtons: 0 } }
    }
  }
  limits { name: "force" signal: SIGNAL_FORCE_N max: 20 persist_s: 0.1 action: LIMIT_ACTION_RECORD }
  limits {
    name: "peak force"
    cycle_statistic: CYCLE_STATISTIC_PEAK_FORCE_N
    max: 200
    action: LIMIT_ACTION_FAIL
  }
)pb";

bool Eventually(const std::function<bool()>& pred, double timeout_s = 30) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(int(timeout_s * 1000));
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

class HeldRunReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char path[] = "/tmp/rollrig-held-replay-XXXXXX";
    ASSERT_NE(mkdtemp(path), nullptr);
    dir_ = path;
    sim::SimOptions o;
    o.seed = 7;
    o.serial = "SIM-0001";
    auto cable =
        std::make_unique<host::FaultInjectingTransport>(std::make_unique<host::SimTransport>(o));
    cable_ = cable.get();
    device_ = std::make_unique<host::DeviceClient>(std::move(cable), host::DeviceClientOptions{});
    device_->Start();
    ASSERT_TRUE(device_->WaitConnected(absl::Seconds(20)).ok());
    absl::StatusOr<std::unique_ptr<host::RunStore>> store = host::RunStore::Open(dir_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    lease_ = std::make_unique<host::LeaseManager>(&device_->events(), RealClock());
    runs_ = std::make_unique<RunManager>(device_.get(), store_.get(), lease_.get());
    runs_->Start();
  }
  void TearDown() override {
    runs_.reset();
    device_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  absl::StatusOr<RunInfo> Call(const std::function<void(RunManager::RunCallback)>& call) {
    std::promise<absl::StatusOr<RunInfo>> promise;
    call([&](absl::StatusOr<RunInfo> r) { promise.set_value(std::move(r)); });
    return promise.get_future().get();
  }
  std::string StartRun(rollrig::v1::DisconnectPolicy policy, uint32_t cycles) {
    rollrig::v1::StartRunRequest req;
    req.mutable_spec()->mutable_profile()->set_file_name("held.textproto");
    req.mutable_spec()->mutable_profile()->set_text(kProfile);
    req.mutable_spec()->set_cycles(cycles);
    req.mutable_spec()->set_on_disconnect(policy);
    absl::StatusOr<RunInfo> started = Call([&](RunManager::RunCallback done) {
      runs_->StartRun(req, RunActor{}, std::nullopt, std::move(done));
    });
    EXPECT_TRUE(started.ok()) << started.status();
    return started.ok() ? started->id() : "";
  }
  RunInfo Get(const std::string& id) {
    absl::StatusOr<RunInfo> r = runs_->Get(id);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : RunInfo();
  }
  bool WaitState(const std::string& id, rollrig::v1::RunState state, double timeout_s = 30) {
    return Eventually([&] { return Get(id).state() == state; }, timeout_s);
  }
  // Waits until the run is in segment `label` of cycle `cycle`, some way into it.
  void WaitInSegment(const std::string& id, uint32_t cycle, const std::string& label) {
    ASSERT_TRUE(Eventually([&] {
      const RunInfo r = Get(id);
      return r.state() == rollrig::v1::RUN_STATE_RUNNING && r.progress().cycle() == cycle &&
             r.progress().segment_label() == label;
    })) << "never reached cycle "
        << cycle << " segment " << label;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  // Pulls the cable for `outage`, then plugs it in again.
  void Unplug(const std::string& id, std::chrono::milliseconds outage) {
    cable_->SetDisconnected(true);
    ASSERT_TRUE(WaitState(id, rollrig::v1::RUN_STATE_HELD));
    std::this_thread::sleep_for(outage);
  }
  void Replug() { cable_->SetDisconnected(false); }
  RunInfo WaitEnded(const std::string& id) {
    RunInfo r;
    EXPECT_TRUE(Eventually(
        [&] {
          r = Get(id);
          return r.state() != rollrig::v1::RUN_STATE_RUNNING &&
                 r.state() != rollrig::v1::RUN_STATE_ARMING &&
                 r.state() != rollrig::v1::RUN_STATE_HELD;
        },
        60))
        << "the run did not end: " << r.state_reason();
    return r;
  }

  // The run's recording replayed, compared with what the live run said.
  check::ReplayedRun ExpectReplayMatchesLive(const RunInfo& live) {
    EXPECT_EQ(live.recordings_size(), 1) << "one recording file for a short run";
    if (live.recordings_size() < 1) return {};
    absl::StatusOr<check::ReplayedRun> replayed =
        check::ReplayRecordingAnalysis(live.recordings(0));
    EXPECT_TRUE(replayed.ok()) << replayed.status();
    if (!replayed.ok()) return {};
    EXPECT_EQ(replayed->verdict.verdict(), live.verdict().verdict());
    EXPECT_EQ(replayed->verdict.reason(), live.verdict().reason());
    std::string diff;
    MessageDifferencer differ;
    differ.ReportDifferencesToString(&diff);
    EXPECT_TRUE(differ.Compare(live.verdict(), replayed->verdict)) << diff;

    absl::StatusOr<std::vector<CycleStats>> cycles = runs_->GetCycles(live.id());
    EXPECT_TRUE(cycles.ok()) << cycles.status();
    if (!cycles.ok()) return *replayed;
    EXPECT_EQ(replayed->cycles.size(), cycles->size());
    for (size_t i = 0; i < std::min(cycles->size(), replayed->cycles.size()); ++i) {
      std::string cycle_diff;
      MessageDifferencer cycle_differ;
      cycle_differ.ReportDifferencesToString(&cycle_diff);
      EXPECT_TRUE(cycle_differ.Compare((*cycles)[i], replayed->cycles[i]))
          << "cycle " << (*cycles)[i].cycle() << ":\n"
          << cycle_diff;
    }
    return *replayed;
  }

  std::string dir_;
  host::FaultInjectingTransport* cable_ = nullptr;
  std::unique_ptr<host::DeviceClient> device_;
  std::unique_ptr<host::RunStore> store_;
  std::unique_ptr<host::LeaseManager> lease_;
  std::unique_ptr<RunManager> runs_;
};

// RESUME: lost in the middle of cycle 1, back after a second; cycle 1 restarts from its
// start and the run completes.
TEST_F(HeldRunReplayTest, ResumedRunReplaysToTheLiveVerdictAndCycles) {
  const std::string id = StartRun(rollrig::v1::DISCONNECT_POLICY_RESUME, 2);
  ASSERT_FALSE(id.empty());
  WaitInSegment(id, 1, "hold");
  Unplug(id, std::chrono::milliseconds(1000));
  Replug();
  const RunInfo live = WaitEnded(id);
  ASSERT_EQ(live.state(), rollrig::v1::RUN_STATE_COMPLETED) << live.state_reason();
  EXPECT_EQ(live.progress().disconnects(), 1u);
  // Held and resumed: not ended by the loss; the outage is reported as lost samples.
  EXPECT_EQ(live.verdict().verdict(), rollrig::v1::VERDICT_PASS) << live.verdict().reason();
  EXPECT_THAT(live.verdict().reason(), HasSubstr("recorded limit exceeded"));
  EXPECT_THAT(live.verdict().reason(), HasSubstr("lost in 1 gap"));

  const check::ReplayedRun replayed = ExpectReplayMatchesLive(live);
  EXPECT_EQ(replayed.holds, 1u);
  ASSERT_EQ(replayed.cycles.size(), 2u);
  // The restarted cycle 1 is its own: a whole 2 s cycle, not the interrupted part too.
  EXPECT_EQ(replayed.cycles[0].cycle(), 1u);
  EXPECT_NEAR(replayed.cycles[0].end_s() - replayed.cycles[0].start_s(), 2.0, 0.05);
  EXPECT_FALSE(replayed.partial_cycle.has_value());
}

// HOLD: lost in cycle 2 of 3 (cycle 1 complete before the loss), resumed by a person.
TEST_F(HeldRunReplayTest, HeldThenResumedRunReplaysToTheLiveVerdictAndCycles) {
  const std::string id = StartRun(rollrig::v1::DISCONNECT_POLICY_HOLD, 3);
  ASSERT_FALSE(id.empty());
  WaitInSegment(id, 2, "up");
  Unplug(id, std::chrono::milliseconds(500));
  Replug();
  // Back, brought to rest, and waiting for a person.
  ASSERT_TRUE(Eventually([&] {
    return Get(id).state() == rollrig::v1::RUN_STATE_HELD &&
           device_->Snapshot().connection == rollrig::v1::CONNECTION_STATE_CONNECTED;
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_TRUE(Eventually(
      [&] {
        return Call([&](RunManager::RunCallback done) {
                 runs_->ResumeRun(id, RunActor{}, std::move(done));
               })
            .ok();
      },
      20));
  const RunInfo live = WaitEnded(id);
  ASSERT_EQ(live.state(), rollrig::v1::RUN_STATE_COMPLETED) << live.state_reason();
  EXPECT_EQ(live.verdict().verdict(), rollrig::v1::VERDICT_PASS) << live.verdict().reason();

  const check::ReplayedRun replayed = ExpectReplayMatchesLive(live);
  EXPECT_EQ(replayed.holds, 1u);
  ASSERT_EQ(replayed.cycles.size(), 3u);
  for (uint32_t i = 0; i < 3; ++i) EXPECT_EQ(replayed.cycles[i].cycle(), i + 1);
}

// Stopped while held: ABORTED with the stop's reason, live and replayed alike.
TEST_F(HeldRunReplayTest, RunStoppedWhileHeldReplaysToTheLiveVerdict) {
  const std::string id = StartRun(rollrig::v1::DISCONNECT_POLICY_HOLD, 3);
  ASSERT_FALSE(id.empty());
  WaitInSegment(id, 2, "hold");
  Unplug(id, std::chrono::milliseconds(300));
  ASSERT_TRUE(Call([&](RunManager::RunCallback done) {
                runs_->StopRun(id, RunActor{.identity = "qa@bench"}, std::move(done));
              }).ok());
  const RunInfo live = WaitEnded(id);
  Replug();
  ASSERT_EQ(live.state(), rollrig::v1::RUN_STATE_ABORTED) << live.state_reason();
  EXPECT_EQ(live.verdict().verdict(), rollrig::v1::VERDICT_ABORTED);
  EXPECT_THAT(live.verdict().reason(), HasSubstr("stopped by qa@bench while held"));

  const check::ReplayedRun replayed = ExpectReplayMatchesLive(live);
  EXPECT_EQ(replayed.holds, 1u);
  EXPECT_EQ(replayed.cycles.size(), 1u);
}

}  // namespace
}  // namespace rollrig
