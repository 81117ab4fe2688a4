// A fingerprint of what a profile says, not how it is written: comments, whitespace and
// field order in the source do not change it; any value does.
#pragma once

#include <string>

#include "rollrig/v1/profile.pb.h"

namespace rollrig::host {

// Lowercase SHA-256 hex of the profile's deterministic binary serialization.
std::string ProfileHash(const rollrig::v1::Profile& profile);

}  // namespace rollrig::host
