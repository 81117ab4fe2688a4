// Runs through rigd's gRPC API on the simulated massager, run faster than real time:
// clean passes, injected faults, limits, pause/resume, durations and the control lease
// (interrupted runs: resumed_run_test.cc). The verdicts are checked in device time;
// wall-clock waits have generous margins.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <memory>
#include <thread>

#include "host/check/recording_replay.h"
#include "host/run_model/verdict_line.h"
#include "tests/rig_stack.h"
#include "tests/short_profile.h"

namespace rollrig {
namespace {

using rollrig::v1::RunInfo;
using ::testing::AnyOf;
using ::testing::HasSubstr;
using testing::RigStack;

// Faster than real time, but with margin: a starved process on a loaded machine must
// still see every segment it waits for.
constexpr double kSpeedup = 2.0;

class RunsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rig_ = std::make_unique<RigStack>("sim", absl::Seconds(10), Speedup());
    ASSERT_TRUE(rig_->connected().ok()) << rig_->connected();
  }
  virtual double Speedup() const { return kSpeedup; }

  absl::StatusOr<RunInfo> Start(uint32_t cycles, double duration_s = 0) {
    rollrig::v1::StartRunRequest req = testing::ShortRunRequest(cycles);
    req.mutable_spec()->set_duration_s(duration_s);
    req.mutable_spec()->set_dut_serial("DUT-7");
    return rig_->StartRun(req);
  }

  RunInfo Get(const std::string& id) { return rig_->GetRun(id); }

  static bool Active(const RunInfo& r) {
    return r.state() == rollrig::v1::RUN_STATE_RUNNING ||
           r.state() == rollrig::v1::RUN_STATE_PAUSED || r.state() == rollrig::v1::RUN_STATE_ARMING;
  }

  // Waits (wall clock, generous) for the run to end.
  RunInfo WaitEnd(const std::string& id, double timeout_s = 60) {
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(static_cast<int>(timeout_s * 1000));
    RunInfo run = Get(id);
    while (Active(run) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      run = Get(id);
    }
    return run;
  }

  // Waits until the run's elapsed device time reaches `t_s`.
  void WaitElapsed(const std::string& id, double t_s) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (Get(id).progress().elapsed_s() < t_s && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  grpc::Status Inject(rollrig::v1::InjectedFault f, bool active) {
    rollrig::v1::InjectFaultRequest req;
    req.set_fault(f);
    req.set_active(active);
    rollrig::v1::InjectFaultResponse resp;
    grpc::ClientContext ctx;  // needs no lease
    return rig_->stub()->InjectFault(&ctx, req, &resp);
  }

  std::unique_ptr<RigStack> rig_;
};

// Tests that inject a fault at a moment of the profile and must not miss it run in real
// time, so a busy machine's delays stay small against the profile's seconds.
class RealTimeRunsTest : public RunsTest {
 protected:
  double Speedup() const override { return 1.0; }

