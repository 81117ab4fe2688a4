// A running sum that stays exact over millions of terms (Neumaier's variant of Kahan
// summation): a cycle of a 72-hour run may hold millions of samples, and a plain double
// sum would lose the small terms. No allocation; deterministic without -ffast-math.
#pragma once

#include <cmath>

namespace rollrig::host {

class CompensatedSum {
 public:
  void Add(double x) {
    const double t = sum_ + x;
    // The low-order bits lost in t, taken from whichever operand is smaller.
    if (std::fabs(sum_) >= std::fabs(x)) {
      compensation_ += (sum_ - t) + x;
    } else {
      compensation_ += (x - t) + sum_;
    }
    sum_ = t;
  }
  double value() const { return sum_ + compensation_; }
  void Reset() { sum_ = compensation_ = 0; }

 private:
  double sum_ = 0;
  double compensation_ = 0;
};

}  // namespace rollrig::host
