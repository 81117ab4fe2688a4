// The trends across cycles: every per-cycle statistic of CycleStats against cycle number,
// with the per-cycle limits of the run's profile (Limit.cycle_statistic) as lines. The
// statistics are one table (name, unit, getter, the profile's CycleStatistic): a field
// added to CycleStats is one row here.
//
// Pure values and functions; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rollrig/v1/profile.pb.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::gui {

struct CycleStatDef {
  std::string_view name;  // as CycleStats names the field
  std::string_view unit;
  double (*get)(const rollrig::v1::CycleStats&);
  rollrig::v1::CycleStatistic statistic;  // what a per-cycle limit names (0: none)
};

const std::vector<CycleStatDef>& CycleStatDefs();

struct TrendSeries {
  std::string name, unit;
  std::vector<double> cycle, value;  // cycle number, the statistic's value
  std::optional<double> limit_min, limit_max;
  std::string limit_name;
};

struct TrendsModel {
  std::vector<TrendSeries> series;  // CycleStatDefs() order
  // Run time of each cycle by number, for zooming the time plots to one.
  std::vector<rollrig::v1::CycleStats> cycles;
  // The cycle at `cycle` (nullptr when the run has none by that number).
  const rollrig::v1::CycleStats* FindCycle(double cycle) const;
};

// The model of `cycles` (any order; sorted by cycle number) with the per-cycle limits of
// `profile_text` (a textproto; no limit lines when it does not parse).
TrendsModel BuildTrends(const std::vector<rollrig::v1::CycleStats>& cycles,
                        const std::string& profile_text);

}  // namespace rollrig::gui
