#include "host/analysis/cycle_statistics.h"

#include <cmath>
#include <limits>

namespace rollrig::host {

void CycleAccumulator::Start(uint32_t cycle) {
  *this = CycleAccumulator();
  cycle_ = cycle;
}

void CycleAccumulator::Add(const Sample& s, double t_s) {
  const double torque = std::fabs(static_cast<double>(s.torque_nm));
  const double force = s.force_n;
  const double temperature = s.temp_c;
  const double speed_error = static_cast<double>(s.roller_rpm_cmd) - s.roller_rpm;
  const double current = std::fabs(static_cast<double>(s.current_a));
  if (samples_ == 0) {
    start_s_ = t_s;
    peak_torque_ = torque;
    peak_force_ = force;
    max_temperature_ = temperature;
    peak_current_ = current;
  } else {
    peak_torque_ = std::fmax(peak_torque_, torque);
    peak_force_ = std::fmax(peak_force_, force);
    max_temperature_ = std::fmax(max_temperature_, temperature);
    peak_current_ = std::fmax(peak_current_, current);
  }
  end_s_ = t_s;
  ++samples_;
  abs_torque_.Add(torque);
  torque_squared_.Add(torque * torque);
  force_.Add(force);
  speed_error_squared_.Add(speed_error * speed_error);
  current_squared_.Add(current * current);
}

rollrig::v1::CycleStats CycleAccumulator::Stats() const {
  rollrig::v1::CycleStats stats;
  stats.set_cycle(cycle_);
  stats.set_samples(samples_);
  if (samples_ == 0) return stats;
  const double n = static_cast<double>(samples_);
  stats.set_start_s(start_s_);
  stats.set_end_s(end_s_);
  stats.set_peak_torque_nm(peak_torque_);
  stats.set_mean_torque_nm(abs_torque_.value() / n);
  stats.set_rms_torque_nm(std::sqrt(torque_squared_.value() / n));
  stats.set_mean_force_n(force_.value() / n);
  stats.set_peak_force_n(peak_force_);
  stats.set_speed_rms_error_rpm(std::sqrt(speed_error_squared_.value() / n));
  stats.set_max_temperature_c(max_temperature_);
  stats.set_peak_current_a(peak_current_);
  stats.set_rms_current_a(std::sqrt(current_squared_.value() / n));
  stats.set_paused_s(paused_s_);
  stats.set_length_s(std::fmax(0.0, end_s_ - start_s_ - paused_s_));
  return stats;
}

double CycleStatisticValue(rollrig::v1::CycleStatistic statistic,
                           const rollrig::v1::CycleStats& stats) {
  switch (statistic) {
    case rollrig::v1::CYCLE_STATISTIC_PEAK_TORQUE_NM:
      return stats.peak_torque_nm();
    case rollrig::v1::CYCLE_STATISTIC_MEAN_TORQUE_NM:
      return stats.mean_torque_nm();
    case rollrig::v1::CYCLE_STATISTIC_RMS_TORQUE_NM:
      return stats.rms_torque_nm();
    case rollrig::v1::CYCLE_STATISTIC_MEAN_FORCE_N:
      return stats.mean_force_n();
    case rollrig::v1::CYCLE_STATISTIC_PEAK_FORCE_N:
      return stats.peak_force_n();
    case rollrig::v1::CYCLE_STATISTIC_SPEED_RMS_ERROR_RPM:
      return stats.speed_rms_error_rpm();
    case rollrig::v1::CYCLE_STATISTIC_MAX_TEMPERATURE_C:
      return stats.max_temperature_c();
    default:
      return std::numeric_limits<double>::quiet_NaN();
  }
}

}  // namespace rollrig::host
