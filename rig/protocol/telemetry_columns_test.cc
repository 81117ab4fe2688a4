#include "rig/protocol/telemetry_columns.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <vector>

namespace rollrig::protocol {
namespace {

using firmware::TelemetrySample;
using ::testing::HasSubstr;

TelemetrySample RandomSample(std::mt19937* rng, uint64_t seq) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  TelemetrySample s;
  s.seq = seq;
  s.time_us = 1'000'000 + seq * 1000;
  s.roller_rpm_cmd = 120 * u(*rng);
  s.roller_rpm = 130 * u(*rng);
  s.head_deg_cmd = 180 * u(*rng);
  s.head_deg = 180 * u(*rng);
  s.torque_nm = 3 * u(*rng);
  s.force_n = 100 + 100 * u(*rng);
  s.preload_cmd_n = 75 + 75 * u(*rng);
  s.current_a = 3 * u(*rng);
  s.temp_c = 60 + 40 * u(*rng);
  s.voltage_v = 24 * u(*rng);
  s.head_current_a = 0.5f + 0.5f * u(*rng);
  // Segments advance now and then, cycles wrap through the whole uint32 range.
  s.segment = seq % 7 == 0 ? -1 : static_cast<int32_t>(seq % 256);
  s.cycle = seq % 5 == 0 ? 0 : static_cast<uint32_t>(rng->operator()()) | 0x80000000u;
  return s;
}

// Half a unit of the column's fixed-point resolution, plus float rounding.
void ExpectWithinQuantisation(const TelemetrySample& got, const TelemetrySample& want) {
  constexpr float kCentiTolerance = 0.005f + 1e-4f;
  constexpr float kMilliTolerance = 0.0005f + 1e-5f;
  EXPECT_EQ(got.seq, want.seq);
  EXPECT_EQ(got.time_us, want.time_us);
  EXPECT_NEAR(got.roller_rpm_cmd, want.roller_rpm_cmd, kCentiTolerance);
  EXPECT_NEAR(got.roller_rpm, want.roller_rpm, kCentiTolerance);
  EXPECT_NEAR(got.head_deg_cmd, want.head_deg_cmd, kCentiTolerance);
  EXPECT_NEAR(got.head_deg, want.head_deg, kCentiTolerance);
  EXPECT_NEAR(got.torque_nm, want.torque_nm, kMilliTolerance);
  EXPECT_NEAR(got.force_n, want.force_n, kCentiTolerance);
  EXPECT_NEAR(got.preload_cmd_n, want.preload_cmd_n, kCentiTolerance);
  EXPECT_NEAR(got.current_a, want.current_a, kMilliTolerance);
  EXPECT_NEAR(got.temp_c, want.temp_c, kCentiTolerance);
  EXPECT_NEAR(got.voltage_v, want.voltage_v, kMilliTolerance);
  EXPECT_NEAR(got.head_current_a, want.head_current_a, kMilliTolerance);
  EXPECT_EQ(got.absent_channels, want.absent_channels);
  EXPECT_EQ(got.segment, want.segment);  // integers: exact
  EXPECT_EQ(got.cycle, want.cycle);
}

TEST(TelemetryColumnsTest, RoundTripsWithinQuantisation) {
  std::mt19937 rng(3);
  TelemetryBatchPacker packer;
  std::vector<TelemetrySample> sent;
  for (uint64_t seq = 500; seq < 750; ++seq) {
    sent.push_back(RandomSample(&rng, seq));
    ASSERT_TRUE(packer.Add(sent.back()));
  }
  EXPECT_EQ(packer.size(), sent.size());
  rollrig::v1::TelemetryBatch batch;
  packer.Finish(firmware::FirmwareStatus{}, 1000, &batch);
  EXPECT_EQ(packer.size(), 0u);

  // Through the wire format, as the host sees it.
  rollrig::v1::TelemetryBatch parsed;
  ASSERT_TRUE(parsed.ParseFromString(batch.SerializeAsString()));
  std::vector<TelemetrySample> got;
  ASSERT_TRUE(UnpackTelemetryBatch(parsed, &got).ok());
  ASSERT_EQ(got.size(), sent.size());
  for (size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE(i);
    ExpectWithinQuantisation(got[i], sent[i]);
  }
}

TEST(TelemetryColumnsTest, UsesTheDocumentedUnitsRoundedToNearestAndCodesFromZero) {
  TelemetrySample s;
  s.seq = 9;
  s.time_us = 123456;
  s.roller_rpm_cmd = 1.234f;  // 123 centi-rpm
  s.roller_rpm = -1.236f;     // -124 centi-rpm
  s.torque_nm = 0.2506f;      // 251 milli-N·m
  s.force_n = 50.0f;          // 5000 centi-N
  s.current_a = -1.5f;        // -1500 mA
  s.temp_c = 25.0f;           // 2500 centi-°C
  s.voltage_v = 12.3456f;     // 12346 mV
  TelemetryBatchPacker packer;
  ASSERT_TRUE(packer.Add(s));
  TelemetrySample next = s;
  next.seq = 10;
  next.time_us = 124456;
  next.roller_rpm_cmd = 1.30f;
  ASSERT_TRUE(packer.Add(next));
  rollrig::v1::TelemetryBatch batch;
  packer.Finish(firmware::FirmwareStatus{}, 1000, &batch);

  EXPECT_EQ(batch.first_sample_seq(), 9u);
  EXPECT_EQ(batch.first_time_us(), 123456u);
  EXPECT_THAT(batch.time_delta_us(), ::testing::ElementsAre(0, 1000));
  EXPECT_THAT(batch.roller_rpm_cmd_c(), ::testing::ElementsAre(123, 7));
  EXPECT_THAT(batch.roller_rpm_c(), ::testing::ElementsAre(-124, 0));
  EXPECT_EQ(batch.torque_mnm(0), 251);
  EXPECT_EQ(batch.force_cn(0), 5000);
  EXPECT_EQ(batch.current_ma(0), -1500);
  EXPECT_EQ(batch.temp_cc(0), 2500);
  EXPECT_EQ(batch.voltage_mv(0), 12346);
}

TEST(TelemetryColumnsTest, FinishCarriesTheStatusAndThePackerIsReusable) {
  firmware::FirmwareStatus status;
  status.state = firmware::DeviceState::kFaulted;
  status.faults = firmware::FaultBit(firmware::Fault::kStall);
  status.interlocks = firmware::InterlockBit(firmware::Interlock::kDoorOpen);
  status.samples_dropped = 77;
  TelemetryBatchPacker packer;
  rollrig::v1::TelemetryBatch batch;
  for (uint64_t round = 0; round < 3; ++round) {
    TelemetrySample s;
    s.seq = round * 100;  // batches may start anywhere; only within one must it be contiguous
    ASSERT_TRUE(packer.Add(s));
    packer.Finish(status, 100, &batch);
    EXPECT_EQ(batch.first_sample_seq(), round * 100);
    EXPECT_EQ(batch.time_delta_us_size(), 1);
  }
  EXPECT_EQ(batch.state(), rollrig::v1::DEVICE_STATE_FAULTED);
  EXPECT_EQ(batch.faults(), 1u << rollrig::v1::FAULT_STALL);
  EXPECT_EQ(batch.interlocks(), 1u << rollrig::v1::INTERLOCK_DOOR_OPEN);
  EXPECT_EQ(batch.dropped_total(), 77u);
  EXPECT_EQ(batch.sample_period_us(), 100u);
}

TEST(TelemetryColumnsTest, ProgramColumnsAndStatusRoundTrip) {
  TelemetryBatchPacker packer;
  std::vector<TelemetrySample> sent;
  // No program, then cycle 3 segments 0, 1, 2, then cycle 4, then the ramp-down.
  const int32_t segments[] = {-1, -1, 0, 0, 1, 2, 2, 0, -1};
  const uint32_t cycles[] = {0, 0, 3, 3, 3, 3, 3, 4, 0};
  for (uint64_t i = 0; i < 9; ++i) {
    TelemetrySample s;
    s.seq = 100 + i;
    s.time_us = 1000 * s.seq;
    s.segment = segments[i];
    s.cycle = cycles[i];
    sent.push_back(s);
    ASSERT_TRUE(packer.Add(s));
  }
  firmware::FirmwareStatus status;
  status.program_state = firmware::ProgramState::kRunning;
  status.program_id = 0x1234567890ull;
  rollrig::v1::TelemetryBatch batch;
  packer.Finish(status, 1000, &batch);
  EXPECT_EQ(batch.program_state(), rollrig::v1::PROGRAM_STATE_RUNNING);
  EXPECT_EQ(batch.program_id(), 0x1234567890ull);
  // Delta-coded like every column: mostly zeros on the wire.
  EXPECT_THAT(batch.segment(), ::testing::ElementsAre(-1, 0, 1, 0, 1, 1, 0, -2, -1));
  EXPECT_THAT(batch.cycle(), ::testing::ElementsAre(0, 0, 3, 0, 0, 0, 0, 1, -4));

  rollrig::v1::TelemetryBatch parsed;
  ASSERT_TRUE(parsed.ParseFromString(batch.SerializeAsString()));
  std::vector<TelemetrySample> got;
  ASSERT_TRUE(UnpackTelemetryBatch(parsed, &got).ok());
  ASSERT_EQ(got.size(), sent.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].segment, sent[i].segment) << i;
    EXPECT_EQ(got[i].cycle, sent[i].cycle) << i;
  }
}

