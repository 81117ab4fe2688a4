// Firmware against the plant model in lock-step: plant.Advance, plant.ReadSensors,
// firmware.Tick. No threads, no clocks: every run is deterministic.
#include "rig/firmware/firmware.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <limits>
#include <memory>
#include <new>
#include <numbers>
#include <vector>

#include "rig/firmware/testing/allocation_counter.h"
#include "rig/sim/testing/lockstep_rig.h"

namespace rollrig::firmware {
namespace {

using test_support::HeapAllocations;
using test_support::Rig;

constexpr double kCurrentLimitTolerance = 0.02;  // A: sensor noise only

// Brings a rig to a steady 60 rpm (1 s of settling).
void SpinUpTo60(Rig& rig) {
  ASSERT_EQ(rig.fw().SetRollerSpeed(60), CommandResult::kOk);
  rig.Run(1.0);
  ASSERT_NEAR(rig.RollerRpm(), 60, 1.2);
}

TEST(FirmwareTest, BootsIdleWithABootEvent) {
  Rig rig;
  rig.Step();
  ASSERT_FALSE(rig.events().empty());
  EXPECT_EQ(rig.events().front().kind, EventKind::kBooted);
  EXPECT_EQ(rig.fw().status().state, DeviceState::kIdle);
  EXPECT_FALSE(rig.out().bridge_enabled);
  EXPECT_EQ(rig.fw().time_us(), 1000u);
}

TEST(FirmwareTest, RollerReaches60RpmAndHoldsItUnderPreload) {
  Rig rig;
  rig.Run(0.05);
  ASSERT_EQ(rig.fw().Tare(), CommandResult::kOk);
  ASSERT_EQ(rig.fw().SetPreload(50), CommandResult::kOk);
  rig.Run(0.7);
  EXPECT_NEAR(rig.plant().state().force_n, 50, 1.0);
  ASSERT_EQ(rig.fw().SetRollerSpeed(60), CommandResult::kOk);
  // Settled = inside +-2 % from then on (checked over the next 2 s).
  const double start = rig.time_s();
  double last_outside = start;
  while (rig.time_s() - start < 2.0) {
    rig.Step();
    if (std::abs(rig.RollerRpm() - 60) > 1.2) last_outside = rig.time_s();
  }
  const double settle_s = last_outside - start;
  EXPECT_LT(settle_s, 2.0);
  EXPECT_LT(settle_s, 0.2);  // the ramp alone takes 0.1 s
  RecordProperty("settle_ms_to_60rpm", static_cast<int>(settle_s * 1000));
  double sum = 0, lo = 1e9, hi = -1e9, est_sum = 0;
  const int n = 2000;
  rig.keep_samples = true;
  for (int k = 0; k < n; ++k) {
    rig.Step();
    sum += rig.RollerRpm();
    lo = std::min(lo, rig.RollerRpm());
    hi = std::max(hi, rig.RollerRpm());
  }
  for (const auto& s : rig.samples()) est_sum += s.roller_rpm;
  EXPECT_NEAR(sum / n, 60, 0.3);
  EXPECT_NEAR(est_sum / static_cast<double>(rig.samples().size()), 60, 0.3);
  EXPECT_GT(lo, 60 - 1.2);
  EXPECT_LT(hi, 60 + 1.2);
  EXPECT_NEAR(rig.plant().state().force_n, 50, 1.0);
  // The rolling resistance shows in the torque: 0.25 N·m + friction 0.04 N·m.
  EXPECT_NEAR(rig.plant().state().roller_torque_nm(), 0.29, 0.03);
  EXPECT_EQ(rig.fw().status().faults, 0u);
}

// The load cell's untared zero offset makes "preload 0" unreachable (the actuator cannot
// pull); the integral must not wind up against it, and a tare starts it afresh, so the
// next preload is met.
TEST(FirmwareTest, PreloadIsMetAfterHoldingZeroUntaredThenTaring) {
  Rig rig;
  ASSERT_EQ(rig.fw().SetPreload(0), CommandResult::kOk);
  rig.Run(3.0);
  ASSERT_EQ(rig.fw().Tare(), CommandResult::kOk);
  ASSERT_EQ(rig.fw().SetPreload(25), CommandResult::kOk);
  rig.Run(1.5);
  EXPECT_NEAR(rig.plant().state().force_n, 25, 1.0);
}

TEST(FirmwareTest, HeadReaches30DegreesWithinOneSecond) {
  Rig rig;
  ASSERT_EQ(rig.fw().SetHeadAngle(30, 0), CommandResult::kOk);
  const double start = rig.time_s();
  double last_outside = start;
  while (rig.time_s() - start < 2.0) {
    rig.Step();
    if (std::abs(rig.plant().state().head_deg - 30) > 1.0) last_outside = rig.time_s();
    EXPECT_LE(std::abs(rig.plant().state().head_rate_dps), 120.0 + 1e-6);
  }
  EXPECT_LT(last_outside - start, 1.0);
  RecordProperty("head_settle_ms_to_30deg", static_cast<int>((last_outside - start) * 1000));
  EXPECT_NEAR(rig.plant().state().head_deg, 30, 0.2);
}

TEST(FirmwareTest, HeadHonoursTheCommandedRate) {
  Rig rig;
  ASSERT_EQ(rig.fw().SetHeadAngle(-90, 30), CommandResult::kOk);
  double peak_rate = 0;
  for (int k = 0; k < 4000; ++k) {
    rig.Step();
    peak_rate = std::max(peak_rate, std::abs(rig.plant().state().head_rate_dps));
  }
  EXPECT_LE(peak_rate, 30.0 + 1e-6);
  EXPECT_NEAR(rig.plant().state().head_deg, -90, 1.0);
}

TEST(FirmwareTest, CurrentNeverExceedsTheLimit) {
  Rig rig;
  rig.fw().SetPreload(80);
  const float steps[] = {120, -120, 120, 0, -60, 60, -120};
  for (float rpm : steps) {
    ASSERT_EQ(rig.fw().SetRollerSpeed(rpm), CommandResult::kOk);
    rig.Run(0.5);
  }
  ASSERT_EQ(rig.fw().SetRollerSpeed(120), CommandResult::kOk);
  rig.Run(0.6);
  rig.fw().EStop();  // braking from 120 rpm: the hardest stop
  rig.Run(0.3);
  ASSERT_EQ(rig.fw().status().state, DeviceState::kFaulted);
  ASSERT_EQ(rig.fw().ClearFaults(), CommandResult::kOk);
  ASSERT_EQ(rig.fw().SetRollerSpeed(-120), CommandResult::kOk);
  rig.Run(0.5);
  rig.plant().faults().door_open = true;  // interlock stop from -120 rpm
  rig.Run(0.3);
  EXPECT_LE(rig.peak_current(), 3.0 + kCurrentLimitTolerance);
  EXPECT_GT(rig.peak_current(), 2.0);  // the stops did brake hard
  RecordProperty("peak_current_mA", static_cast<int>(rig.peak_current() * 1000));
}

TEST(FirmwareTest, EStopFrom60RpmBrakesThenDisablesTheBridge) {
  Rig rig;
  SpinUpTo60(rig);
  rig.fw().EStop();
  EXPECT_EQ(rig.fw().status().state, DeviceState::kStopping);
  EXPECT_EQ(rig.fw().ClearFaults(), CommandResult::kBusy);
  const double start = rig.time_s();
  rig.Step();
  EXPECT_TRUE(rig.out().bridge_enabled) << "category 1: brake first";
  const double back_emf_at_60rpm = 60.0 * 20 * 2 * std::numbers::pi / 60 * 0.05;
  EXPECT_LT(rig.out().motor_voltage_v, back_emf_at_60rpm) << "braking, not driving";
  const double standstill_s = rig.RunUntil([&] { return std::abs(rig.RollerRpm()) < 1.0; }, 1.0);
  EXPECT_LT(standstill_s, 0.1);
  RecordProperty("estop_standstill_ms", static_cast<int>(standstill_s * 1000));
  EXPECT_TRUE(rig.out().bridge_enabled || rig.fw().status().state == DeviceState::kFaulted);
  const double off_s =
      rig.RunUntil([&] { return !rig.out().bridge_enabled; }, 1.0) + (rig.time_s() - start) * 0;
  EXPECT_LT(rig.time_s() - start, 0.1);
  (void)off_s;
  RecordProperty("estop_bridge_off_ms", static_cast<int>((rig.time_s() - start) * 1000));
  EXPECT_EQ(rig.fw().status().state, DeviceState::kFaulted);
  EXPECT_FALSE(rig.fw().status().bridge_enabled);
  EXPECT_TRUE(rig.HasFault(Fault::kEStopSoftware));

  // Event order: fault raised, stopping, bridge disabled, faulted.
  std::vector<EventKind> kinds;
  for (const auto& e : rig.events()) {
    if (e.time_us >= 1000000) kinds.push_back(e.kind);
  }
  const std::vector<EventKind> expected = {EventKind::kFaultRaised, EventKind::kStateChanged,
                                           EventKind::kBridgeDisabled, EventKind::kStateChanged};
  EXPECT_EQ(kinds, expected);
  EXPECT_EQ(rig.events().back().state, DeviceState::kFaulted);

  // Latched: commands refused, the motor stays still.
  EXPECT_EQ(rig.fw().SetRollerSpeed(30), CommandResult::kFaultLatched);
  EXPECT_EQ(rig.fw().SetHeadAngle(10, 0), CommandResult::kFaultLatched);
  EXPECT_EQ(rig.fw().SetPreload(10), CommandResult::kFaultLatched);
  rig.Run(0.5);
  EXPECT_TRUE(rig.HasFault(Fault::kEStopSoftware));
  EXPECT_EQ(std::abs(rig.RollerRpm()), 0.0);
  EXPECT_EQ(rig.fw().ClearFaults(), CommandResult::kOk);
  EXPECT_EQ(rig.fw().status().state, DeviceState::kIdle);
}

// The e-stop's safe state (firmware.h): roller braked to standstill and the bridge off,
// preload released to 0 N at the controlled rate, head holding its angle.
TEST(FirmwareTest, EStopReleasesThePreloadAtTheControlledRateAndHoldsTheHead) {
  Rig rig;
  rig.Run(0.05);
  ASSERT_EQ(rig.fw().Tare(), CommandResult::kOk);
  ASSERT_EQ(rig.fw().SetPreload(50), CommandResult::kOk);
  ASSERT_EQ(rig.fw().SetHeadAngle(30, 0), CommandResult::kOk);
  rig.Run(1.0);
  SpinUpTo60(rig);
  ASSERT_NEAR(rig.plant().state().force_n, 50, 1.5);
  const double head_at_estop = rig.plant().state().head_deg;
  ASSERT_NEAR(head_at_estop, 30, 0.5);

  double previous_demand = rig.out().preload_force_cmd_n;
  rig.fw().EStop();
  const double start = rig.time_s();
  const double step_n = kEStopPreloadReleaseNPerS * 1e-3;  // per 1 kHz tick
  double force_at_quarter_s = -1;
  double standstill_s = -1;
  while (rig.time_s() - start < 2.0) {
    rig.Step();
    const double t = rig.time_s() - start;
    if (t > 0.5 + 0.3 + 0.05) {
      EXPECT_FALSE(rig.out().preload_enabled) << "released and settled: the actuator is off";
      continue;
    }
    if (t > 0.55) continue;  // settling at 0 N
    ASSERT_TRUE(rig.out().preload_enabled) << "the release is driven, at " << t << " s";
    const double demand = rig.out().preload_force_cmd_n;
    // Controlled: never faster than the release rate, never back up.
    EXPECT_GE(demand, previous_demand - step_n - 1e-3) << "at " << t << " s";
    EXPECT_LE(demand, previous_demand + 1e-3) << "at " << t << " s";
    previous_demand = demand;
    EXPECT_NEAR(rig.plant().state().head_deg, head_at_estop, 0.5) << "the head holds, " << t;
    if (force_at_quarter_s < 0 && t >= 0.25) force_at_quarter_s = rig.plant().state().force_n;
    if (standstill_s < 0 && std::abs(rig.RollerRpm()) < 1.0) standstill_s = t;
  }
  // 50 N at 100 N/s: 25 N demanded after 0.25 s, which the actuator follows 100 N/s x
  // 50 ms = 5 N behind; nothing left after 0.5 s and the actuator's lag.
  EXPECT_NEAR(force_at_quarter_s, 30, 3);
  EXPECT_LT(rig.plant().state().force_n, 0.5);
  EXPECT_GE(standstill_s, 0);
  EXPECT_LT(standstill_s, 0.05) << "braked at the current limit";
  EXPECT_FALSE(rig.out().bridge_enabled);
  EXPECT_FALSE(rig.out().head_enabled) << "an unpowered servo holds by friction";
  EXPECT_EQ(rig.fw().status().state, DeviceState::kFaulted);
  EXPECT_EQ(rig.fw().status().preload_n_target, 0.0f);
  EXPECT_LE(rig.peak_current(), 3.0 + kCurrentLimitTolerance);

  // Cleared: nothing moves, the pad stays released until a new command.
  ASSERT_EQ(rig.fw().ClearFaults(), CommandResult::kOk);
  rig.Run(0.5);
  EXPECT_LT(rig.plant().state().force_n, 0.5);
  EXPECT_NEAR(rig.plant().state().head_deg, head_at_estop, 0.5);
}

TEST(FirmwareTest, EStopWhileIdleReleasesThePreloadTheActuatorHeld) {
  Rig rig;
  rig.Run(0.05);
  ASSERT_EQ(rig.fw().Tare(), CommandResult::kOk);
  ASSERT_EQ(rig.fw().SetPreload(50), CommandResult::kOk);
  rig.Run(1.0);
  ASSERT_EQ(rig.fw().Stop(), CommandResult::kOk);
  rig.Run(0.5);
  ASSERT_EQ(rig.fw().status().state, DeviceState::kIdle);
  ASSERT_FALSE(rig.out().preload_enabled);
  ASSERT_NEAR(rig.plant().state().force_n, 50, 1.5) << "idle: the actuator holds the pad";

  rig.fw().EStop();
  rig.Step();
  EXPECT_TRUE(rig.out().preload_enabled);
  EXPECT_GT(rig.out().preload_force_cmd_n, 48.0f) << "released from the force it held";
  rig.Run(1.0);
  EXPECT_LT(rig.plant().state().force_n, 0.5);
  EXPECT_FALSE(rig.out().bridge_enabled) << "a roller at rest is not driven";
  EXPECT_EQ(rig.RollerRpm(), 0.0);
}

TEST(FirmwareTest, OtherFaultsLeaveThePreloadWhereItIs) {
  Rig rig;
  rig.Run(0.05);
  ASSERT_EQ(rig.fw().Tare(), CommandResult::kOk);
  ASSERT_EQ(rig.fw().SetPreload(50), CommandResult::kOk);
  SpinUpTo60(rig);
  rig.feed_watchdog = false;  // the host goes silent: the watchdog fault, not an e-stop
  rig.Run(1.5);
  ASSERT_TRUE(rig.HasFault(Fault::kWatchdog));
  EXPECT_NEAR(rig.plant().state().force_n, 50, 1.5);
}

TEST(FirmwareTest, NothingMovesAfterAClearUntilANewCommand) {
  Rig rig;
  ASSERT_EQ(rig.fw().SetHeadAngle(45, 0), CommandResult::kOk);
  ASSERT_EQ(rig.fw().SetPreload(40), CommandResult::kOk);
  ASSERT_EQ(rig.fw().SetRollerSpeed(60), CommandResult::kOk);
  rig.Run(0.2);  // everything mid-motion
  rig.fw().EStop();
  // Cleared once the e-stop's safe state is reached (the preload released).
  ASSERT_LT(rig.RunUntil([&] { return !rig.out().preload_enabled; }, 2.0), 2.0);
  ASSERT_EQ(rig.fw().ClearFaults(), CommandResult::kOk);
  const auto& st = rig.fw().status();
  EXPECT_EQ(st.roller_rpm_target, 0.0f);
  EXPECT_NEAR(st.head_deg_target, rig.plant().state().head_deg, 0.1);
  EXPECT_NEAR(st.preload_n_target, rig.plant().state().force_n + 1.5, 0.3);  // not tared
  const double head = rig.plant().state().head_deg;
  const double force = rig.plant().state().force_n;
  rig.Run(1.0);
  EXPECT_EQ(rig.RollerRpm(), 0.0);
  EXPECT_EQ(rig.plant().state().head_deg, head);
  EXPECT_EQ(rig.plant().state().force_n, force);
  EXPECT_FALSE(rig.out().bridge_enabled);
  // A head command moves only the head: the roller stays put and the preload holds.
  ASSERT_EQ(rig.fw().SetHeadAngle(0, 0), CommandResult::kOk);
  rig.Run(1.0);
  EXPECT_NEAR(rig.plant().state().head_deg, 0, 1.0);
  EXPECT_LT(std::abs(rig.RollerRpm()), 0.5);
  EXPECT_NEAR(rig.plant().state().force_n, force, 1.0);
}

TEST(FirmwareTest, ControlledStopRampsDownThenGoesIdle) {
  Rig rig;
  SpinUpTo60(rig);
  ASSERT_EQ(rig.fw().Stop(), CommandResult::kOk);
  const double idle_s =
      rig.RunUntil([&] { return rig.fw().status().state == DeviceState::kIdle; }, 1.0);
  EXPECT_GT(idle_s, 0.09);  // it ramped (60 rpm at 600 rpm/s = 0.1 s)
  EXPECT_LT(idle_s, 0.3);
  EXPECT_LT(std::abs(rig.RollerRpm()), 0.5);
  EXPECT_FALSE(rig.out().bridge_enabled);
  EXPECT_EQ(rig.fw().status().faults, 0u);
  EXPECT_LT(rig.peak_current(), 1.0);  // a ramp, not a brake
}

TEST(FirmwareTest, WatchdogStopsTheMotorsAfterHeartbeatSilenceAndLatches) {
  Rig rig;
  SpinUpTo60(rig);
  rig.Run(1.0);
  EXPECT_EQ(rig.fw().status().faults, 0u);
  rig.feed_watchdog = false;
  const double trip_s = rig.RunUntil([&] { return rig.HasFault(Fault::kWatchdog); }, 2.0);
  EXPECT_NEAR(trip_s, 0.5, 0.002);
  rig.Run(0.2);
  EXPECT_EQ(rig.fw().status().state, DeviceState::kFaulted);
  EXPECT_FALSE(rig.out().bridge_enabled);
  EXPECT_LT(std::abs(rig.RollerRpm()), 0.5);
  EXPECT_EQ(rig.fw().SetRollerSpeed(60), CommandResult::kFaultLatched);
  rig.Run(1.0);
  EXPECT_TRUE(rig.HasFault(Fault::kWatchdog));
  EXPECT_EQ(rig.CountFaultEvents(Fault::kWatchdog), 1);
  // The host returns.
  rig.feed_watchdog = true;
  EXPECT_EQ(rig.fw().ClearFaults(), CommandResult::kOk);
  EXPECT_EQ(rig.fw().SetRollerSpeed(60), CommandResult::kOk);
  rig.Run(1.0);
  EXPECT_NEAR(rig.RollerRpm(), 60, 1.2);
}

TEST(FirmwareTest, WatchdogIsQuietUntilArmedAndWhileIdle) {
  Rig rig;
  rig.feed_watchdog = false;
  ASSERT_EQ(rig.fw().SetRollerSpeed(30), CommandResult::kOk);
  rig.Run(2.0);  // never fed: not armed
  EXPECT_EQ(rig.fw().status().faults, 0u);
  rig.fw().Stop();
  rig.Run(0.5);
  rig.fw().FeedWatchdog();
  rig.Run(2.0);  // armed but idle
  EXPECT_EQ(rig.fw().status().faults, 0u);
}

TEST(FirmwareTest, StallLatchesAfter300MsAndClearsOnceUnjammed) {
  Rig rig;
  SpinUpTo60(rig);
  rig.plant().faults().roller_jammed = true;
  const double stall_s = rig.RunUntil([&] { return rig.fw().status().faults != 0; }, 2.0);
  EXPECT_TRUE(rig.HasFault(Fault::kStall));
  EXPECT_EQ(rig.CountAllFaultEvents(), 1) << "the stall alone, no encoder loss";
  EXPECT_GE(stall_s, 0.3);
  EXPECT_LT(stall_s, 0.35);
  RecordProperty("stall_detect_ms", static_cast<int>(stall_s * 1000));
  const auto raised = std::find_if(rig.events().begin(), rig.events().end(),
                                   [](const auto& e) { return e.kind == EventKind::kFaultRaised; });
  ASSERT_NE(raised, rig.events().end());
  EXPECT_NEAR(raised->value, 3.0, 0.2) << "the current that tripped it";
  rig.Run(2.0);
  EXPECT_TRUE(rig.HasFault(Fault::kStall));
  EXPECT_EQ(rig.fw().status().state, DeviceState::kFaulted);
  EXPECT_EQ(rig.plant().state().current_a, 0.0);
  rig.plant().faults().roller_jammed = false;
  ASSERT_EQ(rig.fw().ClearFaults(), CommandResult::kOk);
  ASSERT_EQ(rig.fw().SetRollerSpeed(60), CommandResult::kOk);
  rig.Run(1.0);
  EXPECT_NEAR(rig.RollerRpm(), 60, 1.2);
  EXPECT_EQ(rig.fw().status().faults, 0u);
}

TEST(FirmwareTest, InterlocksEStopAndBlockCommandsAndClearWhileActive) {
  for (const bool door : {false, true}) {
    SCOPED_TRACE(door ? "door" : "button");
    Rig rig;
    SpinUpTo60(rig);
    bool& cause = door ? rig.plant().faults().door_open : rig.plant().faults().estop_button;
    const Fault fault = door ? Fault::kDoorOpen : Fault::kEStopButton;
    cause = true;
    rig.Step();
    EXPECT_TRUE(rig.HasFault(fault));
    EXPECT_NE(rig.fw().status().interlocks, 0u);
    EXPECT_EQ(rig.fw().status().state, DeviceState::kStopping);
    rig.Run(0.2);
    EXPECT_EQ(rig.fw().status().state, DeviceState::kFaulted);
    EXPECT_LT(std::abs(rig.RollerRpm()), 0.5);
    EXPECT_EQ(rig.fw().SetRollerSpeed(10), CommandResult::kInterlockActive);
    EXPECT_EQ(rig.fw().SetHeadAngle(10, 0), CommandResult::kInterlockActive);
    EXPECT_EQ(rig.fw().SetPreload(10), CommandResult::kInterlockActive);
    EXPECT_EQ(rig.fw().ClearFaults(), CommandResult::kConditionPersists);
    EXPECT_TRUE(rig.HasFault(fault));
    cause = false;
    rig.Step();
    EXPECT_EQ(rig.fw().status().interlocks, 0u);
    EXPECT_EQ(rig.fw().SetRollerSpeed(10), CommandResult::kFaultLatched);
    EXPECT_EQ(rig.fw().ClearFaults(), CommandResult::kOk);
    EXPECT_EQ(rig.fw().SetRollerSpeed(10), CommandResult::kOk);
    int interlock_events = 0;
    for (const auto& e : rig.events()) interlock_events += e.kind == EventKind::kInterlockChanged;
    EXPECT_EQ(interlock_events, 2);  // pressed, released
  }
}

TEST(FirmwareTest, OverTemperatureLatchesAndClearsOnlyWhenCool) {
  Rig rig;
  SpinUpTo60(rig);
  rig.plant().faults().overheating = true;
  const double trip_s = rig.RunUntil([&] { return rig.HasFault(Fault::kOverTemperature); }, 10.0);
  EXPECT_LT(trip_s, 5.0);
  rig.plant().faults().overheating = false;
  rig.Run(0.5);
  EXPECT_EQ(rig.fw().status().state, DeviceState::kFaulted);
  EXPECT_EQ(rig.fw().ClearFaults(), CommandResult::kConditionPersists);
  rig.plant().mutable_state().winding_temp_c = 85;  // cooled down
  rig.Step();
  EXPECT_EQ(rig.fw().ClearFaults(), CommandResult::kOk);
}

TEST(FirmwareTest, OverSpeedLatches) {
  Rig rig;
  SpinUpTo60(rig);
  // A bridge fault drives full voltage whatever the firmware asks (~230 rpm no-load).
  bool forcing = true;
  rig.override_outputs = [&](ActuatorOutputs* out) {
    if (forcing) {
      out->bridge_enabled = true;
      out->motor_voltage_v = 24;
    }
  };
  const double trip_s = rig.RunUntil([&] { return rig.HasFault(Fault::kOverSpeed); }, 2.0);
  EXPECT_LT(trip_s, 1.0);
  const auto raised = std::find_if(rig.events().begin(), rig.events().end(), [](const auto& e) {
    return e.kind == EventKind::kFaultRaised && e.fault == Fault::kOverSpeed;
  });
  ASSERT_NE(raised, rig.events().end());
  EXPECT_GT(raised->value, 144.0f);
  forcing = false;
  rig.Run(0.5);
  EXPECT_EQ(rig.fw().status().state, DeviceState::kFaulted);
  EXPECT_LT(std::abs(rig.RollerRpm()), 0.5);
}

TEST(FirmwareTest, EncoderLossLatchesAndTheMotorCoasts) {
  Rig rig;
  SpinUpTo60(rig);
  rig.plant().faults().encoder_dead = true;
  const double trip_s = rig.RunUntil([&] { return rig.fw().status().faults != 0; }, 2.0);
  EXPECT_TRUE(rig.HasFault(Fault::kEncoderLoss));
  EXPECT_LT(trip_s, 0.2);
  RecordProperty("encoder_loss_detect_ms", static_cast<int>(trip_s * 1000));
  rig.Step();
  EXPECT_FALSE(rig.out().bridge_enabled);
  EXPECT_EQ(rig.fw().status().state, DeviceState::kFaulted);
  rig.Run(3.0);
  EXPECT_EQ(rig.RollerRpm(), 0.0);
}

TEST(FirmwareTest, LoadCellSaturationLatches) {
  Rig rig;
  rig.fw().SetPreload(50);
  rig.Run(1.0);
  rig.plant().faults().load_cell_saturated = true;
  const double trip_s = rig.RunUntil([&] { return rig.HasFault(Fault::kLoadCellSaturation); }, 1.0);
  EXPECT_LT(trip_s, 0.02);
  rig.Run(0.1);
  EXPECT_EQ(rig.fw().status().state, DeviceState::kFaulted);
  EXPECT_EQ(rig.fw().ClearFaults(), CommandResult::kConditionPersists);
  rig.plant().faults().load_cell_saturated = false;
  rig.Step();
  EXPECT_EQ(rig.fw().ClearFaults(), CommandResult::kOk);
}

TEST(FirmwareTest, NoFalseFaultsDuringALongNormalRun) {
  Rig rig;
  rig.Run(0.05);
  rig.fw().Tare();
  struct Segment {
    float rpm, head_deg, head_rate, preload_n, seconds;
  };
  const Segment program[] = {
      {60, 0, 0, 50, 3},   {120, 170, 120, 100, 3}, {-120, -170, 0, 150, 4},
      {0, 0, 60, 0, 2},    {30, 90, 20, 20, 3},     {-30, -90, 120, 80, 3},
      {120, 0, 0, 150, 2}, {-120, 170, 0, 0, 3},    {90, -170, 120, 120, 3},
      {-5, 0, 0, 10, 2},   {5, 10, 5, 140, 2},
  };
  for (int cycle = 0; cycle < 2; ++cycle) {
    for (const Segment& s : program) {
      ASSERT_EQ(rig.fw().SetRollerSpeed(s.rpm), CommandResult::kOk);
      ASSERT_EQ(rig.fw().SetHeadAngle(s.head_deg, s.head_rate), CommandResult::kOk);
      ASSERT_EQ(rig.fw().SetPreload(s.preload_n), CommandResult::kOk);
      rig.Run(s.seconds);
      EXPECT_NEAR(rig.RollerRpm(), s.rpm, 1.5);
    }
    rig.fw().Stop();
    rig.Run(1.0);
    EXPECT_EQ(rig.fw().status().state, DeviceState::kIdle);
  }
  EXPECT_EQ(rig.fw().status().faults, 0u);
  EXPECT_EQ(rig.CountAllFaultEvents(), 0);
  EXPECT_LE(rig.peak_current(), 3.0 + kCurrentLimitTolerance);
  EXPECT_EQ(rig.fw().status().samples_dropped, 0u);
}

TEST(FirmwareTest, TelemetryDropsAreCountedAndTheSequenceShowsTheGap) {
  Rig rig;
  rig.drain_telemetry = false;
  const size_t capacity = Firmware::kTelemetryBufferSamples;
  for (size_t k = 0; k < capacity + 100; ++k) rig.Step();
  EXPECT_EQ(rig.fw().TelemetryAvailable(), capacity);
  EXPECT_EQ(rig.fw().status().samples_dropped, 100u);
  TelemetrySample s;
  for (size_t k = 0; k < capacity; ++k) {
    ASSERT_TRUE(rig.fw().PopTelemetry(&s));
    ASSERT_EQ(s.seq, k);  // oldest kept, newest dropped
  }
  EXPECT_FALSE(rig.fw().PopTelemetry(&s));
  rig.Step();
  ASSERT_TRUE(rig.fw().PopTelemetry(&s));
  EXPECT_EQ(s.seq, capacity + 100);  // the 64-bit counter kept counting
  EXPECT_EQ(s.time_us, (capacity + 100) * 1000);
}

TEST(FirmwareTest, TelemetryDivisorThinsTheSamples) {
  Rig rig;
  EXPECT_EQ(rig.fw().SetTelemetryDivisor(0), CommandResult::kOutOfRange);
  ASSERT_EQ(rig.fw().SetTelemetryDivisor(10), CommandResult::kOk);
  rig.drain_telemetry = false;
  for (int k = 0; k < 1000; ++k) rig.Step();
  EXPECT_EQ(rig.fw().TelemetryAvailable(), 100u);
}

TEST(FirmwareTest, TelemetryReportsTheDrive) {
  Rig rig;
  rig.keep_samples = true;
  SpinUpTo60(rig);
  const TelemetrySample& s = rig.samples().back();
  EXPECT_NEAR(s.roller_rpm, 60, 1.2);
  EXPECT_EQ(s.roller_rpm_cmd, 60);
  EXPECT_NEAR(s.torque_nm, s.current_a * 0.05f * 20, 1e-4);
  EXPECT_GT(s.voltage_v, 6.0f);
  EXPECT_NEAR(s.temp_c, 25, 1);
}

TEST(FirmwareTest, TenKilohertzTickWorks) {
  FirmwareConfig config;
  config.tick_hz = 10000;
  Rig rig(config);
  EXPECT_EQ(rig.fw().tick_period_us(), 100u);
  ASSERT_EQ(rig.fw().SetRollerSpeed(60), CommandResult::kOk);
  ASSERT_EQ(rig.fw().SetHeadAngle(30, 0), CommandResult::kOk);
  rig.Run(1.0);
  EXPECT_NEAR(rig.RollerRpm(), 60, 1.2);
  EXPECT_NEAR(rig.plant().state().head_deg, 30, 1.0);
  EXPECT_EQ(rig.fw().time_us(), 1000000u);
  rig.fw().EStop();
  const double standstill_s = rig.RunUntil([&] { return std::abs(rig.RollerRpm()) < 1.0; }, 1.0);
  EXPECT_LT(standstill_s, 0.1);
  rig.Run(0.2);
  EXPECT_EQ(rig.fw().status().state, DeviceState::kFaulted);
  EXPECT_LE(rig.peak_current(), 3.0 + kCurrentLimitTolerance);
  EXPECT_EQ(rig.fw().status().faults, FaultBit(Fault::kEStopSoftware));
}

TEST(FirmwareTest, IdenticalRunsGiveIdenticalSamples) {
  auto run = [] {
    Rig rig(FirmwareConfig{}, plant::PlantParams{}, 99);
    rig.keep_samples = true;
    rig.fw().SetRollerSpeed(80);
    rig.fw().SetHeadAngle(-45, 60);
    rig.fw().SetPreload(30);
    rig.Run(0.5);
    rig.fw().SetRollerSpeed(-40);
    rig.Run(0.3);
    rig.fw().EStop();
    rig.Run(0.2);
    return rig.samples();
  };
  const auto a = run(), b = run();
  ASSERT_EQ(a.size(), b.size());
  for (size_t k = 0; k < a.size(); ++k) {
    ASSERT_EQ(a[k].seq, b[k].seq);
    ASSERT_EQ(a[k].roller_rpm, b[k].roller_rpm) << k;
    ASSERT_EQ(a[k].voltage_v, b[k].voltage_v) << k;
    ASSERT_EQ(a[k].current_a, b[k].current_a) << k;
    ASSERT_EQ(a[k].head_deg_cmd, b[k].head_deg_cmd) << k;
    ASSERT_EQ(a[k].force_n, b[k].force_n) << k;
  }
}

TEST(FirmwareTest, CommandsAreValidated) {
  Rig rig;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  auto& fw = rig.fw();
  EXPECT_EQ(fw.SetRollerSpeed(nan), CommandResult::kBadRequest);
  EXPECT_EQ(fw.SetRollerSpeed(inf), CommandResult::kBadRequest);
  EXPECT_EQ(fw.SetRollerSpeed(121), CommandResult::kOutOfRange);
  EXPECT_EQ(fw.SetRollerSpeed(-121), CommandResult::kOutOfRange);
  EXPECT_EQ(fw.SetHeadAngle(nan, 0), CommandResult::kBadRequest);
  EXPECT_EQ(fw.SetHeadAngle(0, nan), CommandResult::kBadRequest);
  EXPECT_EQ(fw.SetHeadAngle(181, 0), CommandResult::kOutOfRange);
  EXPECT_EQ(fw.SetHeadAngle(0, -1), CommandResult::kOutOfRange);
  EXPECT_EQ(fw.SetPreload(nan), CommandResult::kBadRequest);
  EXPECT_EQ(fw.SetPreload(-1), CommandResult::kOutOfRange);
  EXPECT_EQ(fw.SetPreload(151), CommandResult::kOutOfRange);
  EXPECT_EQ(fw.status().state, DeviceState::kIdle) << "refused commands change nothing";
  EXPECT_EQ(fw.SetRollerSpeed(-120), CommandResult::kOk);
  EXPECT_EQ(fw.status().state, DeviceState::kActive);
}

TEST(FirmwareTest, EventQueueOverwritesTheOldest) {
  Rig rig;
  for (int k = 0; k < 100; ++k) {
    rig.fw().EStop();
    ASSERT_EQ(rig.fw().ClearFaults(), CommandResult::kOk);
  }
  int n = 0;
  FirmwareEvent e, last;
  while (rig.fw().PopEvent(&e)) {
    last = e;
    ++n;
  }
  EXPECT_EQ(n, static_cast<int>(Firmware::kEventBufferSize));
  EXPECT_EQ(last.kind, EventKind::kStateChanged);
  EXPECT_EQ(last.state, DeviceState::kIdle);
}

TEST(FirmwareTest, TickDoesNotAllocate) {
  Rig rig;
  rig.drain_telemetry = false;  // the rig's own vectors would allocate
  plant::Plant& plant = rig.plant();
  Firmware& fw = rig.fw();
  fw.SetRollerSpeed(60);
  fw.SetHeadAngle(20, 0);
  fw.SetPreload(30);
  ActuatorOutputs out;
  const long before = HeapAllocations();
  for (int k = 0; k < 3000; ++k) {
    plant.Advance(out, 1e-3);
    out = fw.Tick(plant.ReadSensors());
    TelemetrySample s;
    fw.PopTelemetry(&s);
    FirmwareEvent e;
    fw.PopEvent(&e);
    if (k == 1500) fw.EStop();
  }
  EXPECT_EQ(HeapAllocations(), before);
}

TEST(FirmwareTest, FaultNamesAreStable) {
  EXPECT_STREQ(FaultName(Fault::kStall), "stall");
  EXPECT_STREQ(FaultName(Fault::kOverTemperature), "over-temperature");
  EXPECT_STREQ(FaultName(Fault::kEncoderLoss), "encoder-loss");
  EXPECT_STREQ(FaultName(static_cast<Fault>(200)), "unknown");
}

}  // namespace
}  // namespace rollrig::firmware
