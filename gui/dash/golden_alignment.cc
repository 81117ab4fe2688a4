#include "gui/dash/golden_alignment.h"

#include <cmath>

namespace rollrig::gui {

double GoldenShift(const AlignmentInput& in) {
  const size_t k = in.cycle;
  if (k >= 1 && in.target_cycle_starts.size() >= k && in.reference_cycle_starts.size() >= k &&
      std::isfinite(in.target_cycle_starts[k - 1]) &&
      std::isfinite(in.reference_cycle_starts[k - 1])) {
    return in.target_cycle_starts[k - 1] - in.reference_cycle_starts[k - 1];
  }
  return in.target_run_start;  // both runs' time zero at the same place
}

std::vector<double> CycleStartsOf(const std::vector<rollrig::v1::CycleStats>& cycles,
                                  bool run_goes_on) {
  std::vector<double> starts;
  for (const rollrig::v1::CycleStats& c : cycles) {
    if (c.cycle() == 0 || c.cycle() <= starts.size()) continue;  // unnumbered or out of order
    starts.resize(c.cycle(), std::nan(""));  // cycles the table skips: not known
    starts.back() = c.start_s();
  }
  if (run_goes_on && !cycles.empty() && cycles.back().cycle() == starts.size()) {
    starts.push_back(cycles.back().end_s());
  }
  return starts;
}

std::vector<TelemetryPoint> ShiftedPoints(const std::vector<TelemetryPoint>& points, double shift) {
  std::vector<TelemetryPoint> out(points);
  for (TelemetryPoint& p : out) p.t += shift;
  return out;
}

}  // namespace rollrig::gui
