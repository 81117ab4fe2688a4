// Lines a golden reference (a fixture or an earlier run) up with the run on screen: by
// run time, and when both know where their cycles started, by the start of a chosen
// cycle, so cycle N of the reference lies over cycle N of the run even if the run was
// paused or started late.
#pragma once

#include <cstdint>
#include <vector>

#include "gui/dash/telemetry_ingest.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::gui {

struct AlignmentInput {
  double target_run_start = 0;                 // run time 0 of the target, on its plot axis
  std::vector<double> target_cycle_starts;     // cycle k's start at k - 1, on the plot axis
  std::vector<double> reference_cycle_starts;  // on the reference's run-time axis
  uint32_t cycle = 1;                          // the cycle to line up (1-based); 0 = run time
};

// Seconds to add to the reference's times: the chosen cycle's starts lined up, or else
// (either does not know it) the runs' time zeros.
double GoldenShift(const AlignmentInput& in);

// Where each cycle began (cycle k at k - 1) from a run's cycle statistics, whose start_s is
// run time: a run shown through rigd's history. While the run goes on, the cycle after the
// last completed one began at its end. Cycles the statistics skip are NaN (not known):
// lining up on one falls back to run time.
std::vector<double> CycleStartsOf(const std::vector<rollrig::v1::CycleStats>& cycles,
                                  bool run_goes_on);

// The reference's points moved by `shift` seconds (gaps kept).
std::vector<TelemetryPoint> ShiftedPoints(const std::vector<TelemetryPoint>& points, double shift);

}  // namespace rollrig::gui
