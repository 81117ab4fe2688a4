// The event a limit note of the run model becomes (RunEffects::limit_notes): published and
// recorded by rigd, and recorded the same way by the fixtures, so a recording's limit
// markers read alike whichever wrote it. Pure; any thread.
#pragma once

#include <string>

#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::run_model {

// A RIG_EVENT_LIMIT of run `run_id`: "limit NAME: REASON", the note attached. host_time_ns
// is left 0 for the caller (rigd's event hub stamps its clock).
rollrig::v1::RigEvent LimitEvent(const std::string& run_id, const rollrig::v1::LimitResult& note);

}  // namespace rollrig::run_model
