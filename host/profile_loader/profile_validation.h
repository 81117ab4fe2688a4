// Checks a parsed profile against what the device can do. Every problem is reported, each
// with the path of the offending field and a message naming the bad value and what is
// allowed.
#pragma once

#include <string>
#include <vector>

#include "host/profile_loader/field_path.h"
#include "rollrig/v1/device.pb.h"
#include "rollrig/v1/profile.pb.h"

namespace rollrig::host {

struct ProfileIssue {
  FieldPath field;
  std::string message;  // without the field path, e.g. "99999 rpm is outside ..."
};

// Limits that are not device capabilities but keep programs sane.
inline constexpr double kMaxSegmentDurationS = 24 * 3600.0;
inline constexpr int kMinTicksPerPeriod = 4;
inline constexpr uint32_t kDefaultMaxProfileSegments = 256;  // when caps report 0

// Empty when the profile can run on a device with `caps`. Capabilities the device leaves
// at 0 (acceleration, head rate, tick rate) are not checked against, except
// max_profile_segments (0 = 256) and tick_hz (0 = 1000 Hz).
std::vector<ProfileIssue> ValidateProfile(const rollrig::v1::Profile& profile,
                                          const rollrig::v1::Capabilities& caps);

}  // namespace rollrig::host
