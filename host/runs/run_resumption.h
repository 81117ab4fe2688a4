// Resuming an interrupted run keeps it one run: the same id and record, state INTERRUPTED
// -> ARMING -> RUNNING ..., one verdict over all its cycles (its analysis goes on from
// what it had judged, run_model/run_so_far.h), its full cycle table, its recordings in
// order (each stretch after an interruption records into new files, ID-rN.mcap), and each
// interruption recorded as a gap: in the record (RunInfo.interruptions, with its start,
// end and duration) and as an event of the run (recorded in the new stretch's file).
//
// The decisions live here; RunManager calls them where it starts, records and fails a
// run. Pure functions of their arguments, except LoadResumption (reads the store).
// Any thread.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "host/analysis/run_analyzer.h"
#include "host/recorder/recorder.h"
#include "host/runs/run_store.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::host {

// An interrupted run, loaded to be resumed.
struct Resumption {
  rollrig::v1::RunInfo run;  // its record as it was interrupted
  RunSoFar so_far;           // what it had judged
  uint32_t first_cycle = 1;  // the cycle it restarts from, from its start
};

// At rigd's start: a run it left active was interrupted (a crash, a power cut) and was
// last known going at `last_known_ns` (its record's last save; 0 = unknown: now).
void MarkInterrupted(int64_t last_known_ns, int64_t now_ns, rollrig::v1::RunInfo* run);

// Loads run `id` to resume it on device `serial`. FAILED_PRECONDITION, saying why, for a
// run that is not interrupted, was continued by another (a record from before resumed
// runs stayed one), was ended by its verdict already, has nothing left to run, or ran on
// another device; NOT_FOUND for an unknown id.
absl::StatusOr<Resumption> LoadResumption(const RunStore& store, const std::string& id,
                                          const std::string& serial);

// The record as the run goes on at `now_ns`: ARMING from `first_cycle`, the interruption
// recorded (from when the run stopped to now), the verdict so far kept in `judged`, the
// end cleared. `info` holds what rigd filled for a new run; the run's own fields win.
void ContinueRecord(const Resumption& r, int64_t now_ns, rollrig::v1::RunInfo* info);

// The recording of the run's next stretch: its number and the files before it.
void NoteEarlierRecordings(const rollrig::v1::RunInfo& info, recorder::RecordingStart* start);

// The run's interruption as an event (RUN_STATE ARMING, gap_ns = its duration).
rollrig::v1::RigEvent InterruptionEvent(const rollrig::v1::RunInfo& info);

// Resuming failed (`why`) at `now_ns`: the run stays INTERRUPTED, resumable again.
void KeepInterrupted(const absl::Status& why, int64_t now_ns, rollrig::v1::RunInfo* info);

// "3 h 2 min", "4.2 s": a gap as people read it.
std::string GapText(double seconds);

}  // namespace rollrig::host
