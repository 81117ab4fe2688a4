// The analyzer a run of a loaded profile is judged by: the profile's run limits and each
// segment's own limits. rigd, `rigctl check` and the lock-step tests build it here, so a
// replay judges with exactly the rules the live run had. Pure; any thread.
#pragma once

#include <memory>

#include "host/analysis/run_analyzer.h"
#include "host/profile_loader/profile_loader.h"

namespace rollrig::run_model {

// A resumed run's analysis goes on from `so_far` (nullptr: a run from its start).
std::unique_ptr<host::RunAnalyzer> AnalyzerForProfile(const host::LoadedProfile& profile,
                                                      const host::RunSoFar* so_far = nullptr);

}  // namespace rollrig::run_model
