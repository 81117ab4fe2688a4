// A telemetry sample as the host keeps it: the device's sample plus when rigd received it.
// Plain data. It sits with the recording codec, which converts it to and from its record.
#pragma once

#include <cstdint>

#include "rig/base/telemetry_channels.h"

namespace rollrig::host {

struct Sample : TelemetrySample {
  int64_t host_time_ns = 0;  // receive time, Unix epoch ns (monotonic clock + offset)
};

}  // namespace rollrig::host
