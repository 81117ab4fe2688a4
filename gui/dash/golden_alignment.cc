#include "gui/dash/golden_alignment.h"

namespace rollrig::gui {

double GoldenShift(const AlignmentInput& in) {
  const size_t k = in.cycle;
  if (k >= 1 && in.target_cycle_starts.size() >= k && in.reference_cycle_starts.size() >= k) {
    return in.target_cycle_starts[k - 1] - in.reference_cycle_starts[k - 1];
  }
  return in.target_run_start;  // both runs' time zero at the same place
}

std::vector<TelemetryPoint> ShiftedPoints(const std::vector<TelemetryPoint>& points, double shift) {
  std::vector<TelemetryPoint> out(points);
  for (TelemetryPoint& p : out) p.t += shift;
  return out;
}

}  // namespace rollrig::gui
