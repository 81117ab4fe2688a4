// Shaft speed from encoder counts over a short window (count difference / window time).
// At low speed a one-tick difference is too coarse (at 60 rpm roller one count per ms is
// 0.73 rpm); a 10 ms window gives 0.07 rpm resolution at 5 ms of lag. It is a direct
// measurement (no model), used by the fault detectors.
//
// Promises: fixed storage, no heap; exact integer differences whatever the count.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rollrig::firmware {

class WindowSpeed {
 public:
  static constexpr size_t kMaxWindowTicks = 128;

  // window_ticks is clamped to [1, kMaxWindowTicks].
  void Configure(size_t window_ticks, float tick_s, float rad_per_count) {
    window_ticks_ =
        window_ticks < 1 ? 1 : (window_ticks > kMaxWindowTicks ? kMaxWindowTicks : window_ticks);
    tick_s_ = tick_s;
    rad_per_count_ = rad_per_count;
    primed_ = false;
  }

  // Feeds the count sampled this tick; returns the speed in rad/s.
  float Step(int64_t count) {
    if (!primed_) {
      for (auto& c : counts_) c = count;
      primed_ = true;
    }
    next_ = (next_ + 1) % (kMaxWindowTicks + 1);
    counts_[next_] = count;
    const size_t oldest = (next_ + kMaxWindowTicks + 1 - window_ticks_) % (kMaxWindowTicks + 1);
    const int64_t delta = count - counts_[oldest];
    speed_ =
        static_cast<float>(delta) * rad_per_count_ / (static_cast<float>(window_ticks_) * tick_s_);
    return speed_;
  }
  float speed() const { return speed_; }

 private:
  int64_t counts_[kMaxWindowTicks + 1] = {};
  size_t next_ = 0;
  size_t window_ticks_ = 10;
  float tick_s_ = 1e-3f;
  float rad_per_count_ = 0;
  float speed_ = 0;
  bool primed_ = false;
};

}  // namespace rollrig::firmware