TEST(TelemetryColumnsTest, AChannelMissingFromTheBatchIsAbsent) {
  // A device from before head_current_a sends no head_current_ma column: its samples
  // lack the channel (not a zero current). A sample lacking it is packed the same way.
  std::mt19937 rng(11);
  const size_t head = *FindChannel("head_current_a");
  TelemetryBatchPacker packer;
  for (uint64_t seq = 0; seq < 3; ++seq) {
    TelemetrySample s = RandomSample(&rng, seq);
    s.absent_channels = ChannelBit(head);
    ASSERT_TRUE(packer.Add(s));
  }
  // A batch's columns are whole: a sample carrying the channel starts a new batch.
  EXPECT_FALSE(packer.Add(RandomSample(&rng, 3)));
  rollrig::v1::TelemetryBatch batch;
  packer.Finish(firmware::FirmwareStatus{}, 1000, &batch);
  EXPECT_EQ(batch.head_current_ma_size(), 0);
  EXPECT_EQ(batch.torque_mnm_size(), 3);
  std::vector<TelemetrySample> out;
  ASSERT_TRUE(UnpackTelemetryBatch(batch, &out).ok());
  ASSERT_EQ(out.size(), 3u);
  for (const TelemetrySample& s : out) {
    EXPECT_FALSE(ChannelPresent(s, head));
    EXPECT_TRUE(ChannelPresent(s, *FindChannel("torque_nm")));
  }
}

