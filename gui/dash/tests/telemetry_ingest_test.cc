#include "gui/dash/telemetry_ingest.h"

#include <gtest/gtest.h>

#include "gui/dash/series_set.h"

namespace rollrig::gui {
namespace {

rollrig::v1::TelemetryRow Row(double t, uint64_t seq, double torque, uint64_t drops = 0) {
  rollrig::v1::TelemetryRow r;
  r.set_t_s(t);
  r.set_seq(seq);
  r.set_torque_nm(torque);
  r.set_roller_rpm(10 * torque);
  r.set_roller_rpm_cmd(60);
  r.set_drops(drops);
  return r;
}

TEST(TelemetryIngest, RowsStartAtTimeZeroWithTheirValues) {
  TelemetryIngestor in;
  std::vector<TelemetryPoint> pts;
  in.AddRow(Row(100.0, 5, 0.5), &pts);
  in.AddRow(Row(100.001, 6, 0.7), &pts);
  ASSERT_EQ(pts.size(), 2u);
  EXPECT_DOUBLE_EQ(pts[0].t, 0.0);
  EXPECT_NEAR(pts[1].t, 0.001, 1e-9);
  EXPECT_FLOAT_EQ(pts[1].v[ChannelNamed("torque_nm")], 0.7f);
  EXPECT_FLOAT_EQ(pts[1].v[ChannelNamed("roller_rpm")], 7.0f);
  EXPECT_FLOAT_EQ(pts[1].v[ChannelNamed("roller_rpm_cmd")], 60.0f);
  EXPECT_DOUBLE_EQ(in.time_zero_s(), 100.0);
}

TEST(TelemetryIngest, RowDropsBecomeGapsButNotBeforeTheFirstRow) {
  TelemetryIngestor in;
  std::vector<TelemetryPoint> pts;
  in.AddRow(Row(1.0, 10, 0, /*drops=*/7), &pts);  // lost before we connected: not ours
  in.AddRow(Row(1.001, 11, 0), &pts);
  in.AddRow(Row(1.050, 60, 0, /*drops=*/48), &pts);
  ASSERT_EQ(pts.size(), 3u);
  EXPECT_EQ(pts[0].dropped_before, 0u);
  EXPECT_EQ(pts[1].dropped_before, 0u);
  EXPECT_EQ(pts[2].dropped_before, 48u);
  EXPECT_EQ(in.dropped_total(), 48u);
}

TEST(TelemetryIngest, RecordCounterJumpsAreGaps) {
  TelemetryIngestor in;
  std::vector<TelemetryPoint> pts;
  rollrig::v1::TelemetryRecord r;
  for (uint64_t seq : {100u, 101u, 102u, 150u, 151u}) {
    r.set_seq(seq);
    r.set_device_time_us(seq * 1000);
    r.set_force_n(static_cast<double>(seq));
    in.AddRecord(r, &pts);
  }
  ASSERT_EQ(pts.size(), 5u);
  EXPECT_DOUBLE_EQ(pts[0].t, 0.0);
  EXPECT_NEAR(pts[3].t, 0.050, 1e-9);
  EXPECT_EQ(pts[3].dropped_before, 47u);
  EXPECT_EQ(pts[4].dropped_before, 0u);
  EXPECT_FLOAT_EQ(pts[4].v[ChannelNamed("force_n")], 151.0f);
}

TEST(TelemetryIngest, ADeviceResetNeverRunsTimeBackwards) {
  TelemetryIngestor in;
  std::vector<TelemetryPoint> pts;
  in.AddRow(Row(50.0, 1000, 0), &pts);
  in.AddRow(Row(51.0, 2000, 0), &pts);
  in.AddRow(Row(0.2, 3, 0), &pts);  // rebooted
  in.AddRow(Row(0.3, 4, 0), &pts);
  ASSERT_EQ(pts.size(), 4u);
  EXPECT_GE(pts[2].t, pts[1].t);
  EXPECT_GT(pts[3].t, pts[2].t);
  EXPECT_GE(pts[2].dropped_before, 1u);
}

TEST(SeriesSet, GapsBreakEveryChannelAndCountDrops) {
  SeriesSet set;
  TelemetryIngestor in;
  std::vector<TelemetryPoint> pts;
  for (int i = 0; i < 1000; ++i) in.AddRow(Row(i * 0.001, i, i % 10), &pts);
  in.AddRow(Row(1.5, 1500, 1, /*drops=*/499), &pts);
  for (int i = 1501; i < 2000; ++i) in.AddRow(Row(i * 0.001, i, 0), &pts);
  set.Append(pts);
  std::lock_guard<std::mutex> lock(set.mutex());
  EXPECT_EQ(set.points(), 1500u);
  EXPECT_EQ(set.dropped_total(), 499u);
  SeriesView view;
  set.series(ChannelNamed("torque_nm")).Query(0.9, 1.6, 2000, &view);
  ASSERT_TRUE(view.raw);
  EXPECT_EQ(view.dropped_in_view, 499u);
  size_t breaks = 0;
  for (uint8_t g : view.gap_before) breaks += g;
  EXPECT_EQ(breaks, 1u);
  set.series(ChannelNamed("force_n")).Query(0.9, 1.6, 2000, &view);
  EXPECT_EQ(view.dropped_in_view, 499u);
}

TEST(TelemetryIngest, AChannelTheSourceLacksIsNotDrawn) {
  // Rows from a rig before head_current_a: the field is unset, so the channel is absent
  // on every point and its series stays empty (nothing drawn), unlike a present zero.
  TelemetryIngestor in;
  std::vector<TelemetryPoint> pts;
  in.AddRow(Row(1.0, 1, 0.5), &pts);
  rollrig::v1::TelemetryRow with = Row(1.001, 2, 0.5);
  with.set_head_current_a(0.0);  // measured, and zero
  in.AddRow(with, &pts);
  const Channel head = ChannelNamed("head_current_a");
  ASSERT_EQ(pts.size(), 2u);
  EXPECT_NE(pts[0].absent & ChannelBit(head), 0u);
  EXPECT_EQ(pts[1].absent & ChannelBit(head), 0u);
  SeriesSet absent_only, present;
  absent_only.Append({pts[0]});
  present.Append(pts);
  std::lock_guard<std::mutex> a(absent_only.mutex()), b(present.mutex());
  EXPECT_EQ(absent_only.series(head).size(), 0u);
  EXPECT_EQ(absent_only.series(ChannelNamed("torque_nm")).size(), 1u);
  EXPECT_EQ(present.series(head).size(), 1u);
}

}  // namespace
}  // namespace rollrig::gui
