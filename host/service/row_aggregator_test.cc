#include "host/service/row_aggregator.h"

#include <gtest/gtest.h>

namespace rollrig::host {
namespace {

using Rows = google::protobuf::RepeatedPtrField<rollrig::v1::TelemetryRow>;

Sample MakeSample(uint64_t seq, uint64_t time_us, float rpm) {
  Sample s;
  s.seq = seq;
  s.time_us = time_us;
  s.roller_rpm = rpm;
  s.torque_nm = rpm / 100;
  return s;
}

TEST(RowAggregatorTest, RateZeroGivesOneRowPerSample) {
  RowAggregator agg(0);
  Rows rows;
  for (uint64_t i = 0; i < 5; ++i) agg.Add(MakeSample(i, i * 1000, static_cast<float>(i)), &rows);
  ASSERT_EQ(rows.size(), 5);
  EXPECT_DOUBLE_EQ(rows[3].roller_rpm(), 3.0);
  EXPECT_DOUBLE_EQ(rows[3].t_s(), 0.003);
  EXPECT_EQ(rows[3].samples(), 1u);
}

TEST(RowAggregatorTest, RowsAreMeansOverAlignedIntervals) {
  RowAggregator agg(100);  // 10 ms rows at a 1 kHz device
  Rows rows;
  for (uint64_t i = 0; i < 35; ++i) agg.Add(MakeSample(i, i * 1000, static_cast<float>(i)), &rows);
  ASSERT_EQ(rows.size(), 3);  // [0,10) [10,20) [20,30); [30,35) still open
  EXPECT_DOUBLE_EQ(rows[0].roller_rpm(), 4.5);
  EXPECT_EQ(rows[0].samples(), 10u);
  EXPECT_EQ(rows[0].seq(), 9u);
  EXPECT_DOUBLE_EQ(rows[1].roller_rpm(), 14.5);
  EXPECT_NEAR(rows[1].torque_nm(), 0.145, 1e-6);
  agg.Flush(&rows);
  ASSERT_EQ(rows.size(), 4);
  EXPECT_EQ(rows[3].samples(), 5u);
  EXPECT_DOUBLE_EQ(rows[3].roller_rpm(), 32.0);
}

TEST(RowAggregatorTest, GapsAreCountedInTheRowAfterThem) {
  RowAggregator agg(100);
  Rows rows;
  for (uint64_t i = 0; i < 10; ++i) agg.Add(MakeSample(i, i * 1000, 1), &rows);
  // Samples 10..14 lost; 15.. arrive.
  for (uint64_t i = 15; i < 31; ++i) agg.Add(MakeSample(i, i * 1000, 1), &rows);
  ASSERT_EQ(rows.size(), 3);  // [0,10) [10,20) [20,30)
  EXPECT_EQ(rows[2].drops(), 0u);
  EXPECT_EQ(rows[0].drops(), 0u);
  EXPECT_EQ(rows[1].drops(), 5u);
  EXPECT_EQ(rows[1].samples(), 5u);
}

TEST(RowAggregatorTest, RawRowsCarryGapSize) {
  RowAggregator agg(0);
  Rows rows;
  agg.Add(MakeSample(1, 1000, 1), &rows);
  agg.Add(MakeSample(4, 4000, 1), &rows);
  ASSERT_EQ(rows.size(), 2);
  EXPECT_EQ(rows[1].drops(), 2u);
}

}  // namespace
}  // namespace rollrig::host
