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
  std::string path;                // the first file (the run's name)
  std::vector<std::string> files;  // every file read, in order
  std::string run_id, profile_name, state, state_reason;
  std::string profile_text;  // the run's profile (its per-cycle limits)
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
  // Set when a file broke off (damaged, still being written): what was read before the
  // damage is shown, and this says where it stopped and why.
  std::string problem;
  // The zero of the time axis: device time (s) and the host time (Unix ns) of the first
  // sample, to place events on run time.
  double device_time_zero_s = 0;
  int64_t host_time_zero_ns = 0;
};

// Errors name the file and what was wrong (not an MCAP file, no /telemetry, a corrupt
// chunk). A file that breaks off after some samples is not an error: the samples before the
// damage are kept and `problem` names the file and the damage. keep_points keeps the decoded
// samples too, for re-aligning a reference.
absl::StatusOr<std::unique_ptr<LoadedRecording>> LoadRecording(const std::string& path,
                                                               bool keep_points = false);
// One run's files in order (hourly rotation, a continuation after a resume) read as one run:
// one time axis, lost samples counted across the files' boundaries.
absl::StatusOr<std::unique_ptr<LoadedRecording>> LoadRecording(
    const std::vector<std::string>& paths, bool keep_points = false);

}  // namespace rollrig::gui
