#include "rig/firmware/speed_controller.h"

#include <algorithm>

namespace rollrig::firmware {

float SpeedController::Step(float w_ref, float w_est, float w_low, float w_high,
                            const SpeedControllerGains& gains, const SpeedControllerLimits& limits,
                            float dt) {
  const float error = w_ref - w_est;
  const float unclamped = limits.ke * w_ref + gains.kp * error + integral_;
  const float headroom = limits.resistance * limits.current_limit;
  float low = std::max(-limits.supply_v, limits.ke * std::max(w_high, w_est) - headroom);
  float high = std::min(limits.supply_v, limits.ke * std::min(w_low, w_est) + headroom);
  if (low > high) {
    // The back-EMF is beyond the supply: the supply rail nearest to it draws the least
    // current (the winding is driven by the shaft, not by the bridge).
    low = high = std::clamp(limits.ke * w_est, -limits.supply_v, limits.supply_v);
  }
  const float voltage = std::clamp(unclamped, low, high);
  const bool pushing_high = unclamped > high && error > 0;
  const bool pushing_low = unclamped < low && error < 0;
  if (!pushing_high && !pushing_low) {
    integral_ = std::clamp(integral_ + gains.ki * error * dt, -limits.supply_v, limits.supply_v);
  }
  return voltage;
}

}  // namespace rollrig::firmware
