// Debounces a fault condition: true once the condition has held continuously for a
// given time. Counts ticks, so it is exact at any tick rate that divides the time.
#pragma once

#include <cstdint>

namespace rollrig::firmware {

class PersistenceTimer {
 public:
  // Feeds one tick of `condition`; returns true once it has held for `hold_us`.
  bool Step(bool condition, uint32_t tick_us, uint32_t hold_us) {
    held_us_ = condition ? held_us_ + tick_us : 0;
    return condition && held_us_ >= hold_us;
  }
  void Reset() { held_us_ = 0; }
  uint64_t held_us() const { return held_us_; }

 private:
  uint64_t held_us_ = 0;
};

}  // namespace rollrig::firmware