TEST(TelemetryColumnsTest, BatchesWithoutProgramColumnsReadAsNoProgram) {
  std::mt19937 rng(9);
  TelemetryBatchPacker packer;
  for (uint64_t seq = 0; seq < 4; ++seq) ASSERT_TRUE(packer.Add(RandomSample(&rng, seq)));
  rollrig::v1::TelemetryBatch batch;
  packer.Finish(firmware::FirmwareStatus{}, 1000, &batch);
  batch.clear_segment();  // as a device (or recording) from before programs sent it
  batch.clear_cycle();
  std::vector<TelemetrySample> out;
  ASSERT_TRUE(UnpackTelemetryBatch(batch, &out).ok());
  ASSERT_EQ(out.size(), 4u);
  for (const auto& s : out) {
    EXPECT_EQ(s.segment, -1);
    EXPECT_EQ(s.cycle, 0u);
  }
  // Present but short is corruption, named like any other column.
  packer.Add(RandomSample(&rng, 10));
  packer.Add(RandomSample(&rng, 11));
  packer.Finish(firmware::FirmwareStatus{}, 1000, &batch);
  batch.mutable_cycle()->RemoveLast();
  const absl::Status status = UnpackTelemetryBatch(batch, &out);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("column cycle has 1 values"));
}

TEST(TelemetryColumnsTest, ABatchNeverSpansAGap) {
  TelemetryBatchPacker packer;
  TelemetrySample s;
  s.seq = 10;
  ASSERT_TRUE(packer.Add(s));
  s.seq = 11;
  ASSERT_TRUE(packer.Add(s));
  s.seq = 13;
  EXPECT_FALSE(packer.Add(s));
  s.seq = 11;
  EXPECT_FALSE(packer.Add(s));
  EXPECT_EQ(packer.size(), 2u);
  packer.Clear();
  s.seq = 13;
  EXPECT_TRUE(packer.Add(s));
}

