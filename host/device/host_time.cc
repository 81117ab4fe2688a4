#include "host/device/host_time.h"

#include "rig/base/clock.h"

namespace rollrig::host {
namespace {

// Unix epoch minus monotonic time, taken once.
int64_t OffsetNanos() {
  static const int64_t offset_ns = UnixNanosNow() - RealClock()->NowNanos();
  return offset_ns;
}

}  // namespace

int64_t HostTimeNanos() { return HostTimeAt(RealClock()->NowNanos()); }

int64_t HostTimeAt(int64_t clock_ns) { return clock_ns + OffsetNanos(); }

int64_t ClockTimeAt(int64_t host_ns) { return host_ns - OffsetNanos(); }

}  // namespace rollrig::host
