#include "gui/dash/fleet_tile.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gui/dash/fleet_rig.h"

namespace rollrig::gui {
namespace {

using ::testing::HasSubstr;

RigSnapshot Connected(rollrig::v1::DeviceState state) {
  RigSnapshot s;
  s.link = LinkState::kConnected;
  s.have_status = true;
  s.status.set_state(state);
  return s;
}

rollrig::v1::LimitResult Limit(const std::string& name, double worst, std::optional<double> min,
                               std::optional<double> max, rollrig::v1::Verdict outcome) {
  rollrig::v1::LimitResult l;
  l.set_name(name);
  l.set_worst_value(worst);
  if (min) {
    l.set_has_min(true);
    l.set_min(*min);
  }
  if (max) {
    l.set_has_max(true);
    l.set_max(*max);
  }
  l.set_outcome(outcome);
  return l;
}

TEST(FleetTile, ConnectionWords) {
  RigSnapshot s;
  EXPECT_EQ(MakeFleetTile("A", "h:1", s).connection, FleetConnection::kConnecting);
  s.link = LinkState::kDisconnected;
  s.link_detail = "nothing listens on h:1";
  const FleetTile t = MakeFleetTile("A", "h:1", s);
  EXPECT_EQ(t.connection, FleetConnection::kUnreachable);
  EXPECT_STREQ(FleetConnectionName(t.connection), "unreachable");
  EXPECT_EQ(t.connection_detail, "nothing listens on h:1");
  EXPECT_STREQ(FleetConnectionName(FleetConnection::kConnected), "connected");
  EXPECT_STREQ(FleetConnectionName(FleetConnection::kConnecting), "connecting");
}

TEST(FleetTile, AnUnreachableRigShowsNoStaleStateOrRun) {
  RigSnapshot s = Connected(rollrig::v1::DEVICE_STATE_ACTIVE);
  s.have_run = true;
  s.run.set_id("r1");
  s.link = LinkState::kDisconnected;
  const FleetTile t = MakeFleetTile("A", "h:1", s);
  EXPECT_EQ(t.state, "unknown");
  EXPECT_FALSE(t.has_run);
}

TEST(FleetTile, StateFaultsAndLastEvent) {
  RigSnapshot s = Connected(rollrig::v1::DEVICE_STATE_FAULTED);
  s.status.add_fault_names("stall");
  s.status.add_fault_names("over-temperature");
  rollrig::v1::RigEvent e1, e2;
  e1.set_message("first");
  e2.set_message("device faulted: stall");
  s.events = {e1, e2};
  const FleetTile t = MakeFleetTile("B", "h:2", s);
  EXPECT_EQ(t.rig, "B");
  EXPECT_EQ(t.addr, "h:2");
  EXPECT_EQ(t.connection, FleetConnection::kConnected);
  EXPECT_EQ(t.state, "faulted");
  EXPECT_EQ(t.faults, "stall, over-temperature");
  EXPECT_EQ(t.last_event, "device faulted: stall");
  EXPECT_FALSE(t.has_run);
}

TEST(FleetTile, ARunsProgressByCyclesAndItsVerdictSoFar) {
  RigSnapshot s = Connected(rollrig::v1::DEVICE_STATE_ACTIVE);
  s.have_run = true;
  s.run.set_id("20260101-1");
  s.run.set_state(rollrig::v1::RUN_STATE_RUNNING);
  s.run.mutable_progress()->set_cycle(3);
  s.run.mutable_progress()->set_cycles_total(10);
  s.run.mutable_progress()->set_cycles_completed(2);
  s.run.mutable_judged()->set_verdict(rollrig::v1::VERDICT_MARGINAL);
  s.run.mutable_verdict()->set_verdict(rollrig::v1::VERDICT_UNSPECIFIED);
  *s.run.mutable_judged()->add_limits() =
      Limit("peak torque", 2.0, std::nullopt, 2.5, rollrig::v1::VERDICT_PASS);
  *s.run.mutable_judged()->add_limits() =
      Limit("temperature", 79, std::nullopt, 80, rollrig::v1::VERDICT_MARGINAL);
  const FleetTile t = MakeFleetTile("A", "h:1", s);
  EXPECT_TRUE(t.has_run);
  EXPECT_TRUE(t.run_active);
  EXPECT_EQ(t.run_id, "20260101-1");
  EXPECT_EQ(t.run_state, "running");
  EXPECT_EQ(t.progress, "cycle 3 of 10 (2 done)");
  EXPECT_DOUBLE_EQ(t.progress_fraction, 0.2);
  EXPECT_EQ(t.verdict, "MARGINAL");
  EXPECT_THAT(t.worst_limit, HasSubstr("temperature: 79 (margin 1 to max 80)"));
}

TEST(FleetTile, ARunByDurationAndAFinishedRunsVerdict) {
  RigSnapshot s = Connected(rollrig::v1::DEVICE_STATE_IDLE);
  s.have_run = true;
  s.run.set_state(rollrig::v1::RUN_STATE_COMPLETED);
  s.run.mutable_spec()->set_duration_s(60);
  s.run.mutable_progress()->set_elapsed_s(15);
  s.run.mutable_progress()->set_cycles_completed(1);
  s.run.mutable_verdict()->set_verdict(rollrig::v1::VERDICT_PASS);
  s.run.mutable_judged()->set_verdict(rollrig::v1::VERDICT_FAIL);  // stale: not what ended
  const FleetTile t = MakeFleetTile("A", "h:1", s);
  EXPECT_FALSE(t.run_active);
  EXPECT_EQ(t.progress, "15 s of 60 s (1 cycles done)");
  EXPECT_DOUBLE_EQ(t.progress_fraction, 0.25);
  EXPECT_EQ(t.verdict, "PASS");
  EXPECT_EQ(t.worst_limit, "");
}

TEST(WorstLimit, AWorseOutcomeWinsOverASmallerMargin) {
  rollrig::v1::RunVerdict v;
  *v.add_limits() = Limit("close", 2.49, std::nullopt, 2.5, rollrig::v1::VERDICT_PASS);
  *v.add_limits() = Limit("failed", 3.0, std::nullopt, 2.0, rollrig::v1::VERDICT_FAIL);
  EXPECT_THAT(WorstLimitText(v), HasSubstr("failed: 3 (margin -1 to max 2)"));
}

TEST(WorstLimit, MarginsCompareRelativeToTheBoundAndUseTheNearerSide) {
  rollrig::v1::RunVerdict v;
  // 5 N of a 100 N band (5 %) is closer than 0.2 N·m of 2.5 N·m (8 %).
  *v.add_limits() = Limit("torque", 2.3, std::nullopt, 2.5, rollrig::v1::VERDICT_PASS);
  *v.add_limits() = Limit("force", 55, 50.0, 150.0, rollrig::v1::VERDICT_PASS);
  EXPECT_THAT(WorstLimitText(v), HasSubstr("force: 55 (margin 5 to min 50)"));
}

TEST(Sparkline, KeepsTheNewestValuesOldestFirst) {
  SparklineBuffer b(3);
  std::vector<float> out;
  b.CopyTo(&out);
  EXPECT_TRUE(out.empty());
  for (float v : {1.f, 2.f}) b.Push(v);
  b.CopyTo(&out);
  EXPECT_EQ(out, (std::vector<float>{1, 2}));
  for (float v : {3.f, 4.f, 5.f}) b.Push(v);
  b.CopyTo(&out);
  EXPECT_EQ(out, (std::vector<float>{3, 4, 5}));
  EXPECT_EQ(b.size(), 3u);
}

}  // namespace
}  // namespace rollrig::gui
