// A run that rigd stops under (a shutdown here; a crash or power cut likewise) and that is
// resumed is one run: the same id, one verdict over all its cycles, the full cycle table,
// its recordings in order (replayed together they give the live verdict line), and the
// interruption recorded as a gap. `rigd --resume-interrupted` resumes it by itself.
// The simulated rig runs faster than real time; waits are wall-clock with wide margins.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "host/check/recording_replay.h"
#include "host/run_model/verdict_line.h"
#include "host/runs/run_store.h"
#include "tests/rig_stack.h"
#include "tests/short_profile.h"

namespace rollrig {
namespace {

using rollrig::v1::RunInfo;
using ::testing::HasSubstr;
using testing::kShortProfile;
using testing::RigStack;

constexpr double kSpeedup = 2.0;

RunInfo Get(RigStack& rig, const std::string& id) {
  rollrig::v1::RunRequest req;
  req.set_id(id);
  RunInfo run;
  grpc::ClientContext ctx;
  EXPECT_TRUE(rig.stub()->GetRun(&ctx, req, &run).ok());
  return run;
}

bool Active(const RunInfo& r) {
  return r.state() == rollrig::v1::RUN_STATE_RUNNING ||
         r.state() == rollrig::v1::RUN_STATE_PAUSED || r.state() == rollrig::v1::RUN_STATE_ARMING;
}

RunInfo WaitEnd(RigStack& rig, const std::string& id) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  RunInfo run = Get(rig, id);
  while (Active(run) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    run = Get(rig, id);
  }
  return run;
}

std::string StartAndWaitForCycleTwo(RigStack& rig) {
  EXPECT_TRUE(rig.connected().ok()) << rig.connected();
  rollrig::v1::StartRunRequest req;
  req.mutable_spec()->mutable_profile()->set_file_name("short.textproto");
  req.mutable_spec()->mutable_profile()->set_text(kShortProfile);
  req.mutable_spec()->set_cycles(3);
  RunInfo run;
  grpc::Status s = rig.stub()->StartRun(rig.Context(30).get(), req, &run);
  EXPECT_TRUE(s.ok()) << s.error_message();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  RunInfo now = Get(rig, run.id());
  // Half way through cycle 2 (its second segment), with cycle 1 judged.
  while (!(now.progress().cycle() == 2 && now.progress().segment() >= 1) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    now = Get(rig, run.id());
  }
  EXPECT_EQ(now.progress().cycle(), 2u);
  return run.id();
}

// Starts 3 cycles in `dir` and shuts rigd down in the middle of cycle 2, for a while: the id.
std::string InterruptInCycleTwo(const std::string& dir) {
  std::string id;
  {
    RigStack rig("sim", absl::Seconds(10), kSpeedup, dir);
    id = StartAndWaitForCycleTwo(rig);
  }  // rigd shuts down under the run
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  return id;
}

std::vector<rollrig::v1::CycleStats> Cycles(RigStack& rig, const std::string& id) {
  rollrig::v1::GetCyclesRequest req;
  req.set_id(id);
  rollrig::v1::GetCyclesResponse resp;
  grpc::ClientContext ctx;
  EXPECT_TRUE(rig.stub()->GetCycles(&ctx, req, &resp).ok());
  return {resp.cycles().begin(), resp.cycles().end()};
}

// What a resumed run of 3 cycles must be once it has ended.
void ExpectOneRunOfThreeCycles(RigStack& rig, const RunInfo& run) {
  EXPECT_EQ(run.state(), rollrig::v1::RUN_STATE_COMPLETED) << run.state_reason();
  EXPECT_EQ(run.verdict().verdict(), rollrig::v1::VERDICT_PASS) << run.verdict().reason();
  EXPECT_THAT(run.verdict().reason(), HasSubstr("over 3 cycles"));
  EXPECT_EQ(run.progress().cycles_completed(), 3u);
  const std::vector<rollrig::v1::CycleStats> cycles = Cycles(rig, run.id());
  ASSERT_EQ(cycles.size(), 3u);
  for (uint32_t i = 0; i < 3; ++i) EXPECT_EQ(cycles[i].cycle(), i + 1);
  EXPECT_LT(cycles[0].end_s(), cycles[1].start_s());  // run times go on across the gap
  ASSERT_EQ(run.interruptions_size(), 1);
  const rollrig::v1::RunInterruption& gap = run.interruptions(0);
  EXPECT_GT(gap.duration_s(), 0.2);
  EXPECT_NEAR(gap.duration_s(), (gap.end_unix_ns() - gap.start_unix_ns()) / 1e9, 1e-6);
  EXPECT_EQ(gap.cycle(), 2u);
  EXPECT_EQ(gap.first_recording(), 1u);
  EXPECT_THAT(gap.reason(), HasSubstr("test over"));
  EXPECT_EQ(run.progress().interruptions(), 1u);
  ASSERT_EQ(run.recordings_size(), 2);
  EXPECT_EQ(run.recordings(0), run.id() + ".mcap");
  EXPECT_EQ(run.recordings(1), run.id() + "-r2.mcap");
  std::vector<std::string> files;
  for (const std::string& name : run.recordings()) files.push_back(rig.RecordingPath(name));

  // QA: the files replayed in order give the live verdict line; the second alone says
  // what it is.
  absl::StatusOr<check::ReplayedRun> replayed = check::ReplayRunAnalysis(files);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(run_model::VerdictLine(replayed->verdict, replayed->state, replayed->state_reason),
            run_model::VerdictLine(run.verdict(), run.state(), run.state_reason()));
  EXPECT_EQ(replayed->cycles.size(), 3u);
  absl::StatusOr<check::ReplayedRun> part2 = check::ReplayRecordingAnalysis(files[1]);
  ASSERT_TRUE(part2.ok()) << part2.status();
  EXPECT_EQ(part2->part, 2u);
  EXPECT_EQ(part2->run_id, run.id());
  absl::StatusOr<check::ReplayedRun> reversed = check::ReplayRunAnalysis({files[1], files[0]});
  EXPECT_EQ(reversed.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(ResumedRunTest, AnInterruptedRunResumesAsOneRun) {
  const std::string dir = testing::MakeTempDir();
  const std::string id = InterruptInCycleTwo(dir);
  RigStack rig("sim", absl::Seconds(10), kSpeedup, dir);
  ASSERT_TRUE(rig.connected().ok()) << rig.connected();
  const RunInfo interrupted = Get(rig, id);
  EXPECT_EQ(interrupted.state(), rollrig::v1::RUN_STATE_INTERRUPTED);
  EXPECT_THAT(interrupted.state_reason(), HasSubstr("--resume " + id));
  EXPECT_EQ(Cycles(rig, id).size(), 1u);

  rollrig::v1::StartRunRequest req;
  req.set_resume_id(id);
  RunInfo resumed;
  grpc::Status s = rig.stub()->StartRun(rig.Context(30).get(), req, &resumed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resumed.id(), id);
  EXPECT_EQ(resumed.progress().cycle(), 2u);
  EXPECT_EQ(resumed.started_unix_ns(), interrupted.started_unix_ns());
  // Resuming a run that goes on is refused, clearly.
  RunInfo again;
  grpc::Status twice = rig.stub()->StartRun(rig.Context().get(), req, &again);
  EXPECT_EQ(twice.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(twice.error_message(), HasSubstr(id + " is running"));

  const RunInfo run = WaitEnd(rig, id);
  ExpectOneRunOfThreeCycles(rig, run);
  // One record: the run list holds it once.
  rollrig::v1::ListRunsResponse list;
  grpc::ClientContext ctx;
  ASSERT_TRUE(rig.stub()->ListRuns(&ctx, rollrig::v1::ListRunsRequest(), &list).ok());
  EXPECT_EQ(list.runs_size(), 1);
  twice = rig.stub()->StartRun(rig.Context().get(), req, &again);
  EXPECT_EQ(twice.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(twice.error_message(), HasSubstr("not interrupted (it is completed)"));
  testing::RemoveTree(dir);
}

TEST(ResumedRunTest, RigdResumesAnInterruptedRunByItselfAtStart) {
  const std::string dir = testing::MakeTempDir();
  const std::string id = InterruptInCycleTwo(dir);
  RigStack rig("sim", absl::Seconds(10), kSpeedup, dir, /*resume_interrupted=*/true);
  ASSERT_TRUE(rig.connected().ok()) << rig.connected();
  ASSERT_NE(rig.app().resumer(), nullptr);
  const absl::Status outcome = rig.app().resumer()->WaitDone(absl::Seconds(60));
  ASSERT_TRUE(outcome.ok()) << outcome;
  ExpectOneRunOfThreeCycles(rig, WaitEnd(rig, id));
  testing::RemoveTree(dir);
}

// The record a crash leaves of a 3-cycle short run `id` that was running.
RunInfo CrashedRunRecord(const std::string& id) {
  RunInfo crashed;
  crashed.set_id(id);
  crashed.set_state(rollrig::v1::RUN_STATE_RUNNING);
  crashed.set_started_unix_ns(1);
  crashed.set_device_serial("SIM-0001");
  crashed.mutable_spec()->set_cycles(3);
  crashed.mutable_spec()->mutable_profile()->set_file_name("short.textproto");
  crashed.mutable_spec()->mutable_profile()->set_text(kShortProfile);
  return crashed;
}

// A crash or power cut leaves the run's record as it was last saved (each second) and its
// cycle table: marked interrupted at the next start, from when it was last saved, and
// resumed after its last judged cycle, as one run.
TEST(ResumedRunTest, ARunACrashLeftGoesOnAfterItsLastJudgedCycle) {
  const std::string dir = testing::MakeTempDir();
  const std::string id = "20260101-000000-short-dead";
  {
    auto store = host::RunStore::Open(dir);
    ASSERT_TRUE(store.ok());
    RunInfo crashed = CrashedRunRecord(id);
    crashed.mutable_progress()->set_cycles_completed(1);
    crashed.mutable_progress()->set_elapsed_s(5.2);
    crashed.mutable_progress()->set_active_s(5.2);
    ASSERT_TRUE((*store)->Save(crashed).ok());
    rollrig::v1::CycleStats first;
    first.set_cycle(1);
    first.set_start_s(0.01);
    first.set_end_s(4.0);
    first.set_samples(3990);
    ASSERT_TRUE((*store)->AppendCycle(id, first).ok());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  RigStack rig("sim", absl::Seconds(10), kSpeedup, dir);
  ASSERT_TRUE(rig.connected().ok()) << rig.connected();
  const RunInfo interrupted = Get(rig, id);
  EXPECT_EQ(interrupted.state(), rollrig::v1::RUN_STATE_INTERRUPTED);
  EXPECT_THAT(interrupted.state_reason(), HasSubstr("crash or power cut"));
  rollrig::v1::StartRunRequest req;
  req.set_resume_id(id);
  RunInfo resumed;
  grpc::Status s = rig.stub()->StartRun(rig.Context(30).get(), req, &resumed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resumed.progress().cycle(), 2u);
  const RunInfo run = WaitEnd(rig, id);
  EXPECT_EQ(run.state(), rollrig::v1::RUN_STATE_COMPLETED) << run.state_reason();
  EXPECT_THAT(run.verdict().reason(), HasSubstr("over 3 cycles"));
  const std::vector<rollrig::v1::CycleStats> cycles = Cycles(rig, id);
  ASSERT_EQ(cycles.size(), 3u);
  EXPECT_EQ(cycles[2].cycle(), 3u);
  EXPECT_GT(cycles[1].start_s(), 5.2 - 1e-6);  // run time goes on from the record's
  ASSERT_EQ(run.interruptions_size(), 1);
  EXPECT_THAT(run.interruptions(0).reason(), HasSubstr("crash or power cut"));
  EXPECT_GT(run.interruptions(0).duration_s(), 0.2);  // from the record's last save
  testing::RemoveTree(dir);
}

// An interrupted run is still its owner's: another identity resuming it is refused naming
// the owner and takes nothing; an admin's force needs a reason and is recorded.
void ResumeBobsRunAsCarol(const std::string& dir) {
  const std::string id = "20260101-000000-short-bobs";
  {
    auto store = host::RunStore::Open(dir);
    ASSERT_TRUE(store.ok());
    RunInfo crashed = CrashedRunRecord(id);
    crashed.set_started_by("bob@bench");
    ASSERT_TRUE((*store)->Save(crashed).ok());
  }
  RigStack rig("sim", absl::Seconds(10), kSpeedup, dir);
  ASSERT_TRUE(rig.connected().ok()) << rig.connected();
  // Loopback without credentials: every caller is an admin under the identity it states.
  auto resume_as_carol = [&](bool force, const std::string& reason) {
    rollrig::v1::StartRunRequest req;
    req.set_resume_id(id);
    req.set_force(force);
    req.set_reason(reason);
    std::unique_ptr<grpc::ClientContext> ctx = rig.Context(30, "carol@lab");
    RunInfo resumed;
    return rig.stub()->StartRun(ctx.get(), req, &resumed);
  };
  grpc::Status refused = resume_as_carol(false, "");
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(refused.error_message(), HasSubstr("bob@bench"));
  EXPECT_EQ(Get(rig, id).state(), rollrig::v1::RUN_STATE_INTERRUPTED);
  refused = resume_as_carol(true, "");
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Get(rig, id).state(), rollrig::v1::RUN_STATE_INTERRUPTED);

  const grpc::Status forced = resume_as_carol(true, "bob is away");
  ASSERT_TRUE(forced.ok()) << forced.error_message();
  const RunInfo run = Get(rig, id);
  EXPECT_TRUE(run.state() == rollrig::v1::RUN_STATE_RUNNING ||
              run.state() == rollrig::v1::RUN_STATE_ARMING)
      << run.state_reason();
  EXPECT_EQ(run.started_by(), "bob@bench");  // still bob's run
}

TEST(ResumedRunTest, ResumingAnothersInterruptedRunNeedsAnAdminsForceWithAReason) {
  const std::string dir = testing::MakeTempDir();
  ResumeBobsRunAsCarol(dir);  // rigd stopped before its directory goes
  testing::RemoveTree(dir);
}

// A resume rigd cannot do says why and leaves the run interrupted; records from before
// resumed runs stayed one are still read and still refused a second resume.
TEST(ResumedRunTest, AFailedResumeLeavesTheRunInterrupted) {
  const std::string dir = testing::MakeTempDir();
  {
    auto store = host::RunStore::Open(dir);
    ASSERT_TRUE(store.ok());
    RunInfo elsewhere;
    elsewhere.set_id("20260101-000000-short-else");
    elsewhere.set_state(rollrig::v1::RUN_STATE_RUNNING);
    elsewhere.set_started_unix_ns(2);
    elsewhere.set_device_serial("OTHER-9");
    elsewhere.mutable_spec()->set_cycles(3);
    elsewhere.mutable_spec()->mutable_profile()->set_text(kShortProfile);
    ASSERT_TRUE((*store)->Save(elsewhere).ok());
    RunInfo old_style;
    old_style.set_id("20260101-000000-short-old");
    old_style.set_state(rollrig::v1::RUN_STATE_INTERRUPTED);
    old_style.set_started_unix_ns(1);
    old_style.set_resumed_by("20260101-000100-short-new");
    old_style.mutable_spec()->set_cycles(3);
    ASSERT_TRUE((*store)->Save(old_style).ok());
  }
  RigStack rig("sim", absl::Seconds(10), kSpeedup, dir, /*resume_interrupted=*/true);
  ASSERT_TRUE(rig.connected().ok()) << rig.connected();
  const absl::Status outcome = rig.app().resumer()->WaitDone(absl::Seconds(60));
  EXPECT_EQ(outcome.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(outcome.message()), HasSubstr("ran on device OTHER-9"));
  EXPECT_EQ(Get(rig, "20260101-000000-short-else").state(), rollrig::v1::RUN_STATE_INTERRUPTED);

  const RunInfo old = Get(rig, "20260101-000000-short-old");
  EXPECT_EQ(old.resumed_by(), "20260101-000100-short-new");
  rollrig::v1::StartRunRequest req;
  req.set_resume_id(old.id());
  RunInfo again;
  grpc::Status twice = rig.stub()->StartRun(rig.Context().get(), req, &again);
  EXPECT_EQ(twice.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(twice.error_message(), HasSubstr("already resumed as 20260101-000100-short-new"));
  testing::RemoveTree(dir);
}

}  // namespace
}  // namespace rollrig
