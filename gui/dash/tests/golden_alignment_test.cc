#include "gui/dash/golden_alignment.h"

#include <gtest/gtest.h>

#include <cmath>

#include "gui/dash/limit_bands.h"

namespace rollrig::gui {
namespace {

TEST(GoldenAlignment, LinesUpTheChosenCycle) {
  AlignmentInput in;
  in.target_run_start = 100;
  in.target_cycle_starts = {100.5, 160.0, 230.0};  // cycle 2 started late (a pause)
  in.reference_cycle_starts = {0.4, 60.4, 120.4};
  in.cycle = 2;
  EXPECT_NEAR(GoldenShift(in), 160.0 - 60.4, 1e-9);
  in.cycle = 3;
  EXPECT_NEAR(GoldenShift(in), 230.0 - 120.4, 1e-9);
}

TEST(GoldenAlignment, WithoutThatCycleFallsBackToRunTime) {
  AlignmentInput in;
  in.target_run_start = 12.5;
  in.target_cycle_starts = {13.0};
  in.reference_cycle_starts = {0.2, 60.0};
  in.cycle = 2;  // the target has not reached cycle 2 yet
  EXPECT_DOUBLE_EQ(GoldenShift(in), 12.5);
  in.cycle = 0;  // asked for run time
  EXPECT_DOUBLE_EQ(GoldenShift(in), 12.5);
}

rollrig::v1::CycleStats Cycle(uint32_t n, double start, double end) {
  rollrig::v1::CycleStats c;
  c.set_cycle(n);
  c.set_start_s(start);
  c.set_end_s(end);
  return c;
}

// A run shown from its start through rigd's history is on run time: its cycles' starts come
// from their statistics, and the golden lines up on them.
TEST(GoldenAlignment, ARunsHistoryGivesItsCycleStartsOnRunTime) {
  const std::vector<rollrig::v1::CycleStats> cycles = {Cycle(1, 0.3, 60.3),
                                                       Cycle(2, 75.0, 135.0)};  // paused 15 s
  EXPECT_EQ(CycleStartsOf(cycles, false), (std::vector<double>{0.3, 75.0}));
  EXPECT_EQ(CycleStartsOf(cycles, true), (std::vector<double>{0.3, 75.0, 135.0}));
  AlignmentInput in;
  in.target_cycle_starts = CycleStartsOf(cycles, true);
  in.reference_cycle_starts = {0.4, 60.4, 120.4};
  in.cycle = 2;
  EXPECT_NEAR(GoldenShift(in), 75.0 - 60.4, 1e-9);
  in.cycle = 3;
  EXPECT_NEAR(GoldenShift(in), 135.0 - 120.4, 1e-9);
}

TEST(GoldenAlignment, CyclesATableSkipsAreNotKnownAndFallBackToRunTime) {
  // A resumed run's table may begin later than cycle 1; unnumbered records are ignored.
  const std::vector<rollrig::v1::CycleStats> cycles = {Cycle(0, 5, 6), Cycle(3, 120, 180),
                                                       Cycle(4, 180, 240)};
  const std::vector<double> starts = CycleStartsOf(cycles, false);
  ASSERT_EQ(starts.size(), 4u);
  EXPECT_TRUE(std::isnan(starts[0]) && std::isnan(starts[1]));
  EXPECT_EQ(starts[2], 120);
  EXPECT_EQ(starts[3], 180);
  AlignmentInput in;
  in.target_run_start = 0;
  in.target_cycle_starts = starts;
  in.reference_cycle_starts = {0.4, 60.4, 120.4};
  in.cycle = 1;  // not in the table: run time
  EXPECT_EQ(GoldenShift(in), 0);
  in.cycle = 3;
  EXPECT_NEAR(GoldenShift(in), 120 - 120.4, 1e-9);
  EXPECT_TRUE(CycleStartsOf({}, true).empty());
}

TEST(GoldenAlignment, ShiftedPointsKeepValuesAndGaps) {
  std::vector<TelemetryPoint> pts(3);
  pts[0].t = 0;
  pts[1].t = 1;
  pts[2].t = 2;
  pts[2].dropped_before = 5;
  pts[1].v[ChannelNamed("torque_nm")] = 0.25f;
  auto out = ShiftedPoints(pts, 10);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_DOUBLE_EQ(out[0].t, 10);
  EXPECT_DOUBLE_EQ(out[2].t, 12);
  EXPECT_EQ(out[2].dropped_before, 5u);
  EXPECT_FLOAT_EQ(out[1].v[ChannelNamed("torque_nm")], 0.25f);
}

TEST(LimitBands, FromProfileTextTakesTheTightestTorqueAndForceLimits) {
  RunLimits l = LimitsFromProfileText(R"(
    name: "t"
    limits { name: "torque" signal: SIGNAL_TORQUE_NM max: 2.5 }
    limits { name: "torque tight" signal: SIGNAL_TORQUE_NM max: 2.0 }
    limits { name: "force" signal: SIGNAL_FORCE_N min: 5 max: 60 }
    limits { name: "temp" signal: SIGNAL_TEMPERATURE_C max: 80 }
  )");
  EXPECT_TRUE(l.of(ChannelNamed("torque_nm")).has_max);
  EXPECT_DOUBLE_EQ(l.of(ChannelNamed("torque_nm")).max, 2.0);
  EXPECT_FALSE(l.of(ChannelNamed("torque_nm")).has_min);
  EXPECT_TRUE(l.of(ChannelNamed("force_n")).has_min);
  EXPECT_DOUBLE_EQ(l.of(ChannelNamed("force_n")).min, 5);
  EXPECT_DOUBLE_EQ(l.of(ChannelNamed("force_n")).max, 60);
  EXPECT_FALSE(LimitsFromProfileText("not { a profile").of(ChannelNamed("torque_nm")).has_max);
}

TEST(LimitBands, FromAVerdict) {
  rollrig::v1::RunVerdict v;
  auto* l = v.add_limits();
  l->set_measurement("force_n");
  l->set_has_max(true);
  l->set_max(80);
  auto* c = v.add_limits();
  c->set_measurement("cycle peak_torque_nm");
  c->set_has_max(true);
  c->set_max(1);
  RunLimits r = LimitsFromVerdict(v);
  EXPECT_TRUE(r.of(ChannelNamed("force_n")).has_max);
  EXPECT_DOUBLE_EQ(r.of(ChannelNamed("force_n")).max, 80);
  EXPECT_FALSE(
      r.of(ChannelNamed("torque_nm")).has_max);  // a cycle statistic is not the live signal
}

}  // namespace
}  // namespace rollrig::gui
