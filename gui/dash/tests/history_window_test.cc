// HistoryWindow and QueryJoined: envelopes merged per pixel column, raw samples kept as
// samples, gaps breaking the line, live rows joined after the history's end.
#include "gui/dash/history_window.h"

#include <gtest/gtest.h>

namespace rollrig::gui {
namespace {

const size_t kTorque = ChannelNamed("torque_nm");

rollrig::v1::RunHistory RawHistory(int n, double dt) {
  rollrig::v1::RunHistory h;
  h.set_run_id("r");
  h.set_raw(true);
  h.set_t1_s((n - 1) * dt);
  auto* s = h.add_series();
  s->set_channel("torque_nm");
  for (int i = 0; i < n; ++i) {
    h.add_t_s(i * dt);
    s->add_mean(static_cast<float>(i));
  }
  return h;
}

TEST(HistoryWindow, RawSamplesHoldTheirValueAsMinMaxAndMean) {
  auto w = WindowFromHistory(RawHistory(10, 1));
  ASSERT_TRUE(w.ok()) << w.status();
  const auto& d = w->channels[kTorque];
  EXPECT_TRUE(d.present);
  EXPECT_FALSE(w->channels[ChannelNamed("force_n")].present);  // absent, never zero
  EXPECT_EQ(d.min, d.mean);
  EXPECT_EQ(d.max, d.mean);
}

TEST(HistoryWindow, MismatchedSeriesAreRefusedNamingTheChannel) {
  rollrig::v1::RunHistory h = RawHistory(10, 1);
  h.mutable_series(0)->add_mean(1);
  auto w = WindowFromHistory(h);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("torque_nm"), std::string::npos);
}

TEST(HistoryWindow, FewRawSamplesAreDrawnAsSamplesWithNeighbours) {
  auto w = WindowFromHistory(RawHistory(100, 1));
  SeriesView v;
  QueryJoined(&*w, kTorque, 1e9, {}, 10, 20, 100, &v);
  EXPECT_TRUE(v.raw);
  ASSERT_EQ(v.t.size(), 13u);  // 10..20 and one neighbour each side
  EXPECT_EQ(v.t.front(), 9);
  EXPECT_EQ(v.t.back(), 21);
}

TEST(HistoryWindow, DenseDataIsMergedPerColumnWithMinMaxAndMean) {
  auto w = WindowFromHistory(RawHistory(1000, 0.01));  // values 0..999 over 0..9.99 s
  SeriesView v;
  QueryJoined(&*w, kTorque, 1e9, {}, 0, 10, 10, &v);
  EXPECT_FALSE(v.raw);
  ASSERT_EQ(v.mean.size(), v.t.size());
  ASSERT_GE(v.t.size(), 10u);
  // Column 3 holds samples 300..399.
  size_t k = 0;
  while (k < v.t.size() && v.t[k] < 3 - 1e-9) ++k;
  EXPECT_FLOAT_EQ(v.min[k], 300);
  EXPECT_FLOAT_EQ(v.max[k], 399);
  EXPECT_NEAR(v.mean[k], 349.5, 0.01);
}

TEST(HistoryWindow, AGapBreaksTheLineAndIsCounted) {
  rollrig::v1::RunHistory h = RawHistory(20, 1);
  auto* g = h.add_gaps();
  g->set_t_s(10);
  g->set_samples(7);
  auto w = WindowFromHistory(h);
  SeriesView v;
  QueryJoined(&*w, kTorque, 1e9, {}, 0, 19, 100, &v);
  ASSERT_EQ(v.t.size(), 20u);
  for (size_t i = 0; i < v.t.size(); ++i) EXPECT_EQ(v.gap_before[i], v.t[i] == 10 ? 1 : 0) << i;
  EXPECT_EQ(v.dropped_in_view, 7u);
  ASSERT_EQ(v.gaps.size(), 1u);
  EXPECT_EQ(v.gaps[0].t, 10);
}

TEST(HistoryWindow, LiveRowsJoinAfterTheHistorysEnd) {
  auto w = WindowFromHistory(RawHistory(10, 1));  // run time 0..9, values 0..9
  LodSeries live;
  // Live rows on their own axis: 0 there is run time 5; they overlap the history up to 9.
  for (int i = 0; i < 10; ++i) live.Append(i, 100.0f + static_cast<float>(i));
  SeriesView v;
  QueryJoined(&*w, kTorque, 9, LiveJoin{&live, 5, 9}, 0, 20, 100, &v);
  ASSERT_TRUE(v.raw);
  ASSERT_EQ(v.t.size(), 15u);  // 0..9 from history, 10..14 live
  EXPECT_EQ(v.t[9], 9);
  EXPECT_FLOAT_EQ(v.min[9], 9);
  EXPECT_EQ(v.t[10], 10);
  EXPECT_FLOAT_EQ(v.min[10], 105);
  for (size_t i = 1; i < v.t.size(); ++i) EXPECT_GT(v.t[i], v.t[i - 1]);
}

TEST(HistoryWindow, LiveRowsAloneWhenTheWindowIsPastTheHistory) {
  LodSeries live;
  for (int i = 0; i < 10; ++i) live.Append(i, 1.0f);
  SeriesView v;
  QueryJoined(nullptr, kTorque, 0, LiveJoin{&live, 100, 0}, 102, 105, 50, &v);
  ASSERT_FALSE(v.t.empty());
  EXPECT_GE(v.t.front(), 101);  // with the neighbour before the window
  EXPECT_LE(v.t.back(), 106);
}

}  // namespace
}  // namespace rollrig::gui
