#include "host/check/run_metrics.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"

namespace rollrig::check {
namespace {

namespace v1 = rollrig::v1;

void AddCycleMetrics(const v1::CycleStats& c, const std::string& prefix,
                     std::map<std::string, double>* m) {
  (*m)[prefix + "samples"] = static_cast<double>(c.samples());
  (*m)[prefix + "peak_torque_nm"] = c.peak_torque_nm();
  (*m)[prefix + "mean_torque_nm"] = c.mean_torque_nm();
  (*m)[prefix + "rms_torque_nm"] = c.rms_torque_nm();
  (*m)[prefix + "mean_force_n"] = c.mean_force_n();
  (*m)[prefix + "peak_force_n"] = c.peak_force_n();
  (*m)[prefix + "speed_rms_error_rpm"] = c.speed_rms_error_rpm();
  (*m)[prefix + "max_temperature_c"] = c.max_temperature_c();
}

}  // namespace

std::map<std::string, double> RunMetrics(const ReplayedRun& run) {
  std::map<std::string, double> m;
  m["cycles"] = static_cast<double>(run.cycles.size());
  m["samples"] = static_cast<double>(run.samples);
  m["samples_lost"] = static_cast<double>(run.samples_lost);
  m["gaps"] = static_cast<double>(run.gaps);
  m["violations"] = static_cast<double>(run.violations);
  m["run_time_s"] = run.run_time_s;

  std::vector<const v1::CycleStats*> all;
  for (const v1::CycleStats& c : run.cycles) all.push_back(&c);
  if (run.partial_cycle) all.push_back(&*run.partial_cycle);
  double n = 0, torque_sum = 0, torque_sq = 0, force_sum = 0, speed_sq = 0;
  double peak_torque = 0, peak_force = 0, max_temp = 0;
  bool any = false;
  for (const v1::CycleStats* c : all) {
    if (c->samples() == 0) continue;
    const double w = static_cast<double>(c->samples());
    n += w;
    torque_sum += w * c->mean_torque_nm();
    torque_sq += w * c->rms_torque_nm() * c->rms_torque_nm();
    force_sum += w * c->mean_force_n();
    speed_sq += w * c->speed_rms_error_rpm() * c->speed_rms_error_rpm();
    peak_torque = any ? std::max(peak_torque, c->peak_torque_nm()) : c->peak_torque_nm();
    peak_force = any ? std::max(peak_force, c->peak_force_n()) : c->peak_force_n();
    max_temp = any ? std::max(max_temp, c->max_temperature_c()) : c->max_temperature_c();
    any = true;
  }
  if (any) {
    m["peak_torque_nm"] = peak_torque;
    m["mean_torque_nm"] = torque_sum / n;
    m["rms_torque_nm"] = std::sqrt(torque_sq / n);
    m["mean_force_n"] = force_sum / n;
    m["peak_force_n"] = peak_force;
    m["speed_rms_error_rpm"] = std::sqrt(speed_sq / n);
    m["max_temperature_c"] = max_temp;
  }
  for (const v1::CycleStats& c : run.cycles) {
    AddCycleMetrics(c, absl::StrCat("cycle ", c.cycle(), " "), &m);
  }
  return m;
}

}  // namespace rollrig::check
