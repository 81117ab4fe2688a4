#include "gui/dash/speed_error_series.h"

#include <gtest/gtest.h>

#include <vector>

namespace rollrig::gui {
namespace {

std::vector<TelemetryPoint> Points(int from, int to, uint64_t dropped_before_first = 0) {
  std::vector<TelemetryPoint> points;
  for (int i = from; i < to; ++i) {
    TelemetryPoint p;
    p.t = i * 1e-3;
    p.v[ChannelNamed("roller_rpm_cmd")] = 100.0f;
    p.v[ChannelNamed("roller_rpm")] = 100.0f - static_cast<float>(i % 10);
    if (i == from) p.dropped_before = dropped_before_first;
    points.push_back(p);
  }
  return points;
}

TEST(SpeedErrorSeriesTest, IsCommandMinusActualAndCatchesUpIncrementally) {
  SeriesSet set;
  SpeedErrorSeries error;
  set.Append(Points(0, 5000));
  {
    std::lock_guard<std::mutex> lock(set.mutex());
    error.CatchUp(set);
    ASSERT_EQ(error.series().size(), 5000u);
    for (uint64_t i = 0; i < 5000; ++i) {
      ASSERT_EQ(error.series().bucket(0, i).min, static_cast<float>(i % 10)) << i;
    }
  }
  set.Append(Points(5100, 6000, 100));  // 100 samples lost before 5.1 s
  std::lock_guard<std::mutex> lock(set.mutex());
  error.CatchUp(set);
  EXPECT_EQ(error.series().size(), 5900u);
  EXPECT_TRUE(error.series().bucket(0, 5000).gap) << "the line breaks where the channels do";
  SeriesView view;
  error.series().Query(0, 6, 100, &view);
  ASSERT_FALSE(view.raw);
  for (size_t i = 0; i + 1 < view.mean.size(); ++i) EXPECT_NEAR(view.mean[i], 4.5, 0.3);
  error.CatchUp(set);
  EXPECT_EQ(error.series().size(), 5900u) << "nothing appended twice";
}

TEST(SpeedErrorSeriesTest, SamplesNoLongerHeldRawShowAsAGapAndANewSetStartsOver) {
  LodOptions small;
  small.raw_budget_samples = 10'000;
  SeriesSet set(small);
  set.Append(Points(0, 50'000));
  SpeedErrorSeries error;
  std::lock_guard<std::mutex> lock(set.mutex());
  error.CatchUp(set);
  const uint64_t derived = error.series().size();
  EXPECT_GE(derived, 10'000u);
  EXPECT_LT(derived, 50'000u);
  EXPECT_EQ(error.series().dropped_total(), 50'000u - derived);

  SeriesSet other;
  other.Append(Points(0, 10));
  std::lock_guard<std::mutex> other_lock(other.mutex());
  error.CatchUp(other);
  EXPECT_EQ(error.series().size(), 10u);
}

}  // namespace
}  // namespace rollrig::gui
