// Replay through the analysis: a run's recording read back and judged again, with no
// rigd and no device. What `rigctl check` and the fixture tests run.
//
// From the recording's metadata it takes the profile text ("rollrig.run") and the device's
// capabilities ("rollrig.device"), loads the profile exactly as rigd does and builds the
// same RunAnalyzer. Then every /telemetry sample goes through it in counter order, with
// the recorded /events interleaved where they happened:
// - a device event (RIG_EVENT_DEVICE) just before the sample its sample_seq names;
//   FAULT_RAISED -> NoteFault; PROGRAM_FINISHED of the run's program ends the run;
//   PROGRAM_ABORTED with no fault noted -> NoteStopped("the device aborted the program");
// - a gap (RIG_EVENT_TELEMETRY_GAP) -> NoteGap, after the device events at or before its
//   first missing sample;
// - a stop by someone (RIG_EVENT_RUN_STATE, ABORTED, with `who`) -> NoteStopped("stopped
//   by WHO"), at its log time;
// - a lost device (RIG_EVENT_DISCONNECTED), at its log time: when rigd's next run-state
//   event is HELD the run was held (below), else NoteStopped("device lost: ...").
// Samples before the program's PROGRAM_STARTED (arming) are not the run: skipped, as rigd
// drops them. This is the order the lock-step harness and rigd feed the analyzer, so a
// fixture's verdict is the live verdict.
//
// A HELD run (RunManager: the device was lost, the run waited for it): from the lost
// device on, samples are skipped, as rigd records but does not analyse them. While held
// a device gap (RIG_EVENT_DEVICE_GAP) -> NoteGap; a device fault other than the
// watchdog's -> NoteFault, the run ends; the re-arming (RUN_STATE ARMING) ->
// DiscardOpenCycle, so the interrupted cycle's samples are dropped; the restarted
// program's PROGRAM_STARTED ends the hold and samples count again from it. A run that
// ended while held: COMPLETED -> NoteProgramFinished; ABORTED or FAULTED (hold timeout,
// stop, a restart that failed) -> NoteStopped with the reason it ended with (the
// recording's "rollrig.verdict" reason). Telemetry gaps, program ends (rigd stops the
// program when the device is back) and the watchdog's fault are not the analysis's while
// held.
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
  rollrig::v1::DeviceInfo device_info;
  rollrig::v1::RunVerdict verdict;
  std::vector<rollrig::v1::CycleStats> cycles;  // complete cycles, in order
  std::optional<rollrig::v1::CycleStats> partial_cycle;
  uint64_t samples = 0;       // fed to the analysis (program samples and ramp-down)
  uint64_t samples_read = 0;  // every /telemetry message
  uint64_t samples_lost = 0;  // gaps noted
  uint64_t gaps = 0;
  uint64_t violations = 0;
  uint64_t events_applied = 0;
  uint64_t holds = 0;         // times the run was HELD (its device lost)
  double run_time_s = 0;      // device time from the first to the last sample fed
  double replay_seconds = 0;  // wall time the replay took (not part of the result's
                              // determinism; for throughput figures only)
};

// Reads `path` through `fs` and replays it through the analysis.
absl::StatusOr<ReplayedRun> ReplayRecordingAnalysis(
    const std::string& path, recording::FileSystem* fs = recording::RealFileSystem());

}  // namespace rollrig::check
