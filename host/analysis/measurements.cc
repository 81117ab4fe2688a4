#include "host/analysis/measurements.h"

#include <cmath>
#include <limits>

namespace rollrig::host {

namespace v1 = rollrig::v1;

void ComputeSignals(const Sample& s, SignalValues* values) {
  SignalValues& v = *values;
  v[0] = std::numeric_limits<double>::quiet_NaN();
  v[v1::SIGNAL_TORQUE_NM] = std::fabs(static_cast<double>(s.torque_nm));
  v[v1::SIGNAL_FORCE_N] = s.force_n;
  v[v1::SIGNAL_SPEED_ERROR_RPM] =
      std::fabs(static_cast<double>(s.roller_rpm_cmd) - static_cast<double>(s.roller_rpm));
  v[v1::SIGNAL_HEAD_ERROR_DEG] =
      std::fabs(static_cast<double>(s.head_deg_cmd) - static_cast<double>(s.head_deg));
  v[v1::SIGNAL_TEMPERATURE_C] = s.temp_c;
  v[v1::SIGNAL_CURRENT_A] = std::fabs(static_cast<double>(s.current_a));
}

bool IsKnownSignal(v1::Signal signal) {
  return signal > v1::SIGNAL_UNSPECIFIED && signal < kSignalSlots;
}

bool IsKnownCycleStatistic(v1::CycleStatistic statistic) {
  return statistic > v1::CYCLE_STATISTIC_UNSPECIFIED &&
         statistic <= v1::CYCLE_STATISTIC_MAX_TEMPERATURE_C;
}

const char* SignalName(v1::Signal signal) {
  switch (signal) {
    case v1::SIGNAL_TORQUE_NM:
      return "torque_nm";
    case v1::SIGNAL_FORCE_N:
      return "force_n";
    case v1::SIGNAL_SPEED_ERROR_RPM:
      return "speed_error_rpm";
    case v1::SIGNAL_HEAD_ERROR_DEG:
      return "head_error_deg";
    case v1::SIGNAL_TEMPERATURE_C:
      return "temperature_c";
    case v1::SIGNAL_CURRENT_A:
      return "current_a";
    default:
      return "unknown signal";
  }
}

const char* SignalUnit(v1::Signal signal) {
  switch (signal) {
    case v1::SIGNAL_TORQUE_NM:
      return "N·m";
    case v1::SIGNAL_FORCE_N:
      return "N";
    case v1::SIGNAL_SPEED_ERROR_RPM:
      return "rpm";
    case v1::SIGNAL_HEAD_ERROR_DEG:
      return "deg";
    case v1::SIGNAL_TEMPERATURE_C:
      return "°C";
    case v1::SIGNAL_CURRENT_A:
      return "A";
    default:
      return "";
  }
}

const char* CycleStatisticName(v1::CycleStatistic statistic) {
  switch (statistic) {
    case v1::CYCLE_STATISTIC_PEAK_TORQUE_NM:
      return "cycle peak_torque_nm";
    case v1::CYCLE_STATISTIC_MEAN_TORQUE_NM:
      return "cycle mean_torque_nm";
    case v1::CYCLE_STATISTIC_RMS_TORQUE_NM:
      return "cycle rms_torque_nm";
    case v1::CYCLE_STATISTIC_MEAN_FORCE_N:
      return "cycle mean_force_n";
    case v1::CYCLE_STATISTIC_PEAK_FORCE_N:
      return "cycle peak_force_n";
    case v1::CYCLE_STATISTIC_SPEED_RMS_ERROR_RPM:
      return "cycle speed_rms_error_rpm";
    case v1::CYCLE_STATISTIC_MAX_TEMPERATURE_C:
      return "cycle max_temperature_c";
    default:
      return "unknown cycle statistic";
  }
}

const char* CycleStatisticUnit(v1::CycleStatistic statistic) {
  switch (statistic) {
    case v1::CYCLE_STATISTIC_PEAK_TORQUE_NM:
    case v1::CYCLE_STATISTIC_MEAN_TORQUE_NM:
    case v1::CYCLE_STATISTIC_RMS_TORQUE_NM:
      return "N·m";
    case v1::CYCLE_STATISTIC_MEAN_FORCE_N:
    case v1::CYCLE_STATISTIC_PEAK_FORCE_N:
      return "N";
    case v1::CYCLE_STATISTIC_SPEED_RMS_ERROR_RPM:
      return "rpm";
    case v1::CYCLE_STATISTIC_MAX_TEMPERATURE_C:
      return "°C";
    default:
      return "";
  }
}

}  // namespace rollrig::host
