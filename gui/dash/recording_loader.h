// Opens a run's recording (MCAP, the layout rigd records: /telemetry, /events, /cycles and
// the run's metadata) for the dashboard: every sample into level-of-detail series, the
// events and cycles as lists, the verdict and limits.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gui/dash/limit_bands.h"
#include "gui/dash/series_set.h"
#include "gui/dash/telemetry_ingest.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::gui {

struct LoadedRecording {
  std::string path;
  std::string run_id, profile_name, state, state_reason;
  std::unique_ptr<SeriesSet> series;
  std::vector<TelemetryPoint> points;  // only with keep_points (a golden reference)
  std::vector<rollrig::v1::RigEvent> events;
  std::vector<rollrig::v1::CycleStats> cycles;
  // Run time (s) at which cycle k started, at index k - 1, from the samples' cycle numbers.
  std::vector<double> cycle_starts;
  bool has_verdict = false;
  rollrig::v1::RunVerdict verdict;
  RunLimits limits;
  uint64_t samples = 0;
  uint64_t dropped = 0;
};

// Errors name the file and what was wrong (not an MCAP file, no /telemetry, a corrupt
// chunk). keep_points keeps the decoded samples too, for re-aligning a reference.
absl::StatusOr<std::unique_ptr<LoadedRecording>> LoadRecording(const std::string& path,
                                                               bool keep_points = false);

}  // namespace rollrig::gui
