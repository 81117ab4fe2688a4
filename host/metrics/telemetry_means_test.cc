#include "host/metrics/telemetry_means.h"

#include <chrono>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "host/metrics/event_counters.h"
#include "rig/base/telemetry_channels.h"

namespace rollrig::host {
namespace {

constexpr int64_t kMs = 1'000'000;

Sample At(int64_t t_ms, float torque, float temp) {
  Sample s;
  s.host_time_ns = 1'700'000'000'000 * kMs / 1000 + t_ms * kMs;
  s.torque_nm = torque;
  s.force_n = 2 * torque;
  s.roller_rpm = 60;
  s.temp_c = temp;
  return s;
}

TEST(TelemetryAveragerTest, MeansOfTheLatestCompleteSecond) {
  TelemetryHub hub;
  TelemetryAverager means(&hub);  // drained at each read (no thread: deterministic)
  EXPECT_EQ(means.Means().window_end_unix_ns, 0);
  // Second 1: torque 1.0 for 500 samples, 3.0 for 500: mean 2.0.
  for (int i = 0; i < 1000; ++i) {
    const Sample s = At(i, i < 500 ? 1.0f : 3.0f, 40);
    hub.Publish(&s, 1);
  }
  EXPECT_EQ(means.Means().window_end_unix_ns, 0) << "the first second is not complete yet";
  const Sample next = At(1000, 5.0f, 50);
  hub.Publish(&next, 1);
  TelemetryMeans m = means.Means();
  ASSERT_TRUE(m.torque_nm.has_value());
  EXPECT_DOUBLE_EQ(*m.torque_nm, 2.0);
  EXPECT_DOUBLE_EQ(*m.force_n, 4.0);
  EXPECT_DOUBLE_EQ(*m.roller_rpm, 60.0);
  EXPECT_DOUBLE_EQ(*m.temp_c, 40.0);
  EXPECT_EQ(m.samples, 1000u);
  EXPECT_EQ(m.window_end_unix_ns, At(1000, 0, 0).host_time_ns);
}

TEST(TelemetryAveragerTest, AChannelTheSamplesLackHasNoMean) {
  TelemetryHub hub;
  TelemetryAverager means(&hub);
  const size_t temp = *FindChannel("temp_c");
  for (int i = 0; i <= 1000; i += 10) {
    Sample s = At(i, 1.0f, 0);
    s.absent_channels = ChannelBit(temp);
    hub.Publish(&s, 1);
  }
  const TelemetryMeans m = means.Means();
  EXPECT_TRUE(m.torque_nm.has_value());
  EXPECT_FALSE(m.temp_c.has_value());
}

TEST(TelemetryAveragerTest, ItsThreadFoldsSamplesInWithoutAReader) {
  TelemetryHub hub;
  TelemetryAverager means(&hub);
  means.Start(5);
  // 40000 samples, far more than its 16384-sample ring holds: only the thread draining it
  // (every 5 ms; a chunk every 20 ms, so it has 320 ms before the ring could fill) keeps
  // them all.
  for (int chunk = 0; chunk < 40; ++chunk) {
    std::vector<Sample> samples;
    for (int i = 0; i < 1000; ++i) samples.push_back(At(chunk * 1000 + i, 1.5f, 30));
    hub.Publish(samples.data(), samples.size());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  means.Stop();
  EXPECT_EQ(hub.dropped_total(), 0u);
  const TelemetryMeans m = means.Means();
  EXPECT_EQ(m.window_end_unix_ns, At(39000, 0, 0).host_time_ns);
  EXPECT_DOUBLE_EQ(*m.torque_nm, 1.5);
}

TEST(EventCountersTest, CountsDisconnectsEStopsViolationsAndCycles) {
  EventHub hub;
  EventCounters counters(&hub);
  auto publish = [&](rollrig::v1::RigEvent e) { hub.Publish(std::move(e)); };
  rollrig::v1::RigEvent e;
  e.set_kind(rollrig::v1::RIG_EVENT_DISCONNECTED);
  publish(e);
  publish(e);
  e.Clear();
  e.set_kind(rollrig::v1::RIG_EVENT_DEVICE);
  e.mutable_device()->set_kind(rollrig::v1::DEVICE_EVENT_FAULT_RAISED);
  for (auto f : {rollrig::v1::FAULT_ESTOP_SOFTWARE, rollrig::v1::FAULT_ESTOP_BUTTON,
                 rollrig::v1::FAULT_DOOR_OPEN, rollrig::v1::FAULT_STALL}) {
    e.mutable_device()->set_fault(f);
    publish(e);
  }
  e.Clear();
  e.set_kind(rollrig::v1::RIG_EVENT_LIMIT);
  for (auto v :
       {rollrig::v1::VERDICT_MARGINAL, rollrig::v1::VERDICT_FAIL, rollrig::v1::VERDICT_ABORTED}) {
    e.mutable_limit()->set_outcome(v);
    publish(e);
  }
  e.Clear();
  e.set_kind(rollrig::v1::RIG_EVENT_CYCLE_COMPLETED);
  e.set_run_id("r1");
  e.set_host_time_ns(42);
  publish(e);
  e.Clear();
  e.set_kind(rollrig::v1::RIG_EVENT_RUN_STATE);
  e.set_run_id("r1");
  e.set_run_state(rollrig::v1::RUN_STATE_RUNNING);
  e.set_host_time_ns(50);
  publish(e);
  e.set_run_state(rollrig::v1::RUN_STATE_PAUSED);
  e.set_host_time_ns(60);
  publish(e);
  const EventCounts c = counters.Counts();
  EXPECT_EQ(c.disconnects, 2u);
  EXPECT_EQ(c.estops_software, 1u);
  EXPECT_EQ(c.estops_button, 1u);
  EXPECT_EQ(c.estops_door, 1u);
  EXPECT_EQ(c.limit_violations, 2u) << "a marginal value is no violation";
  EXPECT_EQ(c.cycles_completed, 1u);
  EXPECT_EQ(c.last_cycle_run_id, "r1");
  EXPECT_EQ(c.last_cycle_unix_ns, 42);
  EXPECT_EQ(c.last_running_run_id, "r1");
  EXPECT_EQ(c.last_running_unix_ns, 50) << "a pause is no start";
  EXPECT_EQ(c.events_missed, 0u);
}

}  // namespace
}  // namespace rollrig::host
