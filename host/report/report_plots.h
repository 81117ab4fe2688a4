// The run report's plots as inline SVG: the overview of the run (min/max envelopes over
// run time with the run's events marked and the live limits drawn) and the trends (each
// per-cycle statistic against cycle number with the per-cycle limits). Pure; any thread.
#pragma once

#include <string>
#include <vector>

#include "host/report/run_record.h"

namespace rollrig::report {

// Torque, roller speed, contact force, temperature and head angle, in that order.
std::vector<std::string> OverviewPlots(const RunRecord& record);

// One plot per trend group of CycleColumns() (torque, force, speed tracking, temperature,
// ...); none when the run has no complete cycle.
std::vector<std::string> TrendPlots(const RunRecord& record);

}  // namespace rollrig::report
