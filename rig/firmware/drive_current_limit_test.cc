// The drive stage's cycle-by-cycle current limit (plant::PlantParams::current_trip_a)
// under the firmware in lock-step: the worst cases a roller drive meets — a jam at speed,
// a load far beyond the motor's peak torque, a full-speed reversal, an e-stop from full
// speed, and the bridge slammed to full reverse voltage at full speed — each in both
// directions, with and without the pad preloaded. The true winding
// current must stay within 3.3 A at the end of every plant integration step (not only at
// the firmware's ticks). The worst current of each case is printed and recorded.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rig/firmware/firmware.h"
#include "rig/sim/testing/lockstep_rig.h"

namespace rollrig::firmware {
namespace {

using test_support::Rig;

constexpr double kMaxTrueCurrentA = 3.3;

struct DriveCase {
  std::string name;
  double rpm;        // the steady speed the case starts from
  double preload_n;  // 0 = no preload
  // What happens at speed (the e-stop, the jam...); the rig then runs on for 0.6 s.
  std::function<void(Rig&)> event;
};

// Brings the rig to `rpm` (with the preload first), then resets the peak observers.
void SettleAt(Rig& rig, double rpm, double preload_n) {
  if (preload_n > 0) {
    rig.Run(0.05);
    ASSERT_EQ(rig.fw().Tare(), CommandResult::kOk);
    ASSERT_EQ(rig.fw().SetPreload(static_cast<float>(preload_n)), CommandResult::kOk);
    rig.Run(0.7);
  }
  ASSERT_EQ(rig.fw().SetRollerSpeed(static_cast<float>(rpm)), CommandResult::kOk);
  rig.Run(0.8);
  ASSERT_NEAR(rig.RollerRpm(), rpm, 0.05 * std::abs(rpm) + 1.0);
}

// Runs one case; returns the largest |current| at any plant step after the event.
double WorstCurrent(const DriveCase& c, const plant::PlantParams& params) {
  Rig rig(FirmwareConfig{}, params);
  SettleAt(rig, c.rpm, c.preload_n);
  rig.ResetPeakCurrents();
  c.event(rig);
  rig.Run(0.6);
  return rig.peak_step_current();
}

std::vector<DriveCase> WorstCases() {
  std::vector<DriveCase> cases;
  const auto jam = [](Rig& rig) { rig.plant().faults().roller_jammed = true; };
  // 1000 N of pad force: 5 N·m at the roller, beyond the 3 N·m the motor can give.
  const auto huge_load = [](Rig& rig) { rig.plant().mutable_state().force_n = 1000; };
  const auto estop = [](Rig& rig) { rig.fw().EStop(); };
  const auto reverse = [](Rig& rig) {
    const double rpm = rig.RollerRpm();
    EXPECT_EQ(rig.fw().SetRollerSpeed(rpm > 0 ? -120.0f : 120.0f), CommandResult::kOk);
  };
  // Harsher than any command (the firmware ramps a reversal): the bridge slammed to full
  // reverse voltage at full speed, as a firmware fault could, for the rest of the case.
  const auto slam = [](Rig& rig) {
    const float volts = rig.RollerRpm() > 0 ? -24.0f : 24.0f;
    rig.override_outputs = [volts](ActuatorOutputs* out) {
      out->bridge_enabled = true;
      out->motor_voltage_v = volts;
    };
  };
  for (double preload : {0.0, 50.0}) {
    const std::string with = preload > 0 ? " at 50 N" : " unloaded";
    for (double sign : {1.0, -1.0}) {
      for (double rpm : {30.0, 60.0, 90.0, 120.0}) {
        cases.push_back(
            {absl::StrCat("jam at ", sign * rpm, " rpm", with), sign * rpm, preload, jam});
      }
      cases.push_back({absl::StrCat("1000 N load at ", sign * 120, " rpm", with), sign * 120,
                       preload, huge_load});
      cases.push_back(
          {absl::StrCat("reversal from ", sign * 120, " rpm", with), sign * 120, preload, reverse});
      cases.push_back(
          {absl::StrCat("e-stop from ", sign * 120, " rpm", with), sign * 120, preload, estop});
      cases.push_back({absl::StrCat("bridge reversed at ", sign * 120, " rpm", with), sign * 120,
                       preload, slam});
    }
  }
  return cases;
}

TEST(DriveCurrentLimitTest, TrueCurrentStaysWithinTheLimitAtEveryPlantStep) {
  const plant::PlantParams params;
  ASSERT_LE(params.current_trip_a, kMaxTrueCurrentA);
  ASSERT_LE(params.max_substep_s, 50e-6);
  double worst = 0;
  for (const DriveCase& c : WorstCases()) {
    const double peak = WorstCurrent(c, params);
    std::printf("%-36s worst true current %.3f A\n", c.name.c_str(), peak);
    EXPECT_LE(peak, kMaxTrueCurrentA) << c.name;
    worst = std::max(worst, peak);
  }
  RecordProperty("worst_true_current_mA", static_cast<int>(std::lround(worst * 1000)));
}

// The sweep reaches the cases that need the comparator: without it, a jam at speed drives
// the winding far past the limit between two firmware ticks.
TEST(DriveCurrentLimitTest, WithoutTheComparatorAJamAtSpeedExceedsTheLimit) {
  plant::PlantParams bare;
  bare.current_trip_a = 0;
  const DriveCase jam{"jam at 120 rpm", 120, 0,
                      [](Rig& rig) { rig.plant().faults().roller_jammed = true; }};
  const double without = WorstCurrent(jam, bare);
  std::printf("jam at 120 rpm without the comparator: %.3f A\n", without);
  EXPECT_GT(without, 4.0);

  Rig rig;
  SettleAt(rig, 120, 0);
  const uint64_t chopped_before = rig.plant().chopped_steps();
  rig.plant().faults().roller_jammed = true;
  rig.Run(0.05);
  EXPECT_GT(rig.plant().chopped_steps(), chopped_before) << "the comparator never tripped";
}

// The limit does not slow category-1 braking: from 60 rpm the roller still stands within
// tens of milliseconds.
TEST(DriveCurrentLimitTest, EStopFrom60RpmStillStopsWithinTensOfMilliseconds) {
  Rig rig;
  SettleAt(rig, 60, 0);
  rig.fw().EStop();
  const double standstill_s = rig.RunUntil([&] { return std::abs(rig.RollerRpm()) < 1.0; }, 1.0);
  std::printf("e-stop from 60 rpm: standstill after %.1f ms\n", standstill_s * 1000);
  EXPECT_LT(standstill_s, 0.05);
  RecordProperty("estop_standstill_ms", static_cast<int>(std::lround(standstill_s * 1000)));
}

}  // namespace
}  // namespace rollrig::firmware
