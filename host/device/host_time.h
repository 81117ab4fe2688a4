// Host receive times: Unix-epoch nanoseconds taken from the monotonic clock plus an
// offset fixed once per process, so a wall-clock step (NTP, a user changing the time)
// can never reorder samples or events. All host-side stamps use this one time base.
//
// Code that reads time through a Clock seam turns that clock's time into host time with
// HostTimeAt: with RealClock() it is HostTimeNanos(); a simulated clock started at
// RealClock()'s time stays in step with the stamps the device client puts on samples.
#pragma once

#include <cstdint>

namespace rollrig::host {

// Thread-safe; never decreases. The offset is taken at the first call.
int64_t HostTimeNanos();

// The host time at monotonic time `clock_ns` (a Clock's NowNanos()). Thread-safe.
int64_t HostTimeAt(int64_t clock_ns);
// The monotonic time at host time `host_ns` (the inverse of HostTimeAt). Thread-safe.
int64_t ClockTimeAt(int64_t host_ns);

}  // namespace rollrig::host
