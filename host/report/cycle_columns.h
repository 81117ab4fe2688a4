// The per-cycle statistics the report shows, once: the cycle table's columns and the trend
// plots both walk this list, and the per-cycle limits are matched to it by statistic.
#pragma once

#include <vector>

#include "rollrig/v1/profile.pb.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::report {

struct CycleColumn {
  const char* name;   // as CSV and metrics name it: "peak_torque_nm"
  const char* title;  // for people: "peak torque (N·m)"
  double (*get)(const rollrig::v1::CycleStats&);
  int digits;
  // The limit statistic this column is checked by, if any.
  rollrig::v1::CycleStatistic statistic;
  const char* plot;  // the trend plot it is drawn in ("torque", "force", ...)
  bool higher_is_worse;
};

// Every statistic column (cycle number and times excluded), in table order.
const std::vector<CycleColumn>& CycleColumns();

}  // namespace rollrig::report
