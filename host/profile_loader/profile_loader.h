// Loads a massage profile written by people (protobuf text format or JSON), validates it
// against what the device reports it can do, and flattens it into the program the
// firmware executes. Every problem found is reported, as a compiler would:
// FILE:LINE:COL: FIELD: message.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "host/profile_loader/presets.h"
#include "rollrig/v1/device.pb.h"
#include "rollrig/v1/profile.pb.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::host {

// One segment of the unrolled program, with where it came from in the profile.
struct ProgramSegmentInfo {
  uint32_t index = 0;                      // position in the program (= ProgramSegment.index)
  std::string label;                       // the segment's label (may be empty)
  std::string path;                        // e.g. "steps[2].loop.segments[1]" or "steps[0].segment"
  uint32_t step = 0;                       // index into Profile.steps
  uint32_t loop_iteration = 0;             // 0-based repetition of its loop; 0 outside loops
  double start_s = 0;                      // from the start of the cycle
  double duration_s = 0;                   // as the device runs it (whole microseconds)
  std::vector<rollrig::v1::Limit> limits;  // the segment's own limits
};

// A profile that passed validation, ready to upload.
struct LoadedProfile {
  rollrig::v1::Profile profile;
  // Loops unrolled, index = position, duration_us = round(duration_s * 1e6), motions
  // copied; at most the device's max_profile_segments entries.
  std::vector<rollrig::v1::ProgramSegment> program;
  std::vector<ProgramSegmentInfo> segments;  // same order as `program`
  double cycle_s = 0;  // one pass through all steps: the sum of the program's durations
  std::string hash;    // lowercase SHA-256 hex of the profile's deterministic serialization
  std::string name;    // the profile's name, else the file name without extension
};

// The outcome of LoadProfile: `loaded` is set exactly when `errors` is empty.
struct ProfileCheck {
  std::optional<LoadedProfile> loaded;
  std::vector<rollrig::v1::ProfileError> errors;
  bool ok() const { return loaded.has_value() && errors.empty(); }
};

// Parses `source` and validates it against `caps`. The format is JSON when
// source.format is PROFILE_FORMAT_JSON, or when it is unspecified and the file name ends
// in ".json" or the text starts with '{'; otherwise text format. A non-empty
// source.preset loads that preset instead of source.text. All errors found are returned
// (a syntax error stops parsing, so nothing after it is checked). Lines and columns are
// 1-based; 0 when unknown (JSON input). caps.max_profile_segments == 0 means 256.
ProfileCheck LoadProfile(const rollrig::v1::ProfileSource& source,
                         const rollrig::v1::Capabilities& caps);

// The program `source` unrolls to on a device with `caps`; empty when it does not load
// (what a replayed recording answers a host asking for another program with).
std::vector<rollrig::v1::ProgramSegment> ProgramOf(const rollrig::v1::ProfileSource& source,
                                                   const rollrig::v1::Capabilities& caps);

// "FILE:LINE:COL: FIELD: message"; without LINE:COL when the line is unknown, without
// "FIELD: " when no field applies, and "<profile>" for an unnamed file.
std::string FormatProfileError(const rollrig::v1::ProfileError& e);

}  // namespace rollrig::host
