// The microcontroller's independent watchdog (an IWDG): a down-counter on its own clock,
// outside the firmware, that the firmware's main loop kicks once per control tick. Left
// unkicked for its timeout (the firmware hung), it resets the whole microcontroller.
// It knows nothing of the firmware's logic, so no firmware state can keep it from firing.
//
// Promises: device time only (no clocks of its own; the simulated MCU lets time pass);
// no allocation; not thread-safe (the simulator's thread drives it).
#pragma once

#include <cstdint>

namespace rollrig::sim {

class IndependentWatchdog {
 public:
  explicit IndependentWatchdog(uint32_t timeout_us) : timeout_us_(timeout_us) {}

  // The firmware's kick: the count starts again.
  void Kick() { since_kick_us_ = 0; }

  // Lets `us` of device time pass; true once the timeout has run out since the last kick
  // (the moment it resets the microcontroller).
  bool Elapse(uint64_t us) {
    since_kick_us_ += us;
    return since_kick_us_ >= timeout_us_;
  }

  uint32_t timeout_us() const { return timeout_us_; }

 private:
  uint32_t timeout_us_;
  uint64_t since_kick_us_ = 0;
};

}  // namespace rollrig::sim
