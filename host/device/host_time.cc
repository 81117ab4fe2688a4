#include "host/device/host_time.h"

#include "rig/base/clock.h"

namespace rollrig::host {

int64_t HostTimeNanos() {
  static const int64_t offset_ns = UnixNanosNow() - RealClock()->NowNanos();
  return RealClock()->NowNanos() + offset_ns;
}

}  // namespace rollrig::host
