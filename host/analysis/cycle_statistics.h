// Per-cycle statistics, accumulated one sample at a time in constant memory.
//
// Promises: no allocation in Add; deterministic; not thread-safe.
#pragma once

#include <cstdint>

#include "host/analysis/compensated_sum.h"
#include "host/recording/sample.h"
#include "rollrig/v1/profile.pb.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::host {

class CycleAccumulator {
 public:
  // Forgets everything and starts cycle `cycle`.
  void Start(uint32_t cycle);
  // One sample of the cycle, at run time t_s.
  void Add(const Sample& s, double t_s);
  // The program was paused for `s` seconds within the cycle: no statistics, and out of
  // its length.
  void AddPausedTime(double s) { paused_s_ += s; }
  uint64_t samples() const { return samples_; }
  // The statistics so far: peak, mean and RMS of |torque|, mean and peak force, RMS of
  // (roller_rpm_cmd - roller_rpm), max temperature, peak and RMS of |current|, sample
  // count, first/last run time, time paused and the length without it. All zero when no
  // sample was added.
  rollrig::v1::CycleStats Stats() const;

 private:
  uint32_t cycle_ = 0;
  uint64_t samples_ = 0;
  double start_s_ = 0;
  double end_s_ = 0;
  double paused_s_ = 0;
  double peak_torque_ = 0;
  double peak_force_ = 0;
  double max_temperature_ = 0;
  double peak_current_ = 0;
  CompensatedSum abs_torque_;
  CompensatedSum current_squared_;
  CompensatedSum torque_squared_;
  CompensatedSum force_;
  CompensatedSum speed_error_squared_;
};

// The value of one statistic; NaN for CYCLE_STATISTIC_UNSPECIFIED or an unknown value.
double CycleStatisticValue(rollrig::v1::CycleStatistic statistic,
                           const rollrig::v1::CycleStats& stats);

}  // namespace rollrig::host
