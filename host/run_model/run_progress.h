// A run's progress in time, from its model: elapsed_s (the run time of its latest sample;
// a resumed run's goes on from where it stopped), where that time went (active_s: the
// program's time; paused_s; held_s: lost to holds), and the ETA, which counts the
// program's time only, so a pause or a hold neither eats into it nor runs it down; and
// the samples lost so far. What a resume goes on from (run_so_far.h) besides the verdict.
// Pure; any thread.
#pragma once

#include "host/run_model/run_model.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::run_model {

void NoteRunProgress(const RunModel& model, const rollrig::v1::RunSpec& spec, double cycle_s,
                     rollrig::v1::RunProgress* progress);

}  // namespace rollrig::run_model
