// What an interrupted run had judged when it stopped, to go on from when it is resumed
// (RunAnalyzer::Continue): one place that says where it comes from, for both drivers.
// - A live resume (rigd): the run's record and its cycle table. The cycle table is the
//   truth of which cycles are judged (each is appended and synced when it closes); the
//   record gives the limits' counts and worst values (its verdict, or at a crash its
//   verdict so far, saved each second) and where its time went.
// - A replay (`rigctl check` of a resumed run's files in order): the model that replayed
//   the files before, ended.
// Both give the same values for a run rigd shut down; after a crash or a power cut the
// record and the recording each lose at most about their last second.
//
// Pure; any thread.
#pragma once

#include <vector>

#include "host/analysis/run_analyzer.h"
#include "host/run_model/run_model.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::run_model {

host::RunSoFar RunSoFarFromRecord(const rollrig::v1::RunInfo& run,
                                  std::vector<rollrig::v1::CycleStats> cycles);
// `model` has ended (Finish or Interrupt).
host::RunSoFar RunSoFarFromModel(const RunModel& model);

// The cycle a resumed run restarts from: the one after its last judged cycle.
uint32_t NextCycle(const host::RunSoFar& so_far);

}  // namespace rollrig::run_model
