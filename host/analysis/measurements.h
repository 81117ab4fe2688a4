// What a limit measures: the live signals taken from a sample, the names and units the
// verdict prints.
#pragma once

#include <array>

#include "host/recording/sample.h"
#include "rollrig/v1/profile.pb.h"

namespace rollrig::host {

// Every live signal of one sample, indexed by rollrig::v1::Signal value (index 0, the
// unspecified signal, is NaN). Magnitudes where DESIGN.md's limits are on magnitudes:
// |torque|, |roller command - actual|, |head command - actual|, |current|.
inline constexpr int kSignalSlots = 7;
using SignalValues = std::array<double, kSignalSlots>;
void ComputeSignals(const Sample& s, SignalValues* values);

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
