// What a run report shows, read from a run's recording files (a rotated or resumed run's
// files in order): the run's metadata, verdict, per-cycle statistics, its /overview
// envelope bucketed to a plot's resolution, its events placed in run time, the
// drops/gaps/disconnects accounting and the files themselves (size, SHA-256).
//
// Only the small topics are read (/overview from its own chunks, /cycles, /events), never
// every sample: the report of a 72 h run costs a fraction of reading it. Memory is flat in
// the run's length apart from the per-cycle statistics and the events.
//
// Pure over the file system it is given; not thread-safe per call, any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "host/recording/file_system.h"
#include "rollrig/v1/profile.pb.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::report {

struct RecordFile {
  std::string name;  // without its directory
  uint64_t bytes = 0;
  std::string sha256;
  bool in_progress = false;  // a .part, or no summary (still written, or cut short)
};

// What the plots mark, by kind.
enum class EventKind { kPause, kResume, kFault, kLimit, kEStop, kGap, kDisconnect, kRun, kOther };
const char* EventKindName(EventKind kind);  // "pause", "fault", "e-stop", "gap", ...

struct RecordEvent {
  double t_s = 0;  // run time
  EventKind kind = EventKind::kOther;
  std::string text;
};

// Min/max envelopes of the overview in fixed buckets of run time; NaN where a bucket holds
// no overview (a gap).
struct Envelope {
  std::vector<double> t;  // bucket start, run time
  std::vector<double> torque_min, torque_max, speed_min, speed_max, force_min, force_max, head_min,
      head_max, temp_max;
};

struct RunRecord {
  // Header.
  std::string run_id, profile_name, profile_hash, dut_serial, operator_name, notes, started_by,
      host_version, firmware_version, device_serial;
  uint32_t cycles_planned = 0;
  double duration_planned_s = 0;
  int64_t started_unix_ns = 0;
  int64_t ended_unix_ns = 0;  // the last message recorded (or the run's end from rigd)
  double run_time_s = 0;      // first to last sample, device time

  // Verdict: from the recording's "rollrig.verdict" (or the run's, from rigd).
  bool has_verdict = false;
  rollrig::v1::RunVerdict verdict;
  rollrig::v1::RunState state = rollrig::v1::RUN_STATE_UNSPECIFIED;
  std::string state_reason;
  bool in_progress = false;

  rollrig::v1::Profile profile;  // parsed from the recorded profile text (limits)
  std::vector<rollrig::v1::CycleStats> cycles;
  Envelope overview;
  std::vector<RecordEvent> events;  // in run time order

  // Accounting.
  uint64_t samples = 0;       // /telemetry messages
  uint64_t samples_lost = 0;  // telemetry gaps between the device and rigd
  uint64_t gaps = 0;
  uint64_t device_gaps = 0;  // the device gone (DEVICE_GAP)
  double device_gap_s = 0;
  uint64_t disconnects = 0;
  uint64_t decode_errors = 0;
  uint64_t pauses = 0;

  std::vector<RecordFile> files;
};

// Reads `paths` (in order) through `fs`. Errors name the file: missing, not MCAP, damaged
// (a chunk whose CRC fails: DATA_LOSS). A file still being written reads as far as it is
// complete and marks the record in progress.
absl::StatusOr<RunRecord> ReadRunRecord(const std::vector<std::string>& paths,
                                        recording::FileSystem* fs = recording::RealFileSystem());

// Fills what rigd knows of a run and the files do not say (or say staler): its state and
// verdict (the verdict so far while active), end time, owner.
void MergeRunInfo(const rollrig::v1::RunInfo& info, RunRecord* record);

}  // namespace rollrig::report
