// RunHistoryReader on recordings written here with the run's layout (in memory): run time
// from the first program sample, a resumed stretch continuing run time, the coarse and fine
// overview levels against the raw samples they summarize, and a recording from before the
// per-channel overview read raw instead.
#include "host/recording/run_history.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <vector>

#include "host/recording/memory_file_system.h"
#include "host/recording/recording_layout.h"

namespace rollrig::recording {
namespace {

namespace rec = rollrig::recorder;

constexpr int64_t kEpochNs = 1'760'000'000'000'000'000;
constexpr uint64_t kArmingSamples = 500;

// A stretch's file: arming samples (segment -1) then the program's, at 1 kHz from device
// time `first_us`. `legacy`: the overview without the per-channel arrays, as older
// recordings have it, and no coarse topic. `live`: still being written, as the recorder
// writes it (overview chunks spanning 10 s and 60 s): nothing after its last closed chunk
// is in the file; its writer goes to `live`, open.
void WriteStretch(FileSystem* fs, const std::string& path, uint32_t part, uint64_t first_us,
                  uint64_t first_seq, uint64_t samples, bool legacy,
                  std::unique_ptr<McapWriter>* live = nullptr) {
  auto file = fs->NewWritableFile(path);
  ASSERT_TRUE(file.ok());
  McapWriterOptions options;
  if (live) rec::SetOverviewChunkSpans(&options);
  auto owned = std::make_unique<McapWriter>(*std::move(file), options);
  McapWriter& writer = *owned;
  ASSERT_TRUE(writer.Open().ok());
  auto channels = rec::AddRunChannels(writer);
  ASSERT_TRUE(channels.ok());
  rollrig::v1::DeviceInfo device;
  device.mutable_capabilities()->set_telemetry_hz(1000);
  ASSERT_TRUE(writer
                  .WriteMetadata(rec::kRunMetadata,
                                 {{rec::kRunIdKey, "r1"}, {rec::kRunPartKey, std::to_string(part)}})
                  .ok());
  ASSERT_TRUE(
      writer
          .WriteMetadata(rec::kDeviceMetadata,
                         {{rec::kDeviceInfoKey, "{\"capabilities\":{\"telemetryHz\":1000}}"}})
          .ok());
  rec::OverviewBuilder overview(kEpochNs);
  rollrig::v1::TelemetryRecord record;
  std::string scratch;
  uint32_t fine = 0, coarse = 0;
  auto write_overview = [&](rec::OverviewEntry& e) {
    if (legacy) {
      e.record.clear_channel_min();
      e.record.clear_channel_max();
      e.record.clear_channel_mean();
    }
    ASSERT_TRUE(rec::WriteOverview(writer, *channels, e, fine++, &scratch).ok());
    rec::OverviewEntry c;
    if (overview.TakeCoarse(&c) && !legacy) {
      ASSERT_TRUE(rec::WriteCoarseOverview(writer, *channels, c, coarse++, &scratch).ok());
    }
  };
  for (uint64_t i = 0; i < samples; ++i) {
    host::Sample s;
    s.seq = first_seq + i;
    s.time_us = first_us + i * 1000;
    s.host_time_ns = kEpochNs + static_cast<int64_t>(s.time_us) * 1000 + 300'000;
    s.segment = i < kArmingSamples ? -1 : 0;
    s.cycle = i < kArmingSamples ? 0 : 1;
    s.torque_nm = static_cast<float>(1.0 + std::sin(static_cast<double>(i) / 700.0));
    s.temp_c = static_cast<float>(30 + static_cast<double>(i) / 1000.0);
    rec::OverviewEntry e;
    if (overview.Add(s, &e)) write_overview(e);
    ASSERT_TRUE(rec::WriteSample(writer, *channels, s, kEpochNs, &record, &scratch).ok());
  }
  if (live) {
    *live = std::move(owned);
    return;
  }
  rec::OverviewEntry e;
  if (overview.Flush(&e)) write_overview(e);
  ASSERT_TRUE(writer.Finish().ok());
}

rollrig::v1::GetRunHistoryRequest Window(double t0, double t1, uint32_t points) {
  rollrig::v1::GetRunHistoryRequest req;
  req.set_t0_s(t0);
  req.set_t1_s(t1);
  req.set_max_points(points);
  req.add_channels("torque_nm");
  return req;
}

float Extreme(const rollrig::v1::RunHistory& h, bool max) {
  const auto& v = max ? h.series(0).max() : h.series(0).min();
  return max ? *std::max_element(v.begin(), v.end()) : *std::min_element(v.begin(), v.end());
}

class RunHistoryReaderTest : public ::testing::Test {
 protected:
  void Write(bool legacy) {
    // 35 s, then a resumed stretch of 25 s whose device clock restarted.
    WriteStretch(&fs_, "/runs/r1.mcap", 1, 5'000'000, 100, 35'000, legacy);
    WriteStretch(&fs_, "/runs/r1-r2.mcap", 2, 0, 0, 25'000, legacy);
    run_.run_id = "r1";
    run_.files = {"/runs/r1.mcap", "/runs/r1-r2.mcap"};
  }
  MemoryFileSystem fs_;
  std::unique_ptr<McapWriter> live_writer_;  // a file still being written (before fs_ goes)
  HistoryRun run_;
};

TEST_F(RunHistoryReaderTest, RunTimeStartsAtTheProgramAndGoesOnAfterAResume) {
  Write(false);
  RunHistoryReader reader(&fs_);
  auto first = reader.Read(run_, Window(0, 0.0045, 100));
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(first->raw());
  ASSERT_EQ(first->t_s_size(), 5);
  EXPECT_DOUBLE_EQ(first->t_s(0), 0.0);
  EXPECT_FLOAT_EQ(first->series(0).mean(0),
                  static_cast<float>(1.0 + std::sin(kArmingSamples / 700.0)));
  // The first stretch's program ran 34.5 s (its last sample at 34.499 s); the second
  // continues from there, and the interruption is a gap.
  auto whole = reader.Read(run_, Window(0, 0, 2000));
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_NEAR(whole->recorded_end_s(), 34.499 + 24.499, 1e-9);
  ASSERT_GE(whole->gaps_size(), 1);
  EXPECT_NEAR(whole->gaps(0).t_s(), 34.499, 1e-9);
  EXPECT_EQ(whole->sample_rate_hz(), 1000u);
  EXPECT_EQ(whole->files_size(), 2);
  // Told the interruption's run time, the reader uses it.
  run_.interruptions.emplace_back().set_run_time_s(40);
  auto told = reader.Read(run_, Window(0, 0, 2000));
  ASSERT_TRUE(told.ok());
  EXPECT_NEAR(told->recorded_end_s(), 40 + 24.499, 1e-9);
}

TEST_F(RunHistoryReaderTest, EveryLevelMatchesTheRawExtremes) {
  Write(false);
  RunHistoryReader reader(&fs_);
  const double end = 34.0;
  auto raw = reader.Read(run_, Window(0, end, 100000));
  ASSERT_TRUE(raw.ok()) << raw.status();
  ASSERT_TRUE(raw->raw());
  EXPECT_EQ(raw->samples(), 34'001u);
  ASSERT_EQ(raw->series_size(), 1);
  const auto& v = raw->series(0).mean();
  const float lo = *std::min_element(v.begin(), v.end());
  const float hi = *std::max_element(v.begin(), v.end());
  // 3 buckets of >= 10 s: the coarse level; 200 of >= 0.1 s: the fine one; 1000: raw.
  for (uint32_t points : {3u, 200u, 1000u}) {
    auto h = reader.Read(run_, Window(0, end, points));
    ASSERT_TRUE(h.ok()) << h.status();
    EXPECT_FALSE(h->raw());
    EXPECT_LE(h->t_s_size(), static_cast<int>(points));
    ASSERT_EQ(h->series_size(), 1);
    EXPECT_FLOAT_EQ(Extreme(*h, true), hi) << points << " points";
    EXPECT_FLOAT_EQ(Extreme(*h, false), lo) << points << " points";
    for (int i = 0; i < h->t_s_size(); ++i) {
      EXPECT_LE(h->series(0).min(i), h->series(0).mean(i) + 1e-5f);
      EXPECT_LE(h->series(0).mean(i), h->series(0).max(i) + 1e-5f);
    }
  }
}

// A file still being written has the samples of its closed chunks, the fine overview of
// its closed 10 s chunks and no coarse one yet: each level that stops short is filled from
// the next finer, so the whole picture still covers every durable sample.
TEST_F(RunHistoryReaderTest, AFileStillBeingWrittenReadsToItsLastDurableSample) {
  WriteStretch(&fs_, "/runs/r2.mcap.part", 1, 0, 0, 35'000, false, &live_writer_);
  run_.run_id = "r2";
  run_.files = {"/runs/r2.mcap.part"};
  run_.recording = true;
  RunHistoryReader reader(&fs_);
  auto raw = reader.Read(run_, Window(0, 0, 100000));
  ASSERT_TRUE(raw.ok()) << raw.status();
  ASSERT_TRUE(raw->raw());
  EXPECT_GT(raw->recorded_end_s(), 33.0);
  EXPECT_LT(raw->recorded_end_s(), 34.499) << "the open chunk is not durable yet";
  EXPECT_TRUE(raw->recording());
  EXPECT_DOUBLE_EQ(raw->live_device_to_run_s(), -0.5);
  const auto& v = raw->series(0).mean();
  for (uint32_t points : {3u, 200u}) {
    auto h = reader.Read(run_, Window(0, 0, points));
    ASSERT_TRUE(h.ok()) << h.status();
    // A coarse envelope straddling run time 0 counts the arming samples it holds too.
    if (points == 200) {
      EXPECT_EQ(h->samples(), raw->samples());
    }
    EXPECT_GE(h->samples(), raw->samples()) << points << " points";
    EXPECT_FLOAT_EQ(Extreme(*h, true), *std::max_element(v.begin(), v.end()));
    EXPECT_FLOAT_EQ(Extreme(*h, false), *std::min_element(v.begin(), v.end()));
  }
}

TEST_F(RunHistoryReaderTest, OldRecordingsWithoutChannelEnvelopesReadRaw) {
  Write(true);
  RunHistoryReader reader(&fs_);
  auto h = reader.Read(run_, Window(0, 34, 3));
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->samples(), 34'001u) << "from the raw samples, exactly";
  ASSERT_EQ(h->series_size(), 1);
  Write(false);
  RunHistoryReader fresh(&fs_);
  auto n = fresh.Read(run_, Window(0, 34, 3));
  ASSERT_TRUE(n.ok());
  ASSERT_EQ(n->series_size(), 1);
  EXPECT_FLOAT_EQ(Extreme(*h, true), Extreme(*n, true));
  EXPECT_FLOAT_EQ(Extreme(*h, false), Extreme(*n, false));
}

TEST_F(RunHistoryReaderTest, BadRequestsAreNamed) {
  Write(false);
  RunHistoryReader reader(&fs_);
  auto beyond = reader.Read(run_, Window(100, 200, 10));
  EXPECT_EQ(beyond.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(beyond.status().message().find("58.998"), std::string::npos) << beyond.status();
  auto channel = Window(0, 0, 10);
  channel.add_channels("nope");
  EXPECT_EQ(reader.Read(run_, channel).status().code(), absl::StatusCode::kInvalidArgument);
  run_.files = {"/runs/missing.mcap"};
  EXPECT_FALSE(reader.Read(run_, Window(0, 0, 10)).ok());
}

}  // namespace
}  // namespace rollrig::recording
