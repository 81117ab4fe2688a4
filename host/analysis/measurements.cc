#include "host/analysis/measurements.h"

#include <cmath>
#include <limits>
#include <optional>

namespace rollrig::host {

namespace v1 = rollrig::v1;

namespace {

double SignalOfChannel(const Sample& s, size_t channel) {
  const std::optional<float> v = ChannelValue(s, channel);
  if (!v) return std::numeric_limits<double>::quiet_NaN();
  const double value = static_cast<double>(*v);
  return kTelemetryChannels[channel].limit_use == LimitUse::kMagnitude ? std::fabs(value) : value;
}

// |command - actual| of two channels every sample carries.
double TrackingError(const Sample& s, float TelemetrySample::*command,
                     float TelemetrySample::*actual) {
  return std::fabs(static_cast<double>(s.*command) - static_cast<double>(s.*actual));
}

}  // namespace

void ComputeSignals(const Sample& s, SignalValues* values) {
  SignalValues& v = *values;
  v.fill(std::numeric_limits<double>::quiet_NaN());
  for (size_t c = 0; c < kTelemetryChannelCount; ++c) {
    if (kTelemetryChannels[c].limit_use != LimitUse::kNone) {
      v[kTelemetryChannels[c].limit_signal] = SignalOfChannel(s, c);
    }
  }
  v[v1::SIGNAL_SPEED_ERROR_RPM] =
      TrackingError(s, &TelemetrySample::roller_rpm_cmd, &TelemetrySample::roller_rpm);
  v[v1::SIGNAL_HEAD_ERROR_DEG] =
      TrackingError(s, &TelemetrySample::head_deg_cmd, &TelemetrySample::head_deg);
}

bool SignalAbsent(const Sample& s, v1::Signal signal) {
  const std::optional<size_t> channel = ChannelOfLimitSignal(signal);
  return channel && !ChannelPresent(s, *channel);
}

bool IsKnownSignal(v1::Signal signal) {
  if (signal == v1::SIGNAL_SPEED_ERROR_RPM || signal == v1::SIGNAL_HEAD_ERROR_DEG) return true;
  const std::optional<size_t> channel = ChannelOfLimitSignal(signal);
  return channel && kTelemetryChannels[*channel].limit_use != LimitUse::kNone;
}

bool IsKnownCycleStatistic(v1::CycleStatistic statistic) {
  return statistic > v1::CYCLE_STATISTIC_UNSPECIFIED &&
         statistic <= v1::CYCLE_STATISTIC_MAX_TEMPERATURE_C;
}

// Derived signals, and temperature (named so in verdicts before the channel table), have
// their own names; the others are their channel's.
const char* SignalName(v1::Signal signal) {
  switch (signal) {
    case v1::SIGNAL_SPEED_ERROR_RPM:
      return "speed_error_rpm";
    case v1::SIGNAL_HEAD_ERROR_DEG:
      return "head_error_deg";
    case v1::SIGNAL_TEMPERATURE_C:
      return "temperature_c";
    default:
      break;
  }
  const std::optional<size_t> channel = ChannelOfLimitSignal(signal);
  // The table's names are string literals, so data() is NUL-terminated.
  return channel ? kTelemetryChannels[*channel].name.data() : "unknown signal";
}

const char* SignalUnit(v1::Signal signal) {
  switch (signal) {
    case v1::SIGNAL_SPEED_ERROR_RPM:
      return "rpm";
    case v1::SIGNAL_HEAD_ERROR_DEG:
      return "deg";
    default:
      break;
  }
  const std::optional<size_t> channel = ChannelOfLimitSignal(signal);
  return channel ? kTelemetryChannels[*channel].unit.data() : "";
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
