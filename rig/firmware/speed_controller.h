// The roller's speed loop at the motor shaft: back-EMF feedforward plus a PI on the
// speed error, V = Ke·w_ref + Kp·e + Ki·∫e. A 1 kHz tick cannot run a current loop
// against the winding's 0.4 ms time constant, so the current limit is held by clamping
// the voltage around the back-EMF of the estimated speed:
//   Ke·w - R·Ilim <= V <= Ke·w + R·Ilim   (and |V| <= supply),
// which bounds the steady current (V - Ke·w)/R to ±Ilim. The positive side uses the low
// speed bound and the negative side the high one, so an estimate that is off costs torque
// rather than current. The integrator stops growing
// while the output is clamped in the direction of the error (anti-windup).
//
// Promises: float arithmetic, no heap, deterministic.
#pragma once

namespace rollrig::firmware {

struct SpeedControllerGains {
  float kp = 0;  // V per rad/s
  float ki = 0;  // V per rad
};

struct SpeedControllerLimits {
  float ke = 0.05f;         // V·s/rad
  float resistance = 1.2f;  // ohm
  float current_limit = 3.0f;
  float supply_v = 24.0f;
};

class SpeedController {
 public:
  // Returns the bridge voltage for this tick. Speeds in rad/s at the motor shaft: w_est
  // is the loop's feedback; w_low <= w_est <= w_high bound the shaft speed for the clamp.
  float Step(float w_ref, float w_est, float w_low, float w_high, const SpeedControllerGains& gains,
             const SpeedControllerLimits& limits, float dt);
  void Reset() { integral_ = 0; }
  float integral() const { return integral_; }

 private:
  float integral_ = 0;
};

}  // namespace rollrig::firmware
