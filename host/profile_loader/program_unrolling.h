// Flattens a profile into the device program: loops unrolled, segments numbered, timed in
// whole microseconds as the firmware runs them.
#pragma once

#include <cstdint>
#include <vector>

#include "host/profile_loader/profile_loader.h"
#include "rollrig/v1/profile.pb.h"

namespace rollrig::host {

// How many segments UnrollProfile would produce (saturating at UINT64_MAX), without
// building them: cheap even for a loop repeated four billion times.
uint64_t CountProgramSegments(const rollrig::v1::Profile& profile);

struct UnrolledProgram {
  std::vector<rollrig::v1::ProgramSegment> program;
  std::vector<ProgramSegmentInfo> segments;  // same order as `program`
  double cycle_s = 0;  // the sum of the program's durations (in whole microseconds)
};

// Expects a profile that passed ValidateProfile (durations finite and positive, a program
// small enough to build).
UnrolledProgram UnrollProfile(const rollrig::v1::Profile& profile);

// round(duration_s * 1e6): what the device runs.
uint64_t DurationMicros(double duration_s);

}  // namespace rollrig::host
