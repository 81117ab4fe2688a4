// The trends model: one series per CycleStats statistic in cycle order, per-cycle limit
// lines from the profile, cycles found by number.
#include "gui/dash/trends_model.h"

#include <gtest/gtest.h>

#include <set>

namespace rollrig::gui {
namespace {

std::vector<rollrig::v1::CycleStats> Cycles() {
  std::vector<rollrig::v1::CycleStats> c(3);
  for (int i = 0; i < 3; ++i) {
    c[i].set_cycle(3 - i);  // out of order
    c[i].set_start_s((2 - i) * 6.0);
    c[i].set_end_s((3 - i) * 6.0);
    c[i].set_peak_torque_nm(1 + (3 - i) * 0.1);
    c[i].set_max_temperature_c(30 + (3 - i));
  }
  return c;
}

TEST(TrendsModel, EveryStatisticAgainstCycleNumber) {
  const TrendsModel m = BuildTrends(Cycles(), "");
  ASSERT_EQ(m.series.size(), CycleStatDefs().size());
  std::set<std::string> names;
  for (const TrendSeries& s : m.series) {
    names.insert(s.name);
    EXPECT_EQ(s.cycle, (std::vector<double>{1, 2, 3})) << s.name;
    EXPECT_FALSE(s.limit_min || s.limit_max);
  }
  for (const char* n : {"peak_torque_nm", "mean_torque_nm", "rms_torque_nm", "mean_force_n",
                        "peak_force_n", "speed_rms_error_rpm", "max_temperature_c"}) {
    EXPECT_TRUE(names.count(n)) << n;
  }
  EXPECT_DOUBLE_EQ(m.series[0].value[2], 1.3);
}

TEST(TrendsModel, PerCycleLimitsOfTheProfileBecomeLines) {
  const std::string profile =
      "name: \"p\"\n"
      "limits { name: \"stall\" signal: SIGNAL_TORQUE_NM max: 2.5 }\n"
      "limits { name: \"cycle peak torque\" cycle_statistic: CYCLE_STATISTIC_PEAK_TORQUE_NM "
      "max: 2.0 }\n"
      "limits { name: \"warm\" cycle_statistic: CYCLE_STATISTIC_MAX_TEMPERATURE_C min: 20 max: 80 "
      "}\n";
  const TrendsModel m = BuildTrends(Cycles(), profile);
  for (const TrendSeries& s : m.series) {
    if (s.name == "peak_torque_nm") {
      EXPECT_EQ(s.limit_max, 2.0);
      EXPECT_FALSE(s.limit_min);
      EXPECT_EQ(s.limit_name, "cycle peak torque");
    } else if (s.name == "max_temperature_c") {
      EXPECT_EQ(s.limit_min, 20);
      EXPECT_EQ(s.limit_max, 80);
    } else {
      EXPECT_FALSE(s.limit_min || s.limit_max) << s.name;  // the live torque limit is no line
    }
  }
  EXPECT_TRUE(BuildTrends(Cycles(), "not a profile {").series[0].limit_max == std::nullopt);
}

TEST(TrendsModel, ACycleIsFoundByNumberForZooming) {
  const TrendsModel m = BuildTrends(Cycles(), "");
  const rollrig::v1::CycleStats* c = m.FindCycle(2);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->start_s(), 6);
  EXPECT_EQ(c->end_s(), 12);
  EXPECT_EQ(m.FindCycle(7), nullptr);
}

}  // namespace
}  // namespace rollrig::gui
