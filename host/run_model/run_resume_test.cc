// A run interrupted and resumed is judged as one run (its analysis goes on from what it
// had judged), and a pause is left out of cycle lengths, statistics and the ETA.
// Deterministic: samples at 1 kHz of device time, events placed by sample counter.
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "host/run_model/run_model.h"
#include "host/run_model/run_progress.h"
#include "host/run_model/run_so_far.h"
#include "host/run_model/verdict_line.h"

namespace rollrig::run_model {
namespace {

namespace v1 = rollrig::v1;

constexpr uint64_t kProgram = 7;
constexpr double kTick = 0.001;  // s, one sample

std::unique_ptr<host::RunAnalyzer> Analyzer() {
  v1::Limit torque;
  torque.set_name("torque");
  torque.set_signal(v1::SIGNAL_TORQUE_NM);
  torque.set_max(1.5);
  torque.set_action(v1::LIMIT_ACTION_FAIL);
  return std::make_unique<host::RunAnalyzer>(std::vector<v1::Limit>{torque},
                                             std::vector<host::AnalyzerSegment>{{0, "knead", {}}});
}

v1::RigEvent DeviceEvent(v1::DeviceEventKind kind, uint64_t seq, uint32_t cycle = 0) {
  v1::RigEvent e;
  e.set_kind(v1::RIG_EVENT_DEVICE);
  e.mutable_device()->set_kind(kind);
  e.mutable_device()->set_sample_seq(seq);
  e.mutable_device()->set_program_id(kProgram);
  e.mutable_device()->set_cycle(cycle);
  return e;
}

// Drives one model the way rigd does: device events placed by counter, samples in order.
class Stretch {
 public:
  explicit Stretch(const host::RunSoFar* before = nullptr) {
    auto analyzer = Analyzer();
    if (before != nullptr) analyzer->Continue(*before);
    RunRules rules;
    rules.cycles = 3;
    model_ = std::make_unique<RunModel>(std::move(analyzer), rules);
    model_->Event(DeviceEvent(v1::DEVICE_EVENT_PROGRAM_STARTED, 0));
  }
  // Samples [from, to) of `cycle` at device time seq ms.
  void Samples(uint64_t from, uint64_t to, uint32_t cycle, float torque_nm = 0.5f) {
    for (uint64_t seq = from; seq < to; ++seq) {
      host::Sample s;
      s.seq = seq;
      s.time_us = seq * 1000;
      s.segment = 0;
      s.cycle = cycle;
      s.torque_nm = torque_nm;
      model_->Sample(s);
    }
  }
  void Event(v1::DeviceEventKind kind, uint64_t seq, uint32_t cycle = 0) {
    model_->Event(DeviceEvent(kind, seq, cycle));
  }
  RunModel& model() { return *model_; }

