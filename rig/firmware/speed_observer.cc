#include "rig/firmware/speed_observer.h"

#include <cmath>

namespace rollrig::firmware {

void SpeedObserver::Configure(float bandwidth_rad_s, float tick_s, float rad_per_count,
                              float torque_per_amp_per_inertia) {
  tick_s_ = tick_s;
  rad_per_count_ = rad_per_count;
  accel_per_amp_ = torque_per_amp_per_inertia;
  // Gains that put all three poles of the predict-correct error dynamics at z = p.
  const float p = std::exp(-bandwidth_rad_s * tick_s);
  const float q = 1.0f - p;
  gain_position_ = 1.0f - p * p * p;
  gain_speed_ = 1.5f * q * q * (1.0f + p) / tick_s;
  gain_disturbance_ = q * q * q / (tick_s * tick_s);
  Reset();
}

void SpeedObserver::Reset() {
  primed_ = false;
  theta_ = 0;
  omega_ = 0;
  disturbance_ = 0;
}

float SpeedObserver::Step(int64_t count, float current_a) {
  // The shaft is somewhere inside the count's interval: take its middle.
  const float measured = 0.5f * rad_per_count_;
  if (!primed_) {
    reference_count_ = count;
    theta_ = measured;
    primed_ = true;
  }
  // Re-base on the new count; the difference is a small integer, exact in float.
  theta_ -= static_cast<float>(count - reference_count_) * rad_per_count_;
  reference_count_ = count;

  const float dt = tick_s_;
  const float accel = accel_per_amp_ * current_a + disturbance_;
  const float theta_predicted = theta_ + omega_ * dt + 0.5f * accel * dt * dt;
  const float omega_predicted = omega_ + accel * dt;
  const float error = measured - theta_predicted;
  theta_ = theta_predicted + gain_position_ * error;
  omega_ = omega_predicted + gain_speed_ * error;
  disturbance_ += gain_disturbance_ * error;
  return omega_;
}

}  // namespace rollrig::firmware
