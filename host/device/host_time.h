// Host receive times: Unix-epoch nanoseconds taken from the monotonic clock plus an
// offset fixed once per process, so a wall-clock step (NTP, a user changing the time)
// can never reorder samples or events. All host-side stamps use this one time base.
#pragma once

#include <cstdint>

namespace rollrig::host {

// Thread-safe; never decreases. The offset is taken at the first call.
int64_t HostTimeNanos();

}  // namespace rollrig::host
