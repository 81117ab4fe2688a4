#include "host/analysis/run_time_account.h"

#include <algorithm>
#include <cmath>

namespace rollrig::host {

namespace {

uint64_t Micros(double s) { return s > 0 ? static_cast<uint64_t>(std::llround(s * 1e6)) : 0; }

}  // namespace

uint64_t RunTimeAccount::Add(uint64_t t_us, bool paused) {
  const uint64_t interval = have_last_ && t_us > last_us_ ? t_us - last_us_ : 0;
  have_last_ = true;
  last_us_ = t_us;
  if (broken_) {
    broken_ = false;
    lost_us_ += interval;
    return interval;
  }
  (paused ? paused_us_ : active_us_) += interval;
  return interval;
}

void RunTimeAccount::Lose(uint64_t us) {
  us = std::min(us, active_us_);
  active_us_ -= us;
  lost_us_ += us;
}

void RunTimeAccount::Seed(double active_s, double paused_s, double lost_s) {
  active_us_ = Micros(active_s);
  paused_us_ = Micros(paused_s);
  lost_us_ = Micros(lost_s);
}

}  // namespace rollrig::host
