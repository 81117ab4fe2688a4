// Replay through the analysis: a run's recording read back and judged again, with no
// rigd and no device. What `rigctl check` and the fixture tests run.
//
// From the recording's metadata it takes the run's spec and profile text ("rollrig.run")
// and the device's capabilities ("rollrig.device"), loads the profile exactly as rigd does
// and builds the same RunAnalyzer, inside the same run model (host/run_model) rigd drives.
// Then every /telemetry sample goes to the model in counter order, with the recorded
// /events fed where rigd fed them: device events, gaps between the device and rigd and
// requests rigd stamped with their sample counter before that sample; the rest (a lost
// device, the device's gap, an e-stop request, rigd's own run states) at their log time.
// The model's rules decide the verdict and how the run ended, so a replay prints the
// verdict line the live run printed.
//
// A resumed run's files (its stretches after each interruption, RunInfo.recordings), given
// in order, replay as the one run they are: each stretch's analysis goes on from what the
// stretches before judged (run_model/run_so_far.h), as rigd's did when it resumed the run,
// so the verdict is the whole run's, over all its cycles.
//
// Promises: deterministic (the same file gives the same result, byte for byte); memory
// flat in the number of samples (events are held, samples stream); a truncated or corrupt
// file, or metadata that does not say what was run, gives a clear error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "host/recording/file_system.h"
#include "rollrig/v1/device.pb.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::check {

// The analysis this code reproduces; an expectation made with another cannot be compared.
inline constexpr uint32_t kAnalysisVersion = 1;

struct ReplayedRun {
  std::string profile_name;
  std::string run_id;
  uint32_t part = 1;   // the (last) stretch replayed: > 1 after an interruption
  uint32_t files = 1;  // replayed as one run
  rollrig::v1::DeviceInfo device_info;
  rollrig::v1::RunVerdict verdict;
  // How the run ended, as the live run ended it (UNSPECIFIED: the recording stops before).
  rollrig::v1::RunState state = rollrig::v1::RUN_STATE_UNSPECIFIED;
  std::string state_reason;
  std::vector<rollrig::v1::CycleStats> cycles;  // complete cycles, in order
  std::optional<rollrig::v1::CycleStats> partial_cycle;
  uint64_t samples = 0;       // fed to the analysis (program samples and ramp-down)
  uint64_t samples_read = 0;  // every /telemetry message
  uint64_t samples_lost = 0;  // gaps noted
  uint64_t gaps = 0;
  uint64_t violations = 0;
  uint64_t events_applied = 0;
  uint64_t holds = 0;     // times the run was HELD (its device lost)
  double run_time_s = 0;  // device time from the first to the last sample fed
  double active_s = 0;    // the program's time (pauses and holds left out), whole run
  double paused_s = 0;
  double held_s = 0;
  double replay_seconds = 0;  // wall time the replay took (not part of the result's
                              // determinism; for throughput figures only)
};

// Reads `path` through `fs` and replays it through the analysis.
absl::StatusOr<ReplayedRun> ReplayRecordingAnalysis(
    const std::string& path, recording::FileSystem* fs = recording::RealFileSystem());

// Which run, and which stretch of it, a recording holds (its run metadata), without
// replaying it: what tells a resumed run's next file from another run's.
struct RunStretch {
  std::string run_id;  // empty when the recording does not say
  uint32_t part = 1;
};
absl::StatusOr<RunStretch> ReadRunStretch(const std::string& path,
                                          recording::FileSystem* fs = recording::RealFileSystem());

// A resumed run's files, in order, replayed as one run. FAILED_PRECONDITION when they are
// not one run's stretches in order from its first (naming the file). One file alone is
// replayed as it is (a later part alone: that part's verdict; `part` says which it is).
absl::StatusOr<ReplayedRun> ReplayRunAnalysis(
    const std::vector<std::string>& paths, recording::FileSystem* fs = recording::RealFileSystem());

}  // namespace rollrig::check
