// Device programs against the plant model in lock-step: trajectories of every segment
// type, held axes, exact cycles and boundaries, pause/resume, stops, aborts, uploads,
// validation, no allocation per tick, determinism.
#include "rig/firmware/program.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>
#include <vector>

#include "rig/firmware/firmware.h"
#include "rig/firmware/testing/allocation_counter.h"
#include "rig/sim/testing/lockstep_rig.h"

namespace rollrig::firmware {
namespace {

using test_support::HeapAllocations;
using test_support::Rig;

constexpr double kPi = std::numbers::pi;
constexpr float kAccelRpmS = 600.0f;  // FirmwareConfig default
constexpr double kTickS = 1e-3;

// ---- Segment builders ----

ProgramSegmentDef Seg(double seconds) {
  ProgramSegmentDef s;
  s.duration_us = static_cast<uint64_t>(std::llround(seconds * 1e6));
  return s;
}
ProgramSegmentDef& RollerHold(ProgramSegmentDef& s, float rpm) {
  s.roller = {.kind = RollerMotionKind::kHold, .rpm = rpm};
  return s;
}
ProgramSegmentDef& RollerRamp(ProgramSegmentDef& s, float from, float to) {
  s.roller = {.kind = RollerMotionKind::kRamp, .from_rpm = from, .to_rpm = to};
  return s;
}
ProgramSegmentDef& RollerSine(ProgramSegmentDef& s, float mean, float amplitude, float period_s,
                              float phase_deg = 0) {
  s.roller = {.kind = RollerMotionKind::kSine,
              .mean_rpm = mean,
              .amplitude_rpm = amplitude,
              .phase_deg = phase_deg,
              .period_s = period_s};
  return s;
}
ProgramSegmentDef& RollerAlternate(ProgramSegmentDef& s, float rpm, float period_s) {
  s.roller = {.kind = RollerMotionKind::kAlternate, .rpm = rpm, .period_s = period_s};
  return s;
}
ProgramSegmentDef& HeadHold(ProgramSegmentDef& s, float deg) {
  s.head = {.kind = HeadMotionKind::kHold, .deg = deg};
  return s;
}
ProgramSegmentDef& HeadMoveTo(ProgramSegmentDef& s, float deg, float rate) {
  s.head = {.kind = HeadMotionKind::kMoveTo, .deg = deg, .max_rate_dps = rate};
  return s;
}
ProgramSegmentDef& HeadSweep(ProgramSegmentDef& s, float from, float to, float period_s) {
  s.head = {.kind = HeadMotionKind::kSweep, .from_deg = from, .to_deg = to, .period_s = period_s};
  return s;
}
ProgramSegmentDef& PreloadHold(ProgramSegmentDef& s, float n) {
  s.preload = {.kind = PreloadMotionKind::kHold, .newtons = n};
  return s;
}
ProgramSegmentDef& PreloadRamp(ProgramSegmentDef& s, float from, float to) {
  s.preload = {.kind = PreloadMotionKind::kRamp, .from_newtons = from, .to_newtons = to};
  return s;
}

// What the test watches at every tick: the firmware's sample and target, the true plant.
struct Tick {
  TelemetrySample sample;
  float roller_target = 0;
  ProgramState program_state = ProgramState::kNone;
  double roller_rpm = 0;  // plant truth
  double head_deg = 0;
  double head_rate_dps = 0;
  double force_n = 0;
};

class ProgramRig : public Rig {
 public:
  ProgramRig() { keep_samples = true; }

  // Loads `segments` in one part and starts them.
  void LoadAndStart(const std::vector<ProgramSegmentDef>& segments, uint32_t cycles,
                    uint32_t first_cycle = 1, uint64_t id = 42) {
    ASSERT_EQ(fw().LoadProgram(id, static_cast<uint32_t>(segments.size()), 0, segments.data(),
                               segments.size()),
              CommandResult::kOk);
    start_us_ = fw().time_us();
    ASSERT_EQ(fw().StartProgram(id, cycles, first_cycle), CommandResult::kOk);
  }

  // Steps and records one Tick per step (telemetry every tick).
  void Record(double seconds) {
    const auto n = static_cast<long>(std::lround(seconds / kTickS));
    for (long k = 0; k < n; ++k) RecordOne();
  }
  bool RecordUntil(ProgramState state, double max_seconds) {
    for (long k = 0; k < std::lround(max_seconds / kTickS); ++k) {
      RecordOne();
      if (fw().status().program_state == state) return true;
    }
    return false;
  }
  void RecordOne() {
    const size_t before = samples().size();
    Step();
    EXPECT_EQ(samples().size(), before + 1);
    Tick t;
    t.sample = samples().back();
    t.roller_target = fw().status().roller_rpm_target;
    t.program_state = fw().status().program_state;
    t.roller_rpm = plant().state().roller_rpm();
    t.head_deg = plant().state().head_deg;
    t.head_rate_dps = plant().state().head_rate_dps;
    t.force_n = plant().state().force_n;
    ticks.push_back(t);
  }

  // Seconds since the program started, for a tick's sample.
  double ProgramTime(const Tick& t) const {
    return static_cast<double>(t.sample.time_us - start_us_) * 1e-6;
  }

