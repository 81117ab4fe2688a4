// First-order low-pass filter, y += (x - y)·dt/(tau + dt) (stable for any dt).
#pragma once

namespace rollrig::firmware {

class LowPass {
 public:
  float Step(float x, float tau_s, float dt) {
    value_ += (x - value_) * (dt / (tau_s + dt));
    return value_;
  }
  void Reset(float value) { value_ = value; }
  float value() const { return value_; }

 private:
  float value_ = 0;
};

}  // namespace rollrig::firmware
