// Checks a jog against the device's reported capabilities before anything is sent, so a
// bad value is refused with a message that names it and the allowed range.
#pragma once

#include "absl/status/status.h"
#include "rollrig/v1/device.pb.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::host {

// OK, or INVALID_ARGUMENT naming the field, its value and the allowed range
// (e.g. "roller_rpm 100000 is outside the device's range -120..120 rpm"), or for an empty
// request "jog needs at least one of roller_rpm, head_deg, preload_n".
absl::Status ValidateJog(const rollrig::v1::JogRequest& jog, const rollrig::v1::Capabilities& caps);

}  // namespace rollrig::host
