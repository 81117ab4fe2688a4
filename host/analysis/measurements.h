// What a limit measures: the live signals taken from a sample, the names and units the
// verdict prints. A signal is either a channel of the channel table that limits may name
// (rig/base/telemetry_channels.h: its value or magnitude, its name and unit) or one derived
// from two channels (the speed and head tracking errors).
#pragma once

#include <algorithm>
#include <array>

#include "host/recording/sample.h"
#include "rig/base/telemetry_channels.h"
#include "rollrig/v1/profile.pb.h"

namespace rollrig::host {

// The largest Signal value a channel backs.
constexpr int MaxChannelSignal() {
  int most = 0;
  for (const TelemetryChannel& c : kTelemetryChannels) most = std::max(most, c.limit_signal);
  return most;
}

// Every live signal of one sample, indexed by rollrig::v1::Signal value (index 0, the
// unspecified signal, is NaN; so is a signal whose channel the sample lacks). Magnitudes
// where DESIGN.md's limits are on magnitudes: |torque|, |roller command - actual|, |head
// command - actual|, |current|.
inline constexpr int kSignalSlots =
    std::max(MaxChannelSignal(), static_cast<int>(rollrig::v1::SIGNAL_HEAD_ERROR_DEG)) + 1;
using SignalValues = std::array<double, kSignalSlots>;
void ComputeSignals(const Sample& s, SignalValues* values);
// True when `s` lacks a channel `signal` is taken from (an older recording or device):
// the signal was not measured, which is not the same as a value of 0.
bool SignalAbsent(const Sample& s, rollrig::v1::Signal signal);

// True for a Signal value ComputeSignals fills.
bool IsKnownSignal(rollrig::v1::Signal signal);
bool IsKnownCycleStatistic(rollrig::v1::CycleStatistic statistic);

// "torque_nm", "speed_error_rpm", ...; "cycle peak_torque_nm", ...
const char* SignalName(rollrig::v1::Signal signal);
const char* CycleStatisticName(rollrig::v1::CycleStatistic statistic);
// "N·m", "N", "rpm", "deg", "°C", "A".
const char* SignalUnit(rollrig::v1::Signal signal);
const char* CycleStatisticUnit(rollrig::v1::CycleStatistic statistic);

}  // namespace rollrig::host
