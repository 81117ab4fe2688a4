// A telemetry sample as the host keeps it: the device's sample plus when rigd received it.
#pragma once

#include <cstdint>

#include "rig/firmware/firmware.h"

namespace rollrig::host {

struct Sample : firmware::TelemetrySample {
  int64_t host_time_ns = 0;  // receive time, Unix epoch ns (monotonic clock + offset)
};

}  // namespace rollrig::host