  // Waits until the run is in `segment` of `cycle` (by its own progress).
  void WaitFor(const std::string& id, uint32_t cycle, int32_t segment) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    for (;;) {
      RunInfo r = Get(id);
      if ((r.progress().cycle() == cycle && r.progress().segment() == segment) || !Active(r) ||
          std::chrono::steady_clock::now() > deadline) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
};

// A run of a profile file tells its profile text, as a preset run does: in StartRun's
// answer, GetRun, and the first and last messages of WatchRun (what `rigctl run FILE
// --json` prints), so a dashboard learns the limits of any run.
TEST_F(RunsTest, ProfileFileRunCarriesItsTextThroughWatchRun) {
  absl::StatusOr<RunInfo> started = Start(1);
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_EQ(started->spec().profile().text(), testing::kShortProfile);
  EXPECT_EQ(Get(started->id()).spec().profile().text(), testing::kShortProfile);
  rollrig::v1::RunRequest req;
  req.set_id(started->id());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  auto reader = rig_->stub()->WatchRun(&ctx, req);
  std::vector<RunInfo> messages;
  RunInfo info;
  while (reader->Read(&info)) messages.push_back(info);
  ASSERT_TRUE(reader->Finish().ok());
  ASSERT_GE(messages.size(), 3u);
  EXPECT_EQ(messages.front().spec().profile().text(), testing::kShortProfile);
  EXPECT_EQ(messages.back().state(), rollrig::v1::RUN_STATE_COMPLETED);
  EXPECT_EQ(messages.back().spec().profile().text(), testing::kShortProfile);
  EXPECT_TRUE(messages[1].spec().profile().text().empty()) << "progress updates leave it out";
}

TEST_F(RunsTest, CleanRunPassesWithExactCyclesAndStatistics) {
  absl::StatusOr<RunInfo> started = Start(3);
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_EQ(started->state(), rollrig::v1::RUN_STATE_RUNNING);
  EXPECT_EQ(started->profile_name(), "short");
  EXPECT_EQ(started->profile_hash().size(), 64u);
  EXPECT_DOUBLE_EQ(started->cycle_s(), 4.0);
  RunInfo run = WaitEnd(started->id());
  EXPECT_EQ(run.state(), rollrig::v1::RUN_STATE_COMPLETED) << run.state_reason();
  EXPECT_EQ(run.verdict().verdict(), rollrig::v1::VERDICT_PASS) << run.verdict().reason();
  EXPECT_EQ(run.progress().cycles_completed(), 3u);
  EXPECT_NEAR(run.progress().elapsed_s(), 12.0, 0.2);
  EXPECT_EQ(run.spec().dut_serial(), "DUT-7");
  EXPECT_FALSE(run.firmware_version().empty());

  rollrig::v1::GetCyclesRequest creq;
  creq.set_id(run.id());
  rollrig::v1::GetCyclesResponse cycles;
  grpc::ClientContext ctx;
  ASSERT_TRUE(rig_->stub()->GetCycles(&ctx, creq, &cycles).ok());
  ASSERT_EQ(cycles.cycles_size(), 3);
  for (int i = 0; i < 3; ++i) {
    const auto& c = cycles.cycles(i);
    EXPECT_EQ(c.cycle(), static_cast<uint32_t>(i + 1));
    EXPECT_NEAR(c.end_s() - c.start_s(), 4.0, 0.01);
    EXPECT_GT(c.peak_torque_nm(), 0.05);  // rolling resistance at 30 N: 0.15 N·m
    EXPECT_LT(c.peak_torque_nm(), 0.5);
    EXPECT_NEAR(c.peak_force_n(), 30, 2);
    EXPECT_LT(c.speed_rms_error_rpm(), 2.0);
  }
}

TEST_F(RealTimeRunsTest, InjectedStallAbortsNamingTorqueCycleAndSegment) {
  absl::StatusOr<RunInfo> started = Start(3);
  ASSERT_TRUE(started.ok()) << started.status();
  WaitFor(started->id(), 2, 1);  // cycle 2, segment "hold" (2 s long)
  ASSERT_TRUE(Inject(rollrig::v1::INJECTED_FAULT_STALL, true).ok());
  RunInfo run = WaitEnd(started->id());
  EXPECT_THAT(run.state(), AnyOf(rollrig::v1::RUN_STATE_ABORTED, rollrig::v1::RUN_STATE_FAULTED));
  EXPECT_EQ(run.verdict().verdict(), rollrig::v1::VERDICT_ABORTED);
  EXPECT_THAT(run.verdict().reason(), AnyOf(HasSubstr("stall"), HasSubstr("torque")));
  EXPECT_THAT(run.verdict().reason(), HasSubstr("cycle 2"));
  EXPECT_THAT(run.verdict().reason(), HasSubstr("hold"));
  EXPECT_LT(run.progress().cycles_completed(), 3u);
  ASSERT_TRUE(Inject(rollrig::v1::INJECTED_FAULT_STALL, false).ok());
}

TEST_F(RealTimeRunsTest, OverTemperatureFailsTheRun) {
  absl::StatusOr<RunInfo> started = Start(2);
  ASSERT_TRUE(started.ok()) << started.status();
  WaitElapsed(started->id(), 1.0);
  // The winding heats ~30 K/s while cooling is lost: past the 60 °C soft limit, then
  // restored (as soon as it reads 65 °C) well before the device's 100 °C hard limit.
  ASSERT_TRUE(Inject(rollrig::v1::INJECTED_FAULT_OVER_TEMPERATURE, true).ok());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (rig_->Status().last().temp_c() < 65 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(Inject(rollrig::v1::INJECTED_FAULT_OVER_TEMPERATURE, false).ok());
  RunInfo run = WaitEnd(started->id());
  EXPECT_EQ(run.state(), rollrig::v1::RUN_STATE_COMPLETED) << run.state_reason();
  EXPECT_EQ(run.verdict().verdict(), rollrig::v1::VERDICT_FAIL) << run.verdict().reason();
  EXPECT_THAT(run.verdict().reason(), HasSubstr("temp"));
}

TEST_F(RunsTest, DoorOpeningEStopsTheRun) {
  absl::StatusOr<RunInfo> started = Start(2);
  ASSERT_TRUE(started.ok()) << started.status();
  WaitElapsed(started->id(), 2.0);
  ASSERT_TRUE(Inject(rollrig::v1::INJECTED_FAULT_DOOR_OPEN, true).ok());
  RunInfo run = WaitEnd(started->id());
  EXPECT_EQ(run.state(), rollrig::v1::RUN_STATE_FAULTED) << run.state_reason();
  EXPECT_EQ(run.verdict().verdict(), rollrig::v1::VERDICT_ABORTED);
  EXPECT_THAT(run.verdict().reason(), HasSubstr("door"));
  rollrig::v1::RigStatus st = rig_->Status();
  EXPECT_THAT(std::vector<std::string>(st.fault_names().begin(), st.fault_names().end()),
              ::testing::Contains("door-open"));
  ASSERT_TRUE(Inject(rollrig::v1::INJECTED_FAULT_DOOR_OPEN, false).ok());
  EXPECT_TRUE(rig_->Clear().ok());
}

TEST_F(RunsTest, PauseHoldsSafelyAndResumeContinuesWithoutAJump) {
  absl::StatusOr<RunInfo> started = Start(1);
  ASSERT_TRUE(started.ok()) << started.status();
  WaitElapsed(started->id(), 2.0);
  rollrig::v1::RunRequest req;
  req.set_id(started->id());
  RunInfo paused;
  ASSERT_TRUE(rig_->stub()->PauseRun(rig_->Context().get(), req, &paused).ok());
  EXPECT_EQ(paused.state(), rollrig::v1::RUN_STATE_PAUSED);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // ~3 s of device time
  rollrig::v1::RigStatus st = rig_->Status();
  EXPECT_LT(std::fabs(st.last().roller_rpm()), 1.0) << "paused: the roller rests";
  const double elapsed_paused = Get(started->id()).progress().elapsed_s();
  RunInfo resumed;
  ASSERT_TRUE(rig_->stub()->ResumeRun(rig_->Context().get(), req, &resumed).ok());
  EXPECT_EQ(resumed.state(), rollrig::v1::RUN_STATE_RUNNING);
  RunInfo run = WaitEnd(started->id());
  EXPECT_EQ(run.state(), rollrig::v1::RUN_STATE_COMPLETED) << run.state_reason();
  EXPECT_EQ(run.verdict().verdict(), rollrig::v1::VERDICT_PASS) << run.verdict().reason();
  EXPECT_EQ(run.progress().cycles_completed(), 1u);
  // Program time stood still while paused: the cycle still lasted 4 s of program time,
  // and the whole run took longer by the pause.
  EXPECT_GT(run.progress().elapsed_s(), elapsed_paused);
  EXPECT_GT(run.progress().elapsed_s(), 4.0 + 1.0);
}

TEST_F(RunsTest, DurationStopsAtTheFirstCycleBoundaryAfterIt) {
  absl::StatusOr<RunInfo> started = Start(0, 5.0);
  ASSERT_TRUE(started.ok()) << started.status();
  RunInfo run = WaitEnd(started->id());
  EXPECT_EQ(run.state(), rollrig::v1::RUN_STATE_COMPLETED) << run.state_reason();
  EXPECT_EQ(run.progress().cycles_completed(), 2u);
  EXPECT_EQ(run.verdict().verdict(), rollrig::v1::VERDICT_PASS) << run.verdict().reason();
}

TEST_F(RunsTest, StopRampsDownAndTheVerdictSaysWho) {
  absl::StatusOr<RunInfo> started = Start(3);
  ASSERT_TRUE(started.ok()) << started.status();
  WaitElapsed(started->id(), 2.0);
  rollrig::v1::RunRequest req;
  req.set_id(started->id());
  RunInfo stopping;
  ASSERT_TRUE(rig_->stub()->StopRun(rig_->Context().get(), req, &stopping).ok());
  RunInfo run = WaitEnd(started->id());
  EXPECT_EQ(run.state(), rollrig::v1::RUN_STATE_ABORTED);
  EXPECT_EQ(run.verdict().verdict(), rollrig::v1::VERDICT_ABORTED);
  EXPECT_THAT(run.verdict().reason(), HasSubstr("stopped by test@localhost"));
  EXPECT_LT(std::fabs(rig_->Status().last().roller_rpm()), 1.0);
  // The recording replays to the live verdict line: the stop is an event of the run.
  ASSERT_EQ(run.recordings_size(), 1);
  absl::StatusOr<check::ReplayedRun> replayed =
      check::ReplayRecordingAnalysis(rig_->RecordingPath(run.recordings(0)));
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(run_model::VerdictLine(replayed->verdict, replayed->state, replayed->state_reason),
            run_model::VerdictLine(run.verdict(), run.state(), run.state_reason()));
}

TEST_F(RunsTest, OneRunAtATimeAndBadProfilesAreRefusedWithPositions) {
  absl::StatusOr<RunInfo> first = Start(2);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<RunInfo> second = Start(1);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(second.status().message()), HasSubstr(first->id()));
  // Jogging during a run is refused too.
  grpc::Status jog = rig_->Jog(10);
  EXPECT_EQ(jog.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(jog.error_message(), HasSubstr("run"));
  WaitEnd(first->id());

  rollrig::v1::StartRunRequest bad;
  bad.mutable_spec()->mutable_profile()->set_file_name("bad.textproto");
  bad.mutable_spec()->mutable_profile()->set_text(
      "name: \"bad\"\nsteps { segment { duration_s: 1 roller { hold { rpm: 500 } } } }\n");
  RunInfo run;
  grpc::Status s = rig_->stub()->StartRun(rig_->Context().get(), bad, &run);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("bad.textproto:2:"));
  EXPECT_THAT(s.error_message(), HasSubstr("rpm"));
}

TEST_F(RunsTest, LeaseRulesObserversCannotMoveAnyoneCanEStop) {
  auto channel = grpc::CreateChannel(rig_->app().address(), grpc::InsecureChannelCredentials());
  auto observer = rollrig::v1::RigService::NewStub(channel);
  {
    grpc::ClientContext ctx;
    rollrig::v1::JogRequest jog;
    jog.set_roller_rpm(10);
    rollrig::v1::JogResponse resp;
    grpc::Status s = observer->Jog(&ctx, jog, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_THAT(s.error_message(), HasSubstr("test@localhost"));
  }
  {
    grpc::ClientContext ctx;
    rollrig::v1::StartRunRequest req;
    req.mutable_spec()->mutable_profile()->set_preset("swedish");
    RunInfo run;
    EXPECT_EQ(observer->StartRun(&ctx, req, &run).error_code(),
              grpc::StatusCode::FAILED_PRECONDITION);
  }
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("rollrig-user", "observer@desk");
    rollrig::v1::EStopRequest req;
    req.set_who("observer");
    rollrig::v1::EStopResponse resp;
    EXPECT_TRUE(observer->EStop(&ctx, req, &resp).ok());
  }
  // Clearing is the controller's, and a forced takeover is recorded.
  {
    grpc::ClientContext ctx;
    rollrig::v1::ClearFaultResponse resp;
    EXPECT_EQ(observer->ClearFault(&ctx, rollrig::v1::ClearFaultRequest(), &resp).error_code(),
              grpc::StatusCode::FAILED_PRECONDITION);
  }
  grpc::ClientContext ectx;
  rollrig::v1::StreamEventsRequest ereq;
  ereq.set_recent(100);
  ectx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  {
    grpc::ClientContext ctx;
    rollrig::v1::AcquireLeaseRequest req;
    req.set_holder("bob@desk");
    req.set_client("rig-dash");
    req.set_force(true);
    rollrig::v1::LeaseInfo lease;
    ASSERT_TRUE(observer->AcquireLease(&ctx, req, &lease).ok());
  }
  auto reader = observer->StreamEvents(&ectx, ereq);
  rollrig::v1::RigEvent e;
  bool takeover = false, estop = false;
  while (reader->Read(&e)) {
    takeover |= e.kind() == rollrig::v1::RIG_EVENT_LEASE &&
                e.message().find("taken by force") != std::string::npos;
    estop |=
        e.kind() == rollrig::v1::RIG_EVENT_ESTOP_REQUESTED && e.who() == "observer@desk (observer)";
    if (takeover && estop) break;
  }
  ectx.TryCancel();
  EXPECT_TRUE(takeover);
  EXPECT_TRUE(estop);
  // The old holder's token no longer moves the rig.
  EXPECT_EQ(rig_->Jog(10).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

}  // namespace
}  // namespace rollrig
