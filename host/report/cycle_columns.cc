#include "host/report/cycle_columns.h"

namespace rollrig::report {

namespace v1 = rollrig::v1;

const std::vector<CycleColumn>& CycleColumns() {
  using C = v1::CycleStats;
  static const std::vector<CycleColumn> kColumns = {
      {"samples", "samples", [](const C& c) { return static_cast<double>(c.samples()); }, 8,
       v1::CYCLE_STATISTIC_UNSPECIFIED, "", false},
      {"peak_torque_nm", "peak torque (N·m)", [](const C& c) { return c.peak_torque_nm(); }, 4,
       v1::CYCLE_STATISTIC_PEAK_TORQUE_NM, "torque", true},
      {"mean_torque_nm", "mean |torque| (N·m)", [](const C& c) { return c.mean_torque_nm(); }, 4,
       v1::CYCLE_STATISTIC_MEAN_TORQUE_NM, "torque", true},
      {"rms_torque_nm", "RMS torque (N·m)", [](const C& c) { return c.rms_torque_nm(); }, 4,
       v1::CYCLE_STATISTIC_RMS_TORQUE_NM, "torque", true},
      {"mean_force_n", "mean force (N)", [](const C& c) { return c.mean_force_n(); }, 4,
       v1::CYCLE_STATISTIC_MEAN_FORCE_N, "force", false},
      {"peak_force_n", "peak force (N)", [](const C& c) { return c.peak_force_n(); }, 4,
       v1::CYCLE_STATISTIC_PEAK_FORCE_N, "force", true},
      {"speed_rms_error_rpm", "speed RMS error (rpm)",
       [](const C& c) { return c.speed_rms_error_rpm(); }, 3,
       v1::CYCLE_STATISTIC_SPEED_RMS_ERROR_RPM, "speed tracking", true},
      {"max_temperature_c", "max temperature (°C)",
       [](const C& c) { return c.max_temperature_c(); }, 4, v1::CYCLE_STATISTIC_MAX_TEMPERATURE_C,
       "temperature", true},
      {"peak_current_a", "peak current (A)", [](const C& c) { return c.peak_current_a(); }, 4,
       v1::CYCLE_STATISTIC_UNSPECIFIED, "current", true},
      {"rms_current_a", "RMS current (A)", [](const C& c) { return c.rms_current_a(); }, 4,
       v1::CYCLE_STATISTIC_UNSPECIFIED, "current", true},
      {"paused_s", "paused (s)", [](const C& c) { return c.paused_s(); }, 4,
       v1::CYCLE_STATISTIC_UNSPECIFIED, "", false},
      {"length_s", "length (s)", [](const C& c) { return c.length_s(); }, 5,
       v1::CYCLE_STATISTIC_UNSPECIFIED, "", false},
  };
  return kColumns;
}

}  // namespace rollrig::report
