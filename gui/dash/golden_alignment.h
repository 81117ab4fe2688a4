// Lines a golden reference (a fixture or an earlier run) up with the run on screen: by
// run time, and when both know where their cycles started, by the start of a chosen
// cycle, so cycle N of the reference lies over cycle N of the run even if the run was
// paused or started late.
#pragma once

#include <cstdint>
#include <vector>

#include "gui/dash/telemetry_ingest.h"

namespace rollrig::gui {

struct AlignmentInput {
  double target_run_start = 0;                 // run time 0 of the target, on its plot axis
  std::vector<double> target_cycle_starts;     // cycle k's start at k - 1, on the plot axis
  std::vector<double> reference_cycle_starts;  // on the reference's run-time axis
  uint32_t cycle = 1;                          // the cycle to line up (1-based); 0 = run time
};

// Seconds to add to the reference's times.
double GoldenShift(const AlignmentInput& in);

// The reference's points moved by `shift` seconds (gaps kept).
std::vector<TelemetryPoint> ShiftedPoints(const std::vector<TelemetryPoint>& points, double shift);

}  // namespace rollrig::gui
