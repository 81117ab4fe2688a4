// Motor shaft speed observer: position, speed and a disturbance acceleration (friction,
// load, model error), predicted from the measured current (J·dw/dt = Kt·I + J·d) and
// corrected by the encoder position. Unlike a count difference it has almost no lag,
// which the speed loop and its current-limit clamp need: during braking at the limit the
// shaft decelerates by ~15000 rad/s², so 5 ms of lag would be 75 rad/s of error.
//
// The three error poles are placed together at z = exp(-bandwidth·T). Positions are
// kept relative to the latest count so float precision holds over days of running.
// Promises: fixed size, no heap, float arithmetic, deterministic.
#pragma once

#include <cstdint>

namespace rollrig::firmware {

class SpeedObserver {
 public:
  // torque_per_amp_per_inertia = Kt / J (rad/s² per ampere).
  void Configure(float bandwidth_rad_s, float tick_s, float rad_per_count,
                 float torque_per_amp_per_inertia);
  // Feeds the count and the current sampled this tick; returns the speed in rad/s.
  float Step(int64_t count, float current_a);
  void Reset();

  float speed() const { return omega_; }
  float disturbance() const { return disturbance_; }  // rad/s²

 private:
  float tick_s_ = 1e-3f;
  float rad_per_count_ = 0;
  float accel_per_amp_ = 0;
  float gain_position_ = 0;
  float gain_speed_ = 0;
  float gain_disturbance_ = 0;
  bool primed_ = false;
  int64_t reference_count_ = 0;
  float theta_ = 0;  // relative to reference_count_
  float omega_ = 0;
  float disturbance_ = 0;
};

}  // namespace rollrig::firmware