  int CountEvents(EventKind kind) const {
    return static_cast<int>(std::count_if(events().begin(), events().end(),
                                          [&](const auto& e) { return e.kind == kind; }));
  }
  std::vector<FirmwareEvent> EventsOf(EventKind kind) const {
    std::vector<FirmwareEvent> out;
    for (const auto& e : events()) {
      if (e.kind == kind) out.push_back(e);
    }
    return out;
  }

  // The largest change of the ramped roller reference between consecutive samples.
  float MaxRollerReferenceStep(size_t from = 0) const {
    float worst = 0;
    for (size_t i = std::max<size_t>(from, 1); i < ticks.size(); ++i) {
      worst = std::max(
          worst, std::abs(ticks[i].sample.roller_rpm_cmd - ticks[i - 1].sample.roller_rpm_cmd));
    }
    return worst;
  }

  uint64_t start_us() const { return start_us_; }
  std::vector<Tick> ticks;

 private:
  uint64_t start_us_ = 0;
};

// One accel-limited tick of the roller reference, with float slack.
constexpr float kMaxReferenceStep = kAccelRpmS * static_cast<float>(kTickS) + 1e-3f;

// Largest |plant - expected| over ticks whose program time lies in [from_s, to_s).
template <typename Expected, typename Actual>
double MaxError(const ProgramRig& rig, double from_s, double to_s, Expected expected,
                Actual actual) {
  double worst = 0;
  int n = 0;
  for (const Tick& t : rig.ticks) {
    const double pt = rig.ProgramTime(t);
    if (pt < from_s || pt >= to_s) continue;
    worst = std::max(worst, std::abs(actual(t) - expected(pt)));
    ++n;
  }
  EXPECT_GT(n, 0) << "no ticks in [" << from_s << ", " << to_s << ")";
  return worst;
}

double Triangle(double t, double from, double to, double period) {
  const double f = std::fmod(t, period) / period;
  return f < 0.5 ? from + (to - from) * 2 * f : to - (to - from) * (2 * f - 1);
}

// ---- Trajectories ----

TEST(ProgramTest, RollerHoldAndRampAreTracked) {
  ProgramRig rig;
  std::vector<ProgramSegmentDef> p(3);
  p[0] = Seg(1.0);
  RollerHold(p[0], 60);
  p[1] = Seg(2.0);
  RollerRamp(p[1], 60, -60);  // 60 rpm/s, well inside the accel limit
  p[2] = Seg(0.5);
  RollerHold(p[2], -60);
  rig.LoadAndStart(p, 1);
  rig.Record(3.5);
  const auto rpm = [](const Tick& t) { return t.roller_rpm; };
  const double hold_err = MaxError(
      rig, 0.3, 1.0, [](double) { return 60.0; }, rpm);
  const double ramp_err = MaxError(
      rig, 1.1, 3.0, [](double t) { return 60 - 60 * (t - 1); }, rpm);
  const double hold2_err = MaxError(
      rig, 3.2, 3.5, [](double) { return -60.0; }, rpm);
  // The reference itself follows the ramp exactly once the accel limit no longer binds.
  const double ref_err = MaxError(
      rig, 1.0, 3.0, [](double t) { return 60 - 60 * (t - 1); },
      [](const Tick& t) { return static_cast<double>(t.sample.roller_rpm_cmd); });
  std::printf("roller hold %.2f rpm, ramp %.2f rpm (reference %.4f), hold %.2f rpm\n", hold_err,
              ramp_err, ref_err, hold2_err);
  EXPECT_LT(hold_err, 1.5);
  EXPECT_LT(ramp_err, 2.0);
  EXPECT_LT(ref_err, 1e-3);
  EXPECT_LT(hold2_err, 1.5);
  EXPECT_LE(rig.MaxRollerReferenceStep(), kMaxReferenceStep);
}

TEST(ProgramTest, RollerSineIsTracked) {
  ProgramRig rig;
  std::vector<ProgramSegmentDef> p(1);
  p[0] = Seg(4.0);
  RollerSine(p[0], 40, 30, 2.0, 90);  // starts at the top: 70 rpm
  rig.LoadAndStart(p, 1);
  rig.Record(4.0);
  const auto expected = [](double t) { return 40 + 30 * std::sin(2 * kPi * t / 2.0 + kPi / 2); };
  const double err = MaxError(rig, 0.3, 4.0, expected, [](const Tick& t) { return t.roller_rpm; });
  std::printf("roller sine 40±30 rpm, 2 s: max tracking error %.2f rpm\n", err);
  EXPECT_LT(err, 3.0);
  // Peak-to-peak of the true speed over the last full period.
  double lo = 1e9, hi = -1e9;
  for (const Tick& t : rig.ticks) {
    if (rig.ProgramTime(t) < 2.0) continue;
    lo = std::min(lo, t.roller_rpm);
    hi = std::max(hi, t.roller_rpm);
  }
  EXPECT_NEAR(hi, 70, 2.0);
  EXPECT_NEAR(lo, 10, 2.0);
}

TEST(ProgramTest, RollerAlternateReversesEveryHalfPeriod) {
  ProgramRig rig;
  std::vector<ProgramSegmentDef> p(1);
  p[0] = Seg(3.0);
  RollerAlternate(p[0], 50, 1.0);
  rig.LoadAndStart(p, 1);
  rig.Record(3.0);
  for (const Tick& t : rig.ticks) {
    const double pt = rig.ProgramTime(t);
    // The target flips exactly on the half-period ticks.
    const double f = std::fmod(pt + 1e-9, 1.0);
    ASSERT_EQ(t.roller_target, f < 0.5 ? 50.0f : -50.0f) << pt;
  }
  // 100 rpm at 600 rpm/s takes 0.17 s: each half settles well before it ends.
  const auto rpm = [](const Tick& t) { return t.roller_rpm; };
  double worst = 0;
  for (int k = 0; k < 3; ++k) {
    worst = std::max(worst, MaxError(
                                rig, k + 0.3, k + 0.5, [](double) { return 50.0; }, rpm));
    worst = std::max(worst, MaxError(
                                rig, k + 0.8, k + 1.0, [](double) { return -50.0; }, rpm));
  }
  std::printf("roller alternate ±50 rpm: max plateau error %.2f rpm\n", worst);
  EXPECT_LT(worst, 1.5);
  EXPECT_LE(rig.MaxRollerReferenceStep(), kMaxReferenceStep);
}

TEST(ProgramTest, HeadHoldMoveToAndSweep) {
  ProgramRig rig;
  std::vector<ProgramSegmentDef> p(3);
  p[0] = Seg(1.0);
  HeadHold(p[0], 30);
  p[1] = Seg(2.0);
  HeadMoveTo(p[1], -30, 40);  // 60 degrees at 40 deg/s: 1.5 s
  p[2] = Seg(4.0);
  HeadSweep(p[2], -20, 40, 2.0);  // 60 deg/s
  rig.LoadAndStart(p, 1);
  rig.Record(7.0);
  const auto head = [](const Tick& t) { return t.head_deg; };
  const double hold_err = MaxError(
      rig, 0.6, 1.0, [](double) { return 30.0; }, head);
  const double move_rate_err = MaxError(
      rig, 1.2, 2.4, [](double) { return -40.0; }, [](const Tick& t) { return t.head_rate_dps; });
  const double arrive_err = MaxError(
      rig, 2.7, 3.0, [](double) { return -30.0; }, head);
  // The sweep starts from -30 (where move_to left it) towards -20 at the head's maximum
  // rate, then follows the triangle.
  const auto triangle = [](double t) { return Triangle(t - 3.0, -20, 40, 2.0); };
  const double sweep_err = MaxError(rig, 3.3, 7.0, triangle, head);
  const double sweep_ref_err = MaxError(rig, 3.3, 7.0, triangle, [](const Tick& t) {
    return static_cast<double>(t.sample.head_deg_cmd);
  });
  double lo = 1e9, hi = -1e9;
  double t_hi = 0;
  for (const Tick& t : rig.ticks) {
    const double pt = rig.ProgramTime(t);
    if (pt < 5.0) continue;
    lo = std::min(lo, t.head_deg);
    if (t.head_deg > hi) {
      hi = t.head_deg;
      t_hi = pt;
    }
  }
  std::printf(
      "head hold %.2f deg, move_to rate %.2f deg/s, arrival %.2f deg, sweep %.2f deg "
      "(reference %.4f deg; min %.2f max %.2f at %.3f s)\n",
      hold_err, move_rate_err, arrive_err, sweep_err, sweep_ref_err, lo, hi, t_hi);
  EXPECT_LT(hold_err, 0.5);
  EXPECT_LT(move_rate_err, 2.0);
  EXPECT_LT(arrive_err, 0.5);
  // The servo's 20 ms rate lag at 60 deg/s, most of it at the turns.
  EXPECT_LT(sweep_err, 2.5);
  EXPECT_LT(sweep_ref_err, 0.01);
  EXPECT_NEAR(lo, -20, 1.0);
  EXPECT_NEAR(hi, 40, 1.0);
  EXPECT_NEAR(t_hi, 6.0, 0.05);  // the turn at `to` comes half a period after `from`
}

TEST(ProgramTest, PreloadHoldAndRamp) {
  ProgramRig rig;
  rig.Run(0.05);
  ASSERT_EQ(rig.fw().Tare(), CommandResult::kOk);
  std::vector<ProgramSegmentDef> p(2);
  p[0] = Seg(1.5);
  PreloadHold(p[0], 40);
  p[1] = Seg(2.0);
  PreloadRamp(p[1], 40, 100);  // 30 N/s
  rig.LoadAndStart(p, 1);
  rig.Record(3.5);
  const auto force = [](const Tick& t) { return t.force_n; };
  const double hold_err = MaxError(
      rig, 0.8, 1.5, [](double) { return 40.0; }, force);
  const double ramp_err = MaxError(
      rig, 1.7, 3.5, [](double t) { return 40 + 30 * (t - 1.5); }, force);
  std::printf("preload hold %.2f N, ramp %.2f N\n", hold_err, ramp_err);
  EXPECT_LT(hold_err, 2.0);
  EXPECT_LT(ramp_err, 3.0);
}

TEST(ProgramTest, AnOmittedAxisHoldsThePreviousSetpoint) {
  ProgramRig rig;
  rig.Run(0.05);
  ASSERT_EQ(rig.fw().Tare(), CommandResult::kOk);
  ASSERT_EQ(rig.fw().SetRollerSpeed(-30), CommandResult::kOk);  // a jog in force
  rig.Run(0.5);
  std::vector<ProgramSegmentDef> p(3);
  p[0] = Seg(1.0);  // roller omitted: keeps the jog's -30
  HeadHold(p[0], 20);
  PreloadHold(p[0], 30);
  p[1] = Seg(1.0);  // head and preload omitted
  RollerRamp(p[1], 0, 50);
  p[2] = Seg(1.0);  // everything omitted: the ramp's end, 20 deg, 30 N
  rig.LoadAndStart(p, 2);
  rig.Record(6.0);
  for (const Tick& t : rig.ticks) {
    const double pt = rig.ProgramTime(t);
    if (t.sample.cycle == 1 && t.sample.segment == 0) {
      ASSERT_EQ(t.roller_target, -30.0f) << pt;
    }
    if ((t.sample.cycle == 2 && t.sample.segment == 0) || t.sample.segment == 2) {
      ASSERT_EQ(t.roller_target, 50.0f) << pt;
    }
    if (t.sample.segment >= 1) {
      ASSERT_EQ(t.sample.head_deg_cmd, 20.0f) << pt;
      ASSERT_NEAR(t.sample.preload_cmd_n, 30.0f, 1e-4) << pt;
    }
  }
  EXPECT_NEAR(rig.ticks[2500].roller_rpm, 50, 1.5);  // program time 2.5 s: segment 2
  EXPECT_NEAR(rig.ticks[2500].head_deg, 20, 0.5);
  EXPECT_NEAR(rig.ticks[2500].force_n, 30, 2.0);
}

// ---- Sequencing ----

TEST(ProgramTest, CyclesSegmentsAndBoundariesAreExact) {
  ProgramRig rig;
  std::vector<ProgramSegmentDef> p(3);
  p[0] = Seg(0.010);
  RollerHold(p[0], 20);
  p[1] = Seg(0.025);
  RollerHold(p[1], 30);
  p[2] = Seg(0.007);
  p[2].duration_us = 6'600;  // rounds to 7 ticks
  const uint64_t cycle_us = 42'000;
  rig.LoadAndStart(p, 5, 11);
  EXPECT_EQ(rig.fw().program().cycle_ticks(), 42u);
  ASSERT_TRUE(rig.RecordUntil(ProgramState::kLoaded, 2.0));

  // Every sample of cycle c, segment s falls where the arithmetic says.
  const uint64_t starts[] = {0, 10'000, 35'000, 42'000};
  int in_program = 0;
  for (const Tick& t : rig.ticks) {
    const uint64_t since = t.sample.time_us - rig.start_us();
    if (since >= 5 * cycle_us) {
      ASSERT_EQ(t.sample.segment, -1);
      ASSERT_EQ(t.sample.cycle, 0u);
      continue;
    }
    ++in_program;
    const uint64_t in_cycle = since % cycle_us;
    int expected_segment = 0;
    while (in_cycle >= starts[expected_segment + 1]) ++expected_segment;
    ASSERT_EQ(t.sample.segment, expected_segment) << since;
    ASSERT_EQ(t.sample.cycle, 11 + since / cycle_us) << since;
  }
  EXPECT_EQ(in_program, 5 * 42);

  const auto completed = rig.EventsOf(EventKind::kCycleCompleted);
  ASSERT_EQ(completed.size(), 5u);
  for (size_t k = 0; k < completed.size(); ++k) {
    EXPECT_EQ(completed[k].cycle, 11 + k);
    EXPECT_EQ(completed[k].time_us, rig.start_us() + (k + 1) * cycle_us);
    EXPECT_EQ(completed[k].program_id, 42u);
  }
  EXPECT_EQ(rig.CountEvents(EventKind::kProgramStarted), 1);
  const auto finished = rig.EventsOf(EventKind::kProgramFinished);
  ASSERT_EQ(finished.size(), 1u);
  EXPECT_EQ(finished[0].cycle, 15u);
  EXPECT_EQ(finished[0].state, DeviceState::kIdle);
  EXPECT_EQ(rig.fw().status().cycles_completed, 5u);
  EXPECT_EQ(rig.fw().status().state, DeviceState::kIdle);
  EXPECT_FALSE(rig.out().bridge_enabled);
  EXPECT_EQ(rig.CountEvents(EventKind::kProgramAborted), 0);
}

TEST(ProgramTest, SegmentDurationsRoundToWholeTicks) {
  EXPECT_EQ(SegmentTicks(1, 1000), 1u);  // never zero
  EXPECT_EQ(SegmentTicks(1000, 1000), 1u);
  EXPECT_EQ(SegmentTicks(1499, 1000), 1u);
  EXPECT_EQ(SegmentTicks(1500, 1000), 2u);  // halves round up
  EXPECT_EQ(SegmentTicks(2499, 1000), 2u);
  EXPECT_EQ(SegmentTicks(1234, 100), 12u);
  EXPECT_EQ(SegmentTicks(72ull * 3600 * 1'000'000, 100), 72ull * 3600 * 10'000);

  // At 10 kHz a 1.25 ms segment is 13 ticks (12.5 rounded up), a 0.3 ms one 3.
  FirmwareConfig config;
  config.tick_hz = 10000;
  Rig rig(config);
  rig.keep_samples = true;
  std::vector<ProgramSegmentDef> p(2);
  p[0] = Seg(0.00125);
  p[1] = Seg(0.0003);
  ASSERT_EQ(rig.fw().LoadProgram(1, 2, 0, p.data(), 2), CommandResult::kOk);
  ASSERT_EQ(rig.fw().StartProgram(1, 3, 1), CommandResult::kOk);
  rig.Run(0.01);
  std::vector<int> per_segment(2, 0);
  for (const auto& s : rig.samples()) {
    if (s.segment >= 0) ++per_segment[static_cast<size_t>(s.segment)];
  }
  EXPECT_EQ(per_segment[0], 3 * 13);
  EXPECT_EQ(per_segment[1], 3 * 3);
}

TEST(ProgramTest, RunsUntilStoppedWhenCyclesIsZero) {
  ProgramRig rig;
  std::vector<ProgramSegmentDef> p(1);
  p[0] = Seg(0.1);
  RollerHold(p[0], 30);
  rig.LoadAndStart(p, 0, 0);  // first_cycle 0 counts as 1
  rig.Record(5.05);
  EXPECT_EQ(rig.CountEvents(EventKind::kCycleCompleted), 50);
  EXPECT_EQ(rig.fw().status().cycle, 51u);
  EXPECT_EQ(rig.fw().status().program_state, ProgramState::kRunning);
}

TEST(ProgramTest, PauseHoldsProgramTimeAndResumeRampsBackWithoutAJump) {
  ProgramRig rig;
  std::vector<ProgramSegmentDef> p(1);
  p[0] = Seg(2.0);
  RollerRamp(p[0], 0, 100);
  HeadSweep(p[0], 0, 30, 1.0);
  rig.LoadAndStart(p, 1);
  rig.Record(1.0);
  const float head_at_pause = rig.ticks.back().sample.head_deg_cmd;
  ASSERT_EQ(rig.fw().PauseProgram(), CommandResult::kOk);
  EXPECT_EQ(rig.fw().PauseProgram(), CommandResult::kOk);  // idempotent
  const size_t paused_from = rig.ticks.size();
  rig.Record(0.7);  // 0.7 s paused
  for (size_t i = paused_from; i < rig.ticks.size(); ++i) {
    ASSERT_EQ(rig.ticks[i].sample.segment, 0);  // still in the program, time frozen
    ASSERT_EQ(rig.ticks[i].program_state, ProgramState::kPaused);
    ASSERT_NEAR(rig.ticks[i].sample.head_deg_cmd, head_at_pause, 0.13f);  // one tick at most
  }
  EXPECT_EQ(rig.ticks.back().sample.roller_rpm_cmd, 0.0f);
  EXPECT_LT(std::abs(rig.ticks.back().roller_rpm), 1.0);
  ASSERT_EQ(rig.fw().ResumeProgram(), CommandResult::kOk);
  ASSERT_TRUE(rig.RecordUntil(ProgramState::kLoaded, 3.0));

  // The program's 2 s ran to the tick, the pause added its 0.7 s.
  const auto completed = rig.EventsOf(EventKind::kCycleCompleted);
  ASSERT_EQ(completed.size(), 1u);
  EXPECT_EQ(completed[0].time_us, rig.start_us() + 2'700'000);
  EXPECT_EQ(rig.CountEvents(EventKind::kProgramPaused), 1);
  EXPECT_EQ(rig.CountEvents(EventKind::kProgramResumed), 1);
  // Down to 0 and back to the ramp (~50 rpm) at the accel limit, never a jump.
  EXPECT_LE(rig.MaxRollerReferenceStep(), kMaxReferenceStep);
  // After resuming the ramp continues where it paused (~50 rpm at 1 s of program time).
  double err = 0;
  for (const Tick& t : rig.ticks) {
    const double pt = rig.ProgramTime(t) - 0.7;
    if (pt > 1.3 && pt < 2.0) err = std::max(err, std::abs(t.roller_rpm - 50.0 * pt));
  }
  EXPECT_LT(err, 2.0);
}

TEST(ProgramTest, StopAtCycleEndFinishesTheCycle) {
  ProgramRig rig;
  std::vector<ProgramSegmentDef> p(2);
  p[0] = Seg(0.5);
  RollerHold(p[0], 60);
  p[1] = Seg(0.5);
  RollerHold(p[1], -60);
  rig.LoadAndStart(p, 0);
  rig.Record(1.3);  // in cycle 2
  ASSERT_EQ(rig.fw().StopProgram(true), CommandResult::kOk);
  rig.Record(0.5);
  EXPECT_EQ(rig.fw().status().program_state, ProgramState::kRunning);  // cycle 2 goes on
  ASSERT_TRUE(rig.RecordUntil(ProgramState::kLoaded, 2.0));
  const auto completed = rig.EventsOf(EventKind::kCycleCompleted);
  ASSERT_EQ(completed.size(), 2u);
  EXPECT_EQ(completed[1].time_us, rig.start_us() + 2'000'000);
  for (const Tick& t : rig.ticks) {
    if (t.sample.time_us >= rig.start_us() + 2'000'000) {
      ASSERT_EQ(t.sample.segment, -1);  // no third cycle
    }
  }
  const auto finished = rig.EventsOf(EventKind::kProgramFinished);
  ASSERT_EQ(finished.size(), 1u);
  EXPECT_EQ(finished[0].cycle, 2u);
  // -60 rpm to rest at 600 rpm/s: 0.1 s plus the standstill check.
  EXPECT_LT(finished[0].time_us - completed[1].time_us, 200'000u);
  EXPECT_EQ(rig.fw().status().state, DeviceState::kIdle);
  EXPECT_LE(rig.MaxRollerReferenceStep(), kMaxReferenceStep);
}

TEST(ProgramTest, StopNowRampsDownAndFinishes) {
  ProgramRig rig;
  std::vector<ProgramSegmentDef> p(1);
  p[0] = Seg(10.0);
  RollerHold(p[0], 90);
  HeadHold(p[0], 10);
  rig.LoadAndStart(p, 1);
  rig.Record(1.0);
  ASSERT_EQ(rig.fw().StopProgram(false), CommandResult::kOk);
  EXPECT_EQ(rig.fw().status().program_state, ProgramState::kStopping);
  EXPECT_EQ(rig.fw().SetRollerSpeed(10), CommandResult::kBusy);
  EXPECT_EQ(rig.fw().PauseProgram(), CommandResult::kBusy);
  const size_t stop_at = rig.ticks.size();
  ASSERT_TRUE(rig.RecordUntil(ProgramState::kLoaded, 1.0));
  const double stop_s = static_cast<double>(rig.ticks.size() - stop_at) * kTickS;
  EXPECT_GT(stop_s, 0.14);  // 90 rpm at 600 rpm/s: a ramp, not a brake
  EXPECT_LT(stop_s, 0.25);
  EXPECT_LE(rig.MaxRollerReferenceStep(), kMaxReferenceStep);
  EXPECT_EQ(rig.CountEvents(EventKind::kCycleCompleted), 0);
  EXPECT_EQ(rig.CountEvents(EventKind::kProgramFinished), 1);
  EXPECT_EQ(rig.fw().status().state, DeviceState::kIdle);
  EXPECT_EQ(rig.fw().status().faults, 0u);
  EXPECT_NEAR(rig.plant().state().head_deg, 10, 1.0);  // the head held
  // The program stays loaded and runs again.
  EXPECT_EQ(rig.fw().StartProgram(42, 1, 1), CommandResult::kOk);
}

TEST(ProgramTest, PlainStopEndsTheProgramToo) {
  ProgramRig rig;
  std::vector<ProgramSegmentDef> p(1);
  p[0] = Seg(10.0);
  RollerHold(p[0], 60);
  rig.LoadAndStart(p, 1);
  rig.Record(0.5);
  ASSERT_EQ(rig.fw().Stop(), CommandResult::kOk);
  ASSERT_TRUE(rig.RecordUntil(ProgramState::kLoaded, 1.0));
  EXPECT_EQ(rig.CountEvents(EventKind::kProgramFinished), 1);
  EXPECT_EQ(rig.fw().status().state, DeviceState::kIdle);
}

TEST(ProgramTest, AFaultAbortsTheProgram) {
  ProgramRig rig;
  std::vector<ProgramSegmentDef> p(2);
  p[0] = Seg(0.5);
  RollerHold(p[0], 60);
  p[1] = Seg(0.5);
  RollerHold(p[1], 30);
  rig.LoadAndStart(p, 0);
  rig.Record(1.7);
  rig.fw().EStop();
  rig.Record(0.5);
  const auto aborted = rig.EventsOf(EventKind::kProgramAborted);
  ASSERT_EQ(aborted.size(), 1u);
  EXPECT_EQ(aborted[0].cycle, 2u);
  EXPECT_NE(aborted[0].faults & FaultBit(Fault::kEStopSoftware), 0u);
  EXPECT_EQ(rig.CountEvents(EventKind::kProgramFinished), 0);
  EXPECT_EQ(rig.fw().status().program_state, ProgramState::kLoaded);
  EXPECT_EQ(rig.fw().status().state, DeviceState::kFaulted);
  EXPECT_EQ(rig.ticks.back().sample.segment, -1);
  EXPECT_EQ(rig.ticks.back().sample.cycle, 0u);
  EXPECT_EQ(rig.fw().StartProgram(42, 1, 1), CommandResult::kFaultLatched);
  EXPECT_EQ(rig.fw().ResumeProgram(), CommandResult::kBadRequest);

  // A stall (a jammed roller) aborts a running program the same way.
  ASSERT_EQ(rig.fw().ClearFaults(), CommandResult::kOk);
  ASSERT_EQ(rig.fw().StartProgram(42, 0, 3), CommandResult::kOk);
  rig.Record(0.5);
  rig.plant().faults().roller_jammed = true;
  rig.Record(1.0);
  EXPECT_EQ(rig.CountEvents(EventKind::kProgramAborted), 2);
  EXPECT_TRUE(rig.HasFault(Fault::kStall));
}

// ---- Uploads and validation ----

TEST(ProgramTest, UploadInPartsAndRefuseNonContiguousParts) {
  Rig rig;
  Firmware& fw = rig.fw();
  std::vector<ProgramSegmentDef> p(10);
  for (size_t i = 0; i < p.size(); ++i) {
    p[i] = Seg(0.01);
    RollerHold(p[i], static_cast<float>(i));
  }
  ProgramRefusal why;
  ASSERT_EQ(fw.LoadProgram(7, 10, 0, p.data(), 4, &why), CommandResult::kOk);
  EXPECT_EQ(fw.status().program_state, ProgramState::kNone);  // incomplete
  EXPECT_EQ(fw.StartProgram(7, 1, 1), CommandResult::kBadRequest);
  // A gap, a repeat and another program's part are refused and change nothing.
  EXPECT_EQ(fw.LoadProgram(7, 10, 5, p.data() + 5, 3, &why), CommandResult::kBadRequest);
  EXPECT_EQ(why.problem, ProgramProblem::kNotContiguous);
  EXPECT_EQ(why.expected, 4u);
  EXPECT_EQ(fw.LoadProgram(7, 10, 2, p.data() + 2, 3, &why), CommandResult::kBadRequest);
  EXPECT_EQ(why.problem, ProgramProblem::kNotContiguous);
  EXPECT_EQ(fw.LoadProgram(8, 10, 4, p.data() + 4, 3, &why), CommandResult::kBadRequest);
  EXPECT_EQ(why.problem, ProgramProblem::kOtherUpload);
  EXPECT_EQ(fw.LoadProgram(7, 10, 4, p.data() + 4, 7, &why), CommandResult::kBadRequest);
  EXPECT_EQ(why.problem, ProgramProblem::kPastEnd);
  EXPECT_EQ(fw.program().loaded(), 4u);
  ASSERT_EQ(fw.LoadProgram(7, 10, 4, p.data() + 4, 3), CommandResult::kOk);
  ASSERT_EQ(fw.LoadProgram(7, 10, 7, p.data() + 7, 3), CommandResult::kOk);
  EXPECT_EQ(fw.status().program_state, ProgramState::kLoaded);
  EXPECT_EQ(fw.status().program_id, 7u);
  EXPECT_EQ(fw.StartProgram(8, 1, 1), CommandResult::kBadRequest);  // wrong id
  ASSERT_EQ(fw.StartProgram(7, 1, 1), CommandResult::kOk);
  EXPECT_EQ(fw.StartProgram(7, 1, 1), CommandResult::kBusy);
  EXPECT_EQ(fw.LoadProgram(9, 1, 0, p.data(), 1, &why), CommandResult::kBusy);
  EXPECT_EQ(why.problem, ProgramProblem::kProgramRunning);
  rig.keep_samples = true;
  rig.Run(0.1);
  // Each segment's hold rpm is its index: the right segments landed in the right slots.
  for (const auto& s : rig.samples()) {
    if (s.segment >= 0) {
      ASSERT_EQ(rig.fw().program().segment(static_cast<uint32_t>(s.segment)).roller.rpm,
                static_cast<float>(s.segment));
    }
  }
  // A new upload (first_index 0) replaces a finished program.
  rig.Run(0.5);
  ASSERT_EQ(fw.status().program_state, ProgramState::kLoaded);
  ASSERT_EQ(fw.LoadProgram(9, 1, 0, p.data(), 1), CommandResult::kOk);
  EXPECT_EQ(fw.status().program_id, 9u);
  EXPECT_EQ(fw.StartProgram(7, 1, 1), CommandResult::kBadRequest);
}

TEST(ProgramTest, BadSegmentsAreRefusedWithTheRightCodes) {
  Rig rig;
  Firmware& fw = rig.fw();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  struct Case {
    const char* name;
    ProgramSegmentDef segment;
    CommandResult result;
    ProgramProblem problem;
  };
  std::vector<Case> cases;
  auto add = [&](const char* name, ProgramSegmentDef s, CommandResult r, ProgramProblem p) {
    cases.push_back({name, s, r, p});
  };
  const auto bad = CommandResult::kBadRequest;
  const auto range = CommandResult::kOutOfRange;
  ProgramSegmentDef s;
  s = Seg(1);
  add("rpm 500", RollerHold(s, 500), range, ProgramProblem::kOutOfRange);
  s = Seg(1);
  add("rpm nan", RollerHold(s, nan), bad, ProgramProblem::kNotFinite);
  s = Seg(1);
  add("ramp to inf", RollerRamp(s, 0, inf), bad, ProgramProblem::kNotFinite);
  s = Seg(0);
  add("zero duration", RollerHold(s, 10), bad, ProgramProblem::kNotPositive);
  s = Seg(1);
  add("sine period 0", RollerSine(s, 0, 10, 0), bad, ProgramProblem::kNotPositive);
  s = Seg(1);
  add("sine peak 130", RollerSine(s, 100, 30, 1), range, ProgramProblem::kOutOfRange);
  s = Seg(1);
  add("alternate period -1", RollerAlternate(s, 10, -1), bad, ProgramProblem::kNotPositive);
  s = Seg(1);
  add("alternate period 1 ms", RollerAlternate(s, 10, 0.001f), range, ProgramProblem::kOutOfRange);
  s = Seg(1);
  add("head 190", HeadHold(s, 190), range, ProgramProblem::kOutOfRange);
  s = Seg(1);
  add("move_to rate 200", HeadMoveTo(s, 10, 200), range, ProgramProblem::kOutOfRange);
  s = Seg(1);
  add("move_to rate -1", HeadMoveTo(s, 10, -1), range, ProgramProblem::kOutOfRange);
  s = Seg(1);
  add("sweep too fast", HeadSweep(s, -90, 90, 1), range, ProgramProblem::kOutOfRange);
  s = Seg(1);
  add("sweep period nan", HeadSweep(s, 0, 10, nan), bad, ProgramProblem::kNotFinite);
  s = Seg(1);
  add("preload -1", PreloadHold(s, -1), range, ProgramProblem::kOutOfRange);
  s = Seg(1);
  add("preload ramp 151", PreloadRamp(s, 0, 151), range, ProgramProblem::kOutOfRange);
  s = Seg(1);
  s.head.kind = static_cast<HeadMotionKind>(9);
  add("unknown head motion", s, bad, ProgramProblem::kUnknownMotion);

  std::vector<ProgramSegmentDef> p(4, Seg(1));
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    p[2] = c.segment;
    ProgramRefusal why;
    EXPECT_EQ(fw.LoadProgram(1, 4, 0, p.data(), 4, &why), c.result);
    EXPECT_EQ(why.problem, c.problem);
    EXPECT_EQ(why.segment, 2);
    EXPECT_STRNE(why.field, "");
  }
  ProgramRefusal why;
  EXPECT_EQ(fw.LoadProgram(1, 300, 0, p.data(), 1, &why), CommandResult::kOutOfRange);
  EXPECT_EQ(why.problem, ProgramProblem::kTooManySegments);
  EXPECT_EQ(fw.LoadProgram(1, 0, 0, p.data(), 0, &why), CommandResult::kBadRequest);
  EXPECT_EQ(why.problem, ProgramProblem::kEmptyProgram);
  EXPECT_EQ(fw.status().program_state, ProgramState::kNone) << "nothing was loaded";

  // 256 segments fit.
  std::vector<ProgramSegmentDef> full(kMaxProgramSegments, Seg(0.001));
  EXPECT_EQ(fw.LoadProgram(2, 256, 0, full.data(), 128), CommandResult::kOk);
  EXPECT_EQ(fw.LoadProgram(2, 256, 128, full.data() + 128, 128), CommandResult::kOk);
  EXPECT_EQ(fw.status().program_state, ProgramState::kLoaded);

  // Starting is refused while an interlock is active.
  rig.plant().faults().door_open = true;
  rig.Run(0.01);
  EXPECT_EQ(fw.StartProgram(2, 1, 1), CommandResult::kInterlockActive);
  EXPECT_EQ(fw.PauseProgram(), CommandResult::kBadRequest);
}

TEST(ProgramTest, NoAllocationWhileAProgramRuns) {
  Rig rig;
  rig.drain_telemetry = false;  // the rig's own vectors would allocate
  Firmware& fw = rig.fw();
  std::vector<ProgramSegmentDef> p(4);
  p[0] = Seg(0.2);
  RollerSine(p[0], 30, 20, 0.1f);
  HeadSweep(p[0], 0, 10, 0.5f);
  p[1] = Seg(0.2);
  RollerAlternate(p[1], 40, 0.1f);
  PreloadRamp(p[1], 10, 40);
  p[2] = Seg(0.2);
  RollerRamp(p[2], 0, 60);
  HeadMoveTo(p[2], -20, 30);
  p[3] = Seg(0.2);
  ASSERT_EQ(fw.LoadProgram(3, 4, 0, p.data(), 4), CommandResult::kOk);
  ASSERT_EQ(fw.StartProgram(3, 5, 1), CommandResult::kOk);
  ActuatorOutputs out;
  plant::Plant& plant = rig.plant();
  const long before = HeapAllocations();
  for (int k = 0; k < 4000; ++k) {
    plant.Advance(out, 1e-3);
    fw.FeedWatchdog();
    out = fw.Tick(plant.ReadSensors());
    TelemetrySample s;
    while (fw.PopTelemetry(&s)) {
    }
    FirmwareEvent e;
    while (fw.PopEvent(&e)) {
    }
    if (k == 500) fw.PauseProgram();
    if (k == 700) fw.ResumeProgram();
    if (k == 1500) fw.StopProgram(true);
    if (k == 2500) fw.StartProgram(3, 0, 1);
    if (k == 3500) fw.EStop();
  }
  EXPECT_EQ(HeapAllocations(), before);
}

TEST(ProgramTest, IdenticalRunsGiveIdenticalSamples) {
  auto run = [] {
    ProgramRig rig;
    rig.Run(0.05);
    rig.fw().Tare();
    std::vector<ProgramSegmentDef> p(3);
    p[0] = Seg(0.3);
    RollerSine(p[0], 30, 20, 0.2f, 45);
    HeadSweep(p[0], -10, 20, 0.6f);
    p[1] = Seg(0.25);
    RollerAlternate(p[1], 50, 0.1f);
    PreloadRamp(p[1], 10, 60);
    p[2] = Seg(0.2);
    HeadMoveTo(p[2], 40, 60);
    rig.LoadAndStart(p, 3);
    rig.Record(1.0);
    rig.fw().PauseProgram();
    rig.Record(0.2);
    rig.fw().ResumeProgram();
    rig.Record(2.0);
    return rig.samples();
  };
  const auto a = run(), b = run();
  ASSERT_EQ(a.size(), b.size());
  for (size_t k = 0; k < a.size(); ++k) {
    ASSERT_EQ(a[k].segment, b[k].segment) << k;
    ASSERT_EQ(a[k].cycle, b[k].cycle) << k;
    ASSERT_EQ(a[k].roller_rpm_cmd, b[k].roller_rpm_cmd) << k;
    ASSERT_EQ(a[k].roller_rpm, b[k].roller_rpm) << k;
    ASSERT_EQ(a[k].head_deg_cmd, b[k].head_deg_cmd) << k;
    ASSERT_EQ(a[k].force_n, b[k].force_n) << k;
  }
}

}  // namespace
}  // namespace rollrig::firmware