TEST(TelemetryColumnsTest, MismatchedColumnsAreRejectedNamingTheColumn) {
  std::mt19937 rng(5);
  TelemetryBatchPacker packer;
  for (uint64_t seq = 0; seq < 5; ++seq) ASSERT_TRUE(packer.Add(RandomSample(&rng, seq)));
  rollrig::v1::TelemetryBatch batch;
  packer.Finish(firmware::FirmwareStatus{}, 1000, &batch);
  batch.mutable_force_cn()->RemoveLast();

  std::vector<TelemetrySample> out(2);
  const absl::Status status = UnpackTelemetryBatch(batch, &out);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("force_cn"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("4 values"));
  EXPECT_EQ(out.size(), 2u);  // nothing appended
}

TEST(TelemetryColumnsTest, NonFiniteAndHugeValuesStayRepresentable) {
  TelemetryBatchPacker packer;
  TelemetrySample s;
  s.roller_rpm = std::numeric_limits<float>::quiet_NaN();
  s.torque_nm = std::numeric_limits<float>::infinity();
  s.current_a = -1e30f;
  ASSERT_TRUE(packer.Add(s));
  s.seq = 1;
  s.torque_nm = -std::numeric_limits<float>::infinity();
  s.current_a = 1e30f;
  ASSERT_TRUE(packer.Add(s));
  rollrig::v1::TelemetryBatch batch;
  packer.Finish(firmware::FirmwareStatus{}, 1000, &batch);
  std::vector<TelemetrySample> out;
  ASSERT_TRUE(UnpackTelemetryBatch(batch, &out).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].roller_rpm, 0.0f);
  EXPECT_GT(out[0].torque_nm, 1e5f);
  EXPECT_LT(out[1].torque_nm, -1e5f);
  EXPECT_LT(out[0].current_a, -1e5f);
  EXPECT_GT(out[1].current_a, 1e5f);
}

// Signals shaped like a running massager: a roller sine profile tracked with encoder
// quantisation noise, a head sweep, preload with load-cell noise, slowly warming winding.
double MeasureBytesPerSample(uint32_t tick_hz) {
  std::mt19937 rng(11);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  const double dt = 1.0 / tick_hz;
  const float rpm_per_count = 60.0f / 4096.0f / 20.0f / static_cast<float>(dt);
  TelemetryBatchPacker packer;
  rollrig::v1::TelemetryBatch batch;
  size_t bytes = 0, samples = 0;
  const size_t batch_samples = tick_hz / 100;  // 10 ms batches
  for (uint64_t seq = 0; seq < 5 * tick_hz; ++seq) {
    const double t = seq * dt;
    TelemetrySample s;
    s.seq = seq;
    s.time_us = static_cast<uint64_t>(std::llround(t * 1e6));
    s.roller_rpm_cmd = static_cast<float>(60 * std::sin(2 * M_PI * 0.5 * t));
    s.roller_rpm = s.roller_rpm_cmd + rpm_per_count * std::round(noise(rng)) * 0.5f;
    s.head_deg_cmd = static_cast<float>(90 * std::sin(2 * M_PI * 0.1 * t));
    s.head_deg = s.head_deg_cmd + 0.01f * noise(rng);
    s.current_a = 0.6f + 0.005f * noise(rng);
    s.torque_nm = s.current_a * 0.05f * 20;
    s.force_n = 50 + 0.05f * noise(rng);
    s.preload_cmd_n = 50;
    s.temp_c = static_cast<float>(30 + t * 0.01) + 0.02f * noise(rng);
    s.voltage_v = static_cast<float>(s.roller_rpm_cmd * 20 * 2 * M_PI / 60 * 0.05) + 0.72f;
    if (!packer.Add(s) || packer.size() == batch_samples) {
      packer.Finish(firmware::FirmwareStatus{}, static_cast<uint32_t>(1e6 / tick_hz), &batch);
      bytes += batch.ByteSizeLong();
      samples += static_cast<size_t>(batch.time_delta_us_size());
    }
  }
  return static_cast<double>(bytes) / static_cast<double>(samples);
}

TEST(TelemetryColumnsTest, BytesPerSampleAtRealisticSignals) {
  for (uint32_t hz : {1000u, 10000u}) {
    const double per_sample = MeasureBytesPerSample(hz);
    std::printf("telemetry at %u Hz: %.1f bytes per sample, %.0f bytes/s\n", hz, per_sample,
                per_sample * hz);
    EXPECT_GT(per_sample, 8.0);
    EXPECT_LT(per_sample, 30.0);
    EXPECT_LT(per_sample * hz, 0.5e6);  // well within full-speed USB's ~1 MB/s
  }
}

}  // namespace
}  // namespace rollrig::protocol
