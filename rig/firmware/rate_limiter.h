// A setpoint ramp: the output moves towards the target at no more than a given rate.
// Plain float arithmetic; no heap.
#pragma once

#include <algorithm>

namespace rollrig::firmware {

class RateLimiter {
 public:
  // Moves towards `target` by at most max_rate·dt; returns the new value.
  float Step(float target, float max_rate, float dt) {
    const float max_step = max_rate * dt;
    const float previous = value_;
    value_ += std::clamp(target - value_, -max_step, max_step);
    rate_ = dt > 0 ? (value_ - previous) / dt : 0.0f;
    return value_;
  }
  void Reset(float value) {
    value_ = value;
    rate_ = 0;
  }
  float value() const { return value_; }
  float rate() const { return rate_; }  // of the last step, units per second

 private:
  float value_ = 0;
  float rate_ = 0;
};

}  // namespace rollrig::firmware
