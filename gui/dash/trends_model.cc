#include "gui/dash/trends_model.h"

#include <algorithm>
#include <cmath>

#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

namespace rollrig::gui {
namespace {

using rollrig::v1::CycleStats;

class QuietErrors : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
};

void ApplyLimits(const std::string& profile_text, std::vector<TrendSeries>* series) {
  rollrig::v1::Profile profile;
  google::protobuf::TextFormat::Parser parser;
  parser.AllowPartialMessage(true);
  QuietErrors quiet;
  parser.RecordErrorsTo(&quiet);
  if (profile_text.empty() || !parser.ParseFromString(profile_text, &profile)) return;
  const std::vector<CycleStatDef>& defs = CycleStatDefs();
  for (const rollrig::v1::Limit& l : profile.limits()) {
    if (l.measurement_case() != rollrig::v1::Limit::kCycleStatistic) continue;
    for (size_t i = 0; i < defs.size(); ++i) {
      if (defs[i].statistic != l.cycle_statistic()) continue;
      TrendSeries& s = (*series)[i];
      // Several limits on one statistic: the lines show the tightest.
      if (l.has_min() && (!s.limit_min || l.min() > *s.limit_min)) s.limit_min = l.min();
      if (l.has_max() && (!s.limit_max || l.max() < *s.limit_max)) s.limit_max = l.max();
      if (s.limit_name.empty()) s.limit_name = l.name();
    }
  }
}

}  // namespace

// clang-format off
const std::vector<CycleStatDef>& CycleStatDefs() {
  using namespace rollrig::v1;
  static const std::vector<CycleStatDef> kDefs = {
      {"peak_torque_nm",     "N·m", [](const CycleStats& c) { return c.peak_torque_nm(); },     CYCLE_STATISTIC_PEAK_TORQUE_NM},
      {"mean_torque_nm",     "N·m", [](const CycleStats& c) { return c.mean_torque_nm(); },     CYCLE_STATISTIC_MEAN_TORQUE_NM},
      {"rms_torque_nm",      "N·m", [](const CycleStats& c) { return c.rms_torque_nm(); },      CYCLE_STATISTIC_RMS_TORQUE_NM},
      {"mean_force_n",       "N",   [](const CycleStats& c) { return c.mean_force_n(); },       CYCLE_STATISTIC_MEAN_FORCE_N},
      {"peak_force_n",       "N",   [](const CycleStats& c) { return c.peak_force_n(); },       CYCLE_STATISTIC_PEAK_FORCE_N},
      {"speed_rms_error_rpm", "rpm", [](const CycleStats& c) { return c.speed_rms_error_rpm(); }, CYCLE_STATISTIC_SPEED_RMS_ERROR_RPM},
      {"max_temperature_c",  "°C",  [](const CycleStats& c) { return c.max_temperature_c(); },  CYCLE_STATISTIC_MAX_TEMPERATURE_C},
      {"length_s",           "s",   [](const CycleStats& c) { return c.length_s(); },           CYCLE_STATISTIC_UNSPECIFIED},
  };
  return kDefs;
}
// clang-format on

const CycleStats* TrendsModel::FindCycle(double cycle) const {
  const auto n = static_cast<uint32_t>(std::lround(cycle));
  auto it = std::lower_bound(cycles.begin(), cycles.end(), n,
                             [](const CycleStats& c, uint32_t k) { return c.cycle() < k; });
  return it != cycles.end() && it->cycle() == n ? &*it : nullptr;
}

TrendsModel BuildTrends(const std::vector<CycleStats>& cycles, const std::string& profile_text) {
  TrendsModel m;
  m.cycles = cycles;
  std::sort(m.cycles.begin(), m.cycles.end(),
            [](const CycleStats& a, const CycleStats& b) { return a.cycle() < b.cycle(); });
  for (const CycleStatDef& d : CycleStatDefs()) {
    TrendSeries s;
    s.name = std::string(d.name);
    s.unit = std::string(d.unit);
    for (const CycleStats& c : m.cycles) {
      const double v = d.get(c);
      if (!std::isfinite(v)) continue;
      s.cycle.push_back(c.cycle());
      s.value.push_back(v);
    }
    m.series.push_back(std::move(s));
  }
  ApplyLimits(profile_text, &m.series);
  return m;
}

}  // namespace rollrig::gui