 private:
  std::unique_ptr<RunModel> model_;
};

TEST(PauseTest, APausedCycleHasTheLengthAndStatisticsOfOneWithout) {
  Stretch plain;
  plain.Samples(0, 1000, 1);
  plain.Samples(1000, 1001, 2);  // closes cycle 1

  Stretch paused;
  paused.Samples(0, 400, 1);
  paused.Event(v1::DEVICE_EVENT_PROGRAM_PAUSED, 400);
  paused.Samples(400, 900, 1, /*torque_nm=*/9.0f);  // ramping down and at rest: not the test
  paused.Event(v1::DEVICE_EVENT_PROGRAM_RESUMED, 900);
  paused.Samples(900, 1500, 1);
  paused.Samples(1500, 1501, 2);

  ASSERT_EQ(plain.model().analyzer().cycles().size(), 1u);
  ASSERT_EQ(paused.model().analyzer().cycles().size(), 1u);
  const v1::CycleStats& a = plain.model().analyzer().cycles()[0];
  const v1::CycleStats& b = paused.model().analyzer().cycles()[0];
  EXPECT_NEAR(b.length_s(), a.length_s(), kTick);
  EXPECT_NEAR(b.paused_s(), 0.5, kTick);
  EXPECT_EQ(a.paused_s(), 0.0);
  EXPECT_NEAR(b.end_s() - b.start_s(), a.end_s() - a.start_s() + 0.5, kTick);
  EXPECT_FLOAT_EQ(b.peak_torque_nm(), a.peak_torque_nm());  // the paused samples are out
  EXPECT_EQ(b.samples(), a.samples());
  EXPECT_NEAR(paused.model().analyzer().paused_s(), 0.5, kTick);
  EXPECT_NEAR(paused.model().analyzer().active_s(), plain.model().analyzer().active_s(), kTick);
}

TEST(PauseTest, TheEtaLeavesPausedTimeOut) {
  v1::RunSpec spec;
  spec.set_cycles(3);
  Stretch plain;
  plain.Samples(0, 701, 1);
  Stretch paused;
  paused.Samples(0, 400, 1);
  paused.Event(v1::DEVICE_EVENT_PROGRAM_PAUSED, 400);
  paused.Samples(400, 900, 1);
  v1::RunProgress during_pause;
  NoteRunProgress(paused.model(), spec, /*cycle_s=*/1.0, &during_pause);
  paused.Event(v1::DEVICE_EVENT_PROGRAM_RESUMED, 900);
  paused.Samples(900, 1201, 1);  // the same 0.7 s of program as `plain`

  v1::RunProgress a;
  v1::RunProgress b;
  NoteRunProgress(plain.model(), spec, 1.0, &a);
  NoteRunProgress(paused.model(), spec, 1.0, &b);
  EXPECT_NEAR(a.eta_s(), 3.0 - 0.7, kTick);
  EXPECT_NEAR(b.eta_s(), a.eta_s(), kTick);
  EXPECT_NEAR(b.paused_s(), 0.5, kTick);
  EXPECT_NEAR(b.elapsed_s(), a.elapsed_s() + 0.5, kTick);
  // While paused the ETA stands still.
  EXPECT_NEAR(during_pause.eta_s(), 3.0 - 0.4, 2 * kTick);
}

// A resumed stretch: cycle 2 from its start (the device's time and counters start again),
// cycle 3, the program's end.
void RunCyclesTwoAndThree(Stretch& s) {
  s.Samples(0, 1000, 2);
  s.Samples(1000, 2000, 3);
  s.Event(v1::DEVICE_EVENT_PROGRAM_FINISHED, 2000);
  s.Samples(2000, 2001, 3);
}

// Three cycles, one run, cycle 1 over the limit for 45 ms after 5 samples were lost.
void CycleOne(Stretch& s) {
  s.Samples(0, 300, 1);
  v1::RigEvent gap;
  gap.set_kind(v1::RIG_EVENT_TELEMETRY_GAP);
  gap.set_gap_first_seq(300);
  gap.set_gap_samples(5);
  s.model().Event(gap);
  s.Samples(305, 350, 1, /*torque_nm=*/2.0f);
  s.Samples(350, 1000, 1);
}

TEST(ResumeTest, AnInterruptedAndResumedRunIsJudgedAsOne) {
  // The run as it would have gone without the interruption.
  Stretch whole;
  CycleOne(whole);
  whole.Samples(1000, 2000, 2);
  whole.Samples(2000, 3000, 3);
  whole.Event(v1::DEVICE_EVENT_PROGRAM_FINISHED, 3000);
  whole.Samples(3000, 3001, 3);
  ASSERT_TRUE(whole.model().ended());

  // Interrupted in cycle 2 (rigd shut down), then resumed on a device whose time and
  // counters start again: cycle 2 restarts from its start.
  Stretch first;
  CycleOne(first);
  first.Samples(1000, 1500, 2);
  first.model().Interrupt(v1::RUN_STATE_INTERRUPTED, "rigd stopped");
  const host::RunSoFar so_far = RunSoFarFromModel(first.model());
  EXPECT_EQ(NextCycle(so_far), 2u);
  EXPECT_EQ(so_far.cycles.size(), 1u);

  Stretch second(&so_far);
  RunCyclesTwoAndThree(second);
  ASSERT_TRUE(second.model().ended());

  const RunEnd& end = *second.model().end();
  const std::vector<v1::CycleStats>& cycles = second.model().analyzer().cycles();
  ASSERT_EQ(cycles.size(), 3u);
  for (uint32_t i = 0; i < 3; ++i) EXPECT_EQ(cycles[i].cycle(), i + 1);
  EXPECT_EQ(end.verdict.verdict(), v1::VERDICT_FAIL);
  EXPECT_EQ(end.verdict.reason(), whole.model().end()->verdict.reason());
  EXPECT_NE(end.verdict.reason().find("at cycle 1"), std::string::npos) << end.verdict.reason();
  EXPECT_NE(end.verdict.reason().find("5 samples lost in 1 gap"), std::string::npos)
      << end.verdict.reason();
  EXPECT_EQ(second.model().analyzer().violations(), whole.model().analyzer().violations());
  // Later run times go on from the interruption's.
  EXPECT_NEAR(cycles[1].start_s(), so_far.run_time_s, kTick);
  // The cut-short try of cycle 2 is not program time: the whole run's program time is the
  // uninterrupted run's plus that half cycle, counted nowhere else.
  EXPECT_NEAR(second.model().analyzer().active_s() - whole.model().analyzer().active_s(), 0.5,
              3 * kTick);
}

TEST(ResumeTest, APassingResumedRunPassesOverAllItsCycles) {
  Stretch first;
  first.Samples(0, 1000, 1);
  first.Samples(1000, 1200, 2);
  first.model().Interrupt(v1::RUN_STATE_INTERRUPTED, "rigd stopped");
  const host::RunSoFar so_far = RunSoFarFromModel(first.model());
  Stretch second(&so_far);
  RunCyclesTwoAndThree(second);
  ASSERT_TRUE(second.model().ended());
  EXPECT_EQ(VerdictLine(second.model().end()->verdict, second.model().end()->state, ""),
            "verdict: PASS all 1 limit checked passed over 3 cycles");
}

// The record rigd resumes from says what the model had judged.
TEST(ResumeTest, TheRecordGivesWhatTheModelHadJudged) {
  Stretch first;
  CycleOne(first);
  first.Samples(1000, 1500, 2);
  v1::RunInfo record;
  v1::RunSpec spec;
  spec.set_cycles(3);
  NoteRunProgress(first.model(), spec, 1.0, record.mutable_progress());
  *record.mutable_judged() = first.model().analyzer().Verdict();
  const host::RunSoFar from_model = RunSoFarFromModel(first.model());
  const host::RunSoFar from_record = RunSoFarFromRecord(record, from_model.cycles);
  EXPECT_DOUBLE_EQ(from_record.run_time_s, from_model.run_time_s);
  EXPECT_DOUBLE_EQ(from_record.active_s, from_model.active_s);
  ASSERT_EQ(from_record.limits.size(), from_model.limits.size());
  EXPECT_EQ(from_record.limits[0].violations(), 1u);
  EXPECT_EQ(from_record.limits[0].first_violation_t_s(),
            from_model.limits[0].first_violation_t_s());
  EXPECT_EQ(NextCycle(from_record), 2u);
  EXPECT_EQ(from_record.samples_lost, 5u);
  EXPECT_EQ(from_record.gaps, 1u);
  EXPECT_DOUBLE_EQ(from_record.first_gap_t_s, from_model.first_gap_t_s);
}

}  // namespace
}  // namespace rollrig::run_model
