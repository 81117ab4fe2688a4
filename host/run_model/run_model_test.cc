// The run model's oracle: small event sequences, each with the state, reason and verdict it
// must end in and the requests it must make of the device.
#include "host/run_model/run_model.h"

#include <functional>
#include <string>
#include <vector>

#include "enum_names.h"
#include "gtest/gtest.h"
#include "host/run_model/verdict_line.h"

namespace rollrig::run_model {
namespace {

namespace v1 = rollrig::v1;

constexpr uint64_t kProgram = 7;
constexpr int64_t kSecond = 1'000'000'000;

// One input of a scenario.
struct Input {
  enum Kind { kSamples, kEvent, kTime, kRecorderFailed } kind = kSamples;
  // kSamples: counters [from, to), segment (-1: no program), cycle; 1 kHz device time.
  uint64_t from = 0, to = 0;
  int32_t segment = 0;
  uint32_t cycle = 1;
  double torque_nm = 0.5;
  v1::RigEvent event;  // kEvent
  int64_t now_ns = 0;  // kTime
  std::string reason;  // kRecorderFailed
};

Input Samples(uint64_t from, uint64_t to, int32_t segment = 0, uint32_t cycle = 1,
              double torque_nm = 0.5) {
  Input in;
  in.from = from;
  in.to = to;
  in.segment = segment;
  in.cycle = cycle;
  in.torque_nm = torque_nm;
  return in;
}

Input Ev(v1::RigEvent e) {
  Input in;
  in.kind = Input::kEvent;
  in.event = std::move(e);
  return in;
}

Input Device(v1::DeviceEventKind kind, uint64_t seq, uint64_t program = kProgram,
             v1::Fault fault = v1::FAULT_NONE, const std::string& message = "") {
  v1::RigEvent e;
  e.set_kind(v1::RIG_EVENT_DEVICE);
  e.set_message(message);
  v1::DeviceEvent* d = e.mutable_device();
  d->set_kind(kind);
  d->set_sample_seq(seq);
  d->set_program_id(program);
  d->set_fault(fault);
  return Ev(e);
}
Input Started(uint64_t seq, uint64_t program = kProgram) {
  return Device(v1::DEVICE_EVENT_PROGRAM_STARTED, seq, program);
}
Input Finished(uint64_t seq, uint64_t program = kProgram) {
  return Device(v1::DEVICE_EVENT_PROGRAM_FINISHED, seq, program);
}
Input Aborted(uint64_t seq, const std::string& detail = "") {
  Input in = Device(v1::DEVICE_EVENT_PROGRAM_ABORTED, seq, kProgram);
  in.event.mutable_device()->set_cycle(1);
  in.event.mutable_device()->set_detail(detail);
  return in;
}
Input Fault(uint64_t seq, v1::Fault fault) {
  return Device(v1::DEVICE_EVENT_FAULT_RAISED, seq, kProgram, fault);
}
Input Cycle(uint64_t seq, uint32_t cycle) {
  Input in = Device(v1::DEVICE_EVENT_CYCLE_COMPLETED, seq);
  in.event.mutable_device()->set_cycle(cycle);
  return in;
}
Input RunState(v1::RunState state, const std::string& who = "", const std::string& message = "",
               uint64_t sample_seq = 0) {
  v1::RigEvent e;
  e.set_kind(v1::RIG_EVENT_RUN_STATE);
  e.set_run_state(state);
  e.set_who(who);
  e.set_message(message);
  e.set_sample_seq(sample_seq);
  return Ev(e);
}
Input Kind(v1::RigEventKind kind, const std::string& message = "", const std::string& who = "") {
  v1::RigEvent e;
  e.set_kind(kind);
  e.set_message(message);
  e.set_who(who);
  return Ev(e);
}
Input Gap(v1::RigEventKind kind, uint64_t first, uint64_t count) {
  v1::RigEvent e;
  e.set_kind(kind);
  e.set_gap_first_seq(first);
  e.set_gap_samples(count);
  return Ev(e);
}
Input At(double seconds) {
  Input in;
  in.kind = Input::kTime;
  in.now_ns = static_cast<int64_t>(seconds * kSecond);
  return in;
}
Input RecorderFailure(const std::string& reason) {
  Input in;
  in.kind = Input::kRecorderFailed;
  in.reason = reason;
  return in;
}

// What a scenario did: every effect, merged, and the end.
struct Outcome {
  bool stop_program = false;
  bool stop_at_cycle_end = false;
  std::vector<v1::RunState> states;
  size_t limit_notes = 0;
  std::optional<RunEnd> end;
  uint32_t cycles_completed = 0;
  size_t complete_cycles = 0;
  bool partial_cycle = false;
  uint32_t holds = 0;
};

void Merge(const RunEffects& fx, Outcome* out) {
  out->stop_program |= fx.stop_program;
  out->stop_at_cycle_end |= fx.stop_at_cycle_end;
  if (fx.state) out->states.push_back(*fx.state);
  out->limit_notes += fx.limit_notes.size();
  if (fx.end) out->end = fx.end;
}

std::unique_ptr<host::RunAnalyzer> Analyzer() {
  v1::Limit torque;
  torque.set_name("torque");
  torque.set_signal(v1::SIGNAL_TORQUE_NM);
  torque.set_max(2.0);
  torque.set_action(v1::LIMIT_ACTION_ABORT);
  v1::Limit warm;
  warm.set_name("warm");
  warm.set_signal(v1::SIGNAL_TORQUE_NM);
  warm.set_max(1.5);
  warm.set_action(v1::LIMIT_ACTION_FAIL);
  return std::make_unique<host::RunAnalyzer>(
      std::vector<v1::Limit>{torque, warm},
      std::vector<host::AnalyzerSegment>{{0, "knead", {}}, {1, "rest", {}}});
}

Outcome Play(const std::vector<Input>& inputs, RunRules rules = {}) {
  RunModel model(Analyzer(), rules);
  Outcome out;
  for (const Input& in : inputs) {
    switch (in.kind) {
      case Input::kSamples:
        for (uint64_t seq = in.from; seq < in.to; ++seq) {
          host::Sample s;
          s.seq = seq;
          s.time_us = 1'000'000 + seq * 1000;
          s.segment = in.segment;
          s.cycle = in.segment < 0 ? 0 : in.cycle;
          s.torque_nm = static_cast<float>(in.torque_nm);
          Merge(model.Sample(s), &out);
        }
        break;
      case Input::kEvent:
        Merge(model.Event(in.event), &out);
        break;
      case Input::kTime:
        Merge(model.Time(in.now_ns), &out);
        break;
      case Input::kRecorderFailed:
        Merge(model.RecorderFailed(in.reason, 0), &out);
        break;
    }
  }
  Merge(model.Finish(), &out);
  out.cycles_completed = model.cycles_completed();
  out.complete_cycles = model.analyzer().cycles().size();
  out.partial_cycle = model.analyzer().partial_cycle() != nullptr;
  out.holds = model.holds();
  return out;
}

RunRules Policy(v1::DisconnectPolicy policy, double hold_timeout_s = 600) {
  RunRules rules;
  rules.on_disconnect = policy;
  rules.hold_timeout_s = hold_timeout_s;
  return rules;
}

struct Scenario {
  std::string name;
  std::vector<Input> inputs;
  RunRules rules;
  v1::RunState state;
  std::string reason_has;  // in the run's state reason
  v1::Verdict verdict;
  std::string verdict_has;  // in the verdict's reason
  bool stop_program = false;
  size_t complete_cycles = 0;
};

std::vector<Scenario> Scenarios() {
  const RunRules hold;
  return {
      {"clean run",
       {Samples(0, 10, -1), Started(10), Samples(10, 110), Cycle(110, 1), Finished(110),
        Samples(110, 120, -1)},
       hold,
       v1::RUN_STATE_COMPLETED,
       "completed",
       v1::VERDICT_PASS,
       "over 1 cycle",
       false,
       1},
      {"clean run, the finish before its samples arrive",
       {Started(0), Finished(100), Samples(0, 100), Samples(100, 110, -1)},
       hold,
       v1::RUN_STATE_COMPLETED,
       "completed",
       v1::VERDICT_PASS,
       "over 1 cycle",
       false,
       1},
      {"arming samples are not the run",
       {Samples(0, 10, 0, 1, 5.0), Started(10), Samples(10, 60), Finished(60)},
       hold,
       v1::RUN_STATE_COMPLETED,
       "completed",
       v1::VERDICT_PASS,
       "",
       false,
       1},
      {"stall: the device faults and aborts the program",
       {Started(0), Samples(0, 50), Fault(50, v1::FAULT_STALL), Aborted(52, "stall"),
        Samples(50, 60, -1)},
       hold,
       v1::RUN_STATE_FAULTED,
       "device fault: stall",
       v1::VERDICT_ABORTED,
       "segment 0",
       false,
       0},
      {"stall: the fault arrives before its samples, later samples not analysed",
       {Started(0), Samples(0, 20), Fault(50, v1::FAULT_STALL), Aborted(50, "stall"),
        Samples(20, 50), Samples(50, 100, 0, 1, 5.0)},
       hold,
       v1::RUN_STATE_FAULTED,
       "device fault: stall",
       v1::VERDICT_ABORTED,
       "cycle 1",
       false,
       0},
      {"e-stop names who asked and why",
       {Started(0), Samples(0, 30),
        Kind(v1::RIG_EVENT_ESTOP_REQUESTED, "e-stop requested by ann@bench: acceptance",
             "ann@bench"),
        Fault(30, v1::FAULT_ESTOP_SOFTWARE), Aborted(30), Samples(30, 40, -1)},
       hold,
       v1::RUN_STATE_FAULTED,
       "e-stop requested by ann@bench: acceptance",
       v1::VERDICT_ABORTED,
       "",
       false,
       0},
      {"e-stop button",
       {Started(0), Samples(0, 30), Fault(30, v1::FAULT_ESTOP_BUTTON), Aborted(30)},
       hold,
       v1::RUN_STATE_FAULTED,
       "device fault: ",
       v1::VERDICT_ABORTED,
       "",
       false,
       0},
      {"pause and resume",
       {Started(0), Samples(0, 40), RunState(v1::RUN_STATE_PAUSED), Samples(40, 60),
        RunState(v1::RUN_STATE_RUNNING), Samples(60, 100), Finished(100)},
       hold,
       v1::RUN_STATE_COMPLETED,
       "completed",
       v1::VERDICT_PASS,
       "over 1 cycle",
       false,
       1},
      {"stopped early by a person",
       {Started(0), Samples(0, 40), RunState(v1::RUN_STATE_ABORTED, "bob@bench"), Samples(40, 60),
        Finished(60), Samples(60, 70, -1)},
       hold,
       v1::RUN_STATE_ABORTED,
       "stopped by bob@bench",
       v1::VERDICT_ABORTED,
       "stopped by bob@bench at cycle 1",
       true,
       0},
      {"a stamped stop is applied at its sample, though recorded late",
       {Started(0), Samples(0, 30), RunState(v1::RUN_STATE_ABORTED, "bob@bench", "", 40),
        Samples(30, 60), Finished(60)},
       hold,
       v1::RUN_STATE_ABORTED,
       "stopped by bob@bench",
       v1::VERDICT_ABORTED,
       "0.039 s",
       true,
       0},
      {"the device aborts the program by itself",
       {Started(0), Samples(0, 30), Aborted(30, "program refused")},
       hold,
       v1::RUN_STATE_FAULTED,
       "the device aborted the program in cycle 1: program refused",
       v1::VERDICT_ABORTED,
       "the device aborted the program in cycle 1: program refused",
       false,
       0},
      {"an ABORT limit stops the program",
       {Started(0), Samples(0, 30), Samples(30, 40, 0, 1, 3.0), Finished(45)},
       hold,
       v1::RUN_STATE_ABORTED,
       "limit torque",
       v1::VERDICT_ABORTED,
       "torque",
       true,
       0},
      {"a FAIL limit lets the run go on",
       {Started(0), Samples(0, 30), Samples(30, 40, 0, 1, 1.8), Samples(40, 100), Finished(100)},
       hold,
       v1::RUN_STATE_COMPLETED,
       "completed",
       v1::VERDICT_FAIL,
       "warm",
       false,
       1},
      {"a stop whose end never comes",
       {At(1), Started(0), Samples(0, 40), RunState(v1::RUN_STATE_ABORTED, "bob@bench"), At(5),
        At(12)},
       hold,
       v1::RUN_STATE_ABORTED,
       "did not report the end of the program",
       v1::VERDICT_ABORTED,
       "stopped by bob@bench",
       true,
       0},
      {"a gap between device and rigd is counted",
       {Started(0), Samples(0, 40), Gap(v1::RIG_EVENT_TELEMETRY_GAP, 40, 10), Samples(50, 100),
        Finished(100)},
       hold,
       v1::RUN_STATE_COMPLETED,
       "completed",
       v1::VERDICT_PASS,
       "10 samples lost",
       false,
       1},
      {"device lost, policy ABORT",
       {Started(0), Samples(0, 40), Kind(v1::RIG_EVENT_DISCONNECTED, "USB unplugged")},
       Policy(v1::DISCONNECT_POLICY_ABORT),
       v1::RUN_STATE_FAULTED,
       "device lost: USB unplugged",
       v1::VERDICT_ABORTED,
       "device lost: USB unplugged",
       false,
       0},
      {"device lost, policy HOLD, stopped while held",
       {Started(0), Samples(0, 40), Kind(v1::RIG_EVENT_DISCONNECTED, "USB unplugged"),
        Samples(40, 60, 0, 1, 5.0), RunState(v1::RUN_STATE_ABORTED, "bob@bench")},
       hold,
       v1::RUN_STATE_ABORTED,
       "stopped by bob@bench while held",
       v1::VERDICT_ABORTED,
       "while held",
       false,
       0},
      {"device lost, policy RESUME: the cycle restarts and completes",
       {Started(0), Samples(0, 40), Kind(v1::RIG_EVENT_DISCONNECTED, "USB unplugged"),
        Gap(v1::RIG_EVENT_DEVICE_GAP, 40, 100), Kind(v1::RIG_EVENT_CONNECTED, "back"),
        RunState(v1::RUN_STATE_ARMING), Samples(200, 210, -1), Started(210, kProgram + 1),
        Samples(210, 310), Finished(310, kProgram + 1)},
       Policy(v1::DISCONNECT_POLICY_RESUME),
       v1::RUN_STATE_COMPLETED,
       "completed",
       v1::VERDICT_PASS,
       "100 samples lost",
       false,
       1},
      {"device lost, held longer than the hold timeout",
       {At(1), Started(0), Samples(0, 40), Kind(v1::RIG_EVENT_DISCONNECTED, "USB unplugged"),
        At(20), At(40)},
       Policy(v1::DISCONNECT_POLICY_HOLD, 30),
       v1::RUN_STATE_FAULTED,
       "device lost for longer than the hold timeout (30 s)",
       v1::VERDICT_ABORTED,
       "hold timeout",
       false,
       0},
      {"device lost while held: a fault other than the watchdog's ends it",
       {Started(0), Samples(0, 40), Kind(v1::RIG_EVENT_DISCONNECTED, "USB unplugged"),
        Fault(41, v1::FAULT_WATCHDOG), Fault(42, v1::FAULT_OVER_TEMPERATURE)},
       hold,
       v1::RUN_STATE_FAULTED,
       "device fault while held: ",
       v1::VERDICT_ABORTED,
       "",
       false,
       0},
      {"held at the end: the last cycle had completed",
       {Started(0), Samples(0, 100), Cycle(100, 1), Kind(v1::RIG_EVENT_DISCONNECTED, "gone"),
        RunState(v1::RUN_STATE_COMPLETED, "", "run r completed: completed")},
       hold,
       v1::RUN_STATE_COMPLETED,
       "completed",
       v1::VERDICT_PASS,
       "over 1 cycle",
       false,
       1},
      {"held: rigd could not restart",
       {Started(0), Samples(0, 40), Kind(v1::RIG_EVENT_DISCONNECTED, "gone"),
        RunState(v1::RUN_STATE_FAULTED, "",
                 "run r faulted: could not restart after the device came back: tare")},
       hold,
       v1::RUN_STATE_FAULTED,
       "could not restart after the device came back: tare",
       v1::VERDICT_ABORTED,
       "could not restart",
       false,
       0},
      {"a stop under way, then the device is lost",
       {Started(0), Samples(0, 40), RunState(v1::RUN_STATE_ABORTED, "bob@bench"),
        Kind(v1::RIG_EVENT_DISCONNECTED, "gone")},
       hold,
       v1::RUN_STATE_ABORTED,
       "stopped by bob@bench (device lost: gone before the end",
       v1::VERDICT_ABORTED,
       "stopped by bob@bench",
       true,
       0},
      {"the recorder fails: the run stops FAULTED",
       {Started(0), Samples(0, 40), RecorderFailure("disk full: /runs"), Samples(40, 50),
        Finished(50)},
       hold,
       v1::RUN_STATE_FAULTED,
       "disk full: /runs",
       v1::VERDICT_ABORTED,
       "disk full",
       true,
       0},
      {"events after the end change nothing",
       {Started(0), Samples(0, 100), Finished(100), Fault(101, v1::FAULT_STALL),
        RunState(v1::RUN_STATE_ABORTED, "bob@bench")},
       hold,
       v1::RUN_STATE_COMPLETED,
       "completed",
       v1::VERDICT_PASS,
       "",
       false,
       1},
  };
}

TEST(RunModelTest, Scenarios) {
  for (const Scenario& sc : Scenarios()) {
    SCOPED_TRACE(sc.name);
    const Outcome out = Play(sc.inputs, sc.rules);
    ASSERT_TRUE(out.end.has_value());
    EXPECT_EQ(v1::RunStateDisplayName(out.end->state), v1::RunStateDisplayName(sc.state));
    EXPECT_NE(out.end->reason.find(sc.reason_has), std::string::npos) << out.end->reason;
    EXPECT_EQ(v1::VerdictDisplayName(out.end->verdict.verdict()),
              v1::VerdictDisplayName(sc.verdict))
        << out.end->verdict.reason();
    EXPECT_NE(out.end->verdict.reason().find(sc.verdict_has), std::string::npos)
        << out.end->verdict.reason();
    EXPECT_EQ(out.stop_program, sc.stop_program);
    EXPECT_EQ(out.complete_cycles, sc.complete_cycles);
  }
}

TEST(RunModelTest, HeldRunsReportHeldAndWhetherTheyResumeByThemselves) {
  RunModel resume(Analyzer(), Policy(v1::DISCONNECT_POLICY_RESUME));
  RunModel hold(Analyzer(), Policy(v1::DISCONNECT_POLICY_HOLD));
  for (RunModel* m : {&resume, &hold}) {
    m->Event(Started(0).event);
    host::Sample s;
    s.time_us = 1000;
    m->Sample(s);
    const RunEffects fx = m->Event(Kind(v1::RIG_EVENT_DISCONNECTED, "gone").event);
    ASSERT_TRUE(fx.state.has_value());
    EXPECT_EQ(*fx.state, v1::RUN_STATE_HELD);
    EXPECT_EQ(fx.state_reason, "device lost: gone");
    EXPECT_TRUE(m->held());
  }
  EXPECT_TRUE(resume.auto_resume());
  EXPECT_FALSE(hold.auto_resume());
}

TEST(RunModelTest, APausedRunLostWaitsForResumeWhateverThePolicy) {
  const Outcome out = Play({Started(0), Samples(0, 10), RunState(v1::RUN_STATE_PAUSED),
                            Kind(v1::RIG_EVENT_DISCONNECTED, "gone")},
                           Policy(v1::DISCONNECT_POLICY_RESUME));
  RunModel m(Analyzer(), Policy(v1::DISCONNECT_POLICY_RESUME));
  m.Event(Started(0).event);
  m.Event(RunState(v1::RUN_STATE_PAUSED).event);
  m.Event(Kind(v1::RIG_EVENT_DISCONNECTED, "gone").event);
  EXPECT_TRUE(m.held());
  EXPECT_FALSE(m.auto_resume());
  EXPECT_EQ(out.holds, 1u);
}

TEST(RunModelTest, ADurationRunStopsAtTheEndOfTheCycle) {
  RunRules rules;
  rules.duration_s = 0.05;
  const Outcome out = Play({Started(0), Samples(0, 100), Finished(100)}, rules);
  EXPECT_TRUE(out.stop_at_cycle_end);
  EXPECT_FALSE(out.stop_program);
}

TEST(RunModelTest, StampNamesTheNextSample) {
  RunModel m(Analyzer(), {});
  v1::RigEvent stop;
  m.Stamp(&stop);
  EXPECT_EQ(stop.sample_seq(), 0u);  // no position yet: placed by its time
  host::Sample s;
  s.seq = 41;
  m.Sample(s);
  m.Stamp(&stop);
  EXPECT_EQ(stop.sample_seq(), 42u);
}

TEST(RunModelTest, LimitNotesAreEffects) {
  const Outcome out = Play(
      {Started(0), Samples(0, 30), Samples(30, 40, 0, 1, 1.8), Samples(40, 100), Finished(100)});
  EXPECT_GE(out.limit_notes, 1u);
}

TEST(RunModelTest, VerdictLineNamesTheStateOfARigFault) {
  v1::RunVerdict v;
  v.set_verdict(v1::VERDICT_ABORTED);
  v.set_reason("stall at cycle 1");
  EXPECT_EQ(VerdictLine(v, v1::RUN_STATE_FAULTED, "device fault: stall"),
            "verdict: ABORTED stall at cycle 1 [faulted: device fault: stall]");
  EXPECT_EQ(VerdictLine(v, v1::RUN_STATE_ABORTED, "stopped by bob"),
            "verdict: ABORTED stall at cycle 1");
}

}  // namespace
}  // namespace rollrig::run_model
