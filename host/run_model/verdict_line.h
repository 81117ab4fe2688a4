// The line a run's verdict is shown as, live (`rigctl run`, `attach`) and replayed
// (`rigctl check`): one function, so both print the same words for the same run.
// Pure; any thread.
#pragma once

#include <string>

#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::run_model {

// The words (verdict and state names) come from protos/enum_names.h.
// "verdict: NAME REASON", and " [STATE: STATE_REASON]" when the run ended FAULTED or
// INTERRUPTED (a fault of the rig or of rigd, not of the device under test).
std::string VerdictLine(const rollrig::v1::RunVerdict& verdict, rollrig::v1::RunState state,
                        const std::string& state_reason);

}  // namespace rollrig::run_model
