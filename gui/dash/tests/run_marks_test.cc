// Events -> markers (kind, time, text) and cycles -> cycle lines.
#include "gui/dash/run_marks.h"

#include <gtest/gtest.h>

namespace rollrig::gui {
namespace {

using rollrig::v1::RigEvent;

RigEvent RunState(rollrig::v1::RunState state, double t, const std::string& who = "") {
  RigEvent e;
  e.set_kind(rollrig::v1::RIG_EVENT_RUN_STATE);
  e.set_run_state(state);
  e.set_run_time_s(t);
  e.set_who(who);
  e.set_message("run state changed");
  return e;
}

RigEvent Of(rollrig::v1::RigEventKind kind, double t) {
  RigEvent e;
  e.set_kind(kind);
  e.set_run_time_s(t);
  return e;
}

std::vector<std::string> Kinds(const std::vector<PlotMarker>& m) {
  std::vector<std::string> k;
  for (const PlotMarker& x : m) k.push_back(x.kind);
  return k;
}

TEST(RunMarks, RunStatesBecomeStartPauseResumeAndTheEnd) {
  const auto m = MarkersFromEvents({RunState(rollrig::v1::RUN_STATE_RUNNING, 0),
                                    RunState(rollrig::v1::RUN_STATE_PAUSED, 8, "ann@lab"),
                                    RunState(rollrig::v1::RUN_STATE_RUNNING, 10),
                                    RunState(rollrig::v1::RUN_STATE_HELD, 20),
                                    RunState(rollrig::v1::RUN_STATE_RUNNING, 25),
                                    RunState(rollrig::v1::RUN_STATE_COMPLETED, 48)});
  EXPECT_EQ(Kinds(m),
            (std::vector<std::string>{"start", "pause", "resume", "held", "resume", "completed"}));
  EXPECT_EQ(m[1].t, 8);
  EXPECT_NE(m[1].text.find("ann@lab"), std::string::npos);  // who asked
}

TEST(RunMarks, EveryKindTheContractNames) {
  RigEvent fault;
  fault.set_kind(rollrig::v1::RIG_EVENT_DEVICE);
  fault.mutable_device()->set_kind(rollrig::v1::DEVICE_EVENT_FAULT_RAISED);
  fault.mutable_device()->set_detail("stall");
  fault.set_run_time_s(1);
  RigEvent limit = Of(rollrig::v1::RIG_EVENT_LIMIT, 2);
  limit.mutable_limit()->set_reason("torque_nm 2.98 above max 2.5");
  RigEvent estop = Of(rollrig::v1::RIG_EVENT_ESTOP_REQUESTED, 3);
  estop.set_reason("smoke");
  const auto m = MarkersFromEvents(
      {fault, limit, estop, Of(rollrig::v1::RIG_EVENT_TELEMETRY_GAP, 4),
       Of(rollrig::v1::RIG_EVENT_DEVICE_GAP, 5), Of(rollrig::v1::RIG_EVENT_DISCONNECTED, 6),
       Of(rollrig::v1::RIG_EVENT_CONNECTED, 7), RunState(rollrig::v1::RUN_STATE_INTERRUPTED, 8),
       RunState(rollrig::v1::RUN_STATE_ABORTED, 9), RunState(rollrig::v1::RUN_STATE_FAULTED, 10),
       Of(rollrig::v1::RIG_EVENT_LEASE, 11), Of(rollrig::v1::RIG_EVENT_CYCLE_COMPLETED, 12),
       Of(rollrig::v1::RIG_EVENT_JOG, 13)});
  EXPECT_EQ(Kinds(m),
            (std::vector<std::string>{"fault", "limit", "estop", "gap", "gap", "disconnect",
                                      "reconnect", "interruption", "aborted", "fault"}));
  EXPECT_EQ(m[0].text, "stall");
  EXPECT_EQ(m[1].text, "torque_nm 2.98 above max 2.5");
  EXPECT_EQ(m[2].text, "smoke");
}

TEST(RunMarks, EventsWithoutRunTimeArePlacedByTheirClocksOrLeftOut) {
  RigEvent by_host;
  by_host.set_kind(rollrig::v1::RIG_EVENT_ESTOP_REQUESTED);
  by_host.set_host_time_ns(5'500'000'000);
  RigEvent by_device;
  by_device.set_kind(rollrig::v1::RIG_EVENT_DEVICE);
  by_device.mutable_device()->set_kind(rollrig::v1::DEVICE_EVENT_FAULT_RAISED);
  by_device.mutable_device()->set_time_us(12'000'000);
  EventClock clock;
  clock.host_time_zero_ns = 1'000'000'000;
  clock.device_time_zero_s = 10;
  const auto m = MarkersFromEvents({by_host, by_device}, clock);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_DOUBLE_EQ(m[0].t, 2);  // sorted by time
  EXPECT_EQ(m[0].kind, "fault");
  EXPECT_DOUBLE_EQ(m[1].t, 4.5);
  EXPECT_TRUE(MarkersFromEvents({by_host}).empty());  // no clock: nowhere to put it
}

TEST(RunMarks, CycleLinesAreTheStartsAfterTheFirst) {
  std::vector<rollrig::v1::CycleStats> cycles(3);
  for (int i = 0; i < 3; ++i) {
    cycles[i].set_cycle(i + 1);
    cycles[i].set_start_s(i * 6.5);
    cycles[i].set_end_s(i * 6.5 + 6);
  }
  EXPECT_EQ(CycleLines(cycles, false), (std::vector<double>{6.5, 13}));
  EXPECT_EQ(CycleLines(cycles, true), (std::vector<double>{6.5, 13, 19}));
  EXPECT_TRUE(CycleLines({}, true).empty());
}

}  // namespace
}  // namespace rollrig::gui
