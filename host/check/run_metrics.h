// The named metrics of a replayed run that a fixture's expectation can pin down.
//
// Run-wide (every cycle the analysis saw, the partial one included, weighted by samples):
//   cycles               complete cycles
//   samples              samples analysed
//   samples_lost, gaps   telemetry lost between the device and rigd
//   violations           limit violations counted
//   run_time_s           device time from the first to the last sample analysed
//   peak_torque_nm, mean_torque_nm, rms_torque_nm, mean_force_n, peak_force_n,
//   speed_rms_error_rpm, max_temperature_c
// Per complete cycle N (1-based, as the device numbers them): "cycle N peak_torque_nm",
// and likewise for each statistic above, plus "cycle N samples".
// A name not listed is unknown: an expectation naming it fails.
#pragma once

#include <map>
#include <string>

#include "host/check/recording_replay.h"

namespace rollrig::check {

std::map<std::string, double> RunMetrics(const ReplayedRun& run);

}  // namespace rollrig::check
