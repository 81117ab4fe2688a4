// RunRecorder over the in-memory and fault-injecting file systems: what a clean run
// writes, and how it fails (queue overflow, full disk, low free space) without ever
// blocking the producer or losing the file.
#include "host/recorder/recorder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

#include "host/recording/fault_injecting_file_system.h"
#include "host/recording/mcap_reader.h"
#include "host/recording/memory_file_system.h"

namespace rollrig::recorder {
namespace {

using ::testing::HasSubstr;

constexpr char kDir[] = "/runs";
constexpr int64_t kT0 = 1'700'000'000'000'000'000;  // a Unix-epoch ns start time
constexpr uint64_t kDeviceT0Us = 5'000'000;         // device time at the run's start

// Samples at `rate_hz` from sample `first` on, with host time = device time + an offset.
std::vector<host::Sample> MakeSamples(uint64_t first, size_t n, double rate_hz = 1000) {
  std::vector<host::Sample> out(n);
  for (size_t i = 0; i < n; ++i) {
    host::Sample& s = out[i];
    s.seq = first + i;
    s.time_us = kDeviceT0Us + static_cast<uint64_t>(static_cast<double>(s.seq) * 1e6 / rate_hz);
    s.host_time_ns = kT0 + static_cast<int64_t>(s.time_us - kDeviceT0Us) * 1000 + 300'000;
    s.roller_rpm_cmd = 60;
    s.roller_rpm = 59.5f + static_cast<float>(s.seq % 7) * 0.1f;
    s.head_deg = static_cast<float>(s.seq % 90);
    s.torque_nm = 0.01f * static_cast<float>(s.seq % 100);
    s.force_n = 20 + static_cast<float>(s.seq % 13);
    s.temp_c = 30;
    s.voltage_v = 12;
    s.segment = static_cast<int32_t>((s.seq / 500) % 3);
    s.cycle = static_cast<uint32_t>(1 + s.seq / 1500);
  }
  return out;
}

RecordingStart MakeStart(const std::string& id = "20240101-000000-test-0001") {
  RecordingStart start;
  start.run.set_id(id);
  start.run.set_profile_name("test");
  start.run.set_started_unix_ns(kT0);
  start.run.mutable_spec()->set_cycles(3);
  start.run.mutable_spec()->mutable_profile()->set_text("name: \"test\"\n");
  start.run.set_device_serial("SIM-0001");
  rollrig::v1::DeviceInfo info;
  info.set_serial("SIM-0001");
  start.device = info;
  start.host_version = "0.1.0-test";
  start.device_clock_offset_ns = DeviceClockOffsetNs(kT0, kDeviceT0Us);
  start.planned_samples = 4500;
  return start;
}

rollrig::v1::RigEvent MakeEvent(int64_t t, const std::string& message) {
  rollrig::v1::RigEvent e;
  e.set_kind(rollrig::v1::RIG_EVENT_RUN_STATE);
  e.set_host_time_ns(t);
  e.set_message(message);
  return e;
}

// The test's host clock: what the recorder sees as "now".
struct TestClock {
  std::atomic<int64_t> now{kT0};
  std::function<int64_t()> fn() {
    return [this] { return now.load(); };
  }
};

// Everything a recording file holds, read back through McapReader.
struct ReadBack {
  std::map<std::string, std::vector<recording::McapMessage>> by_topic;
  std::map<std::string, std::map<std::string, std::string>> metadata;  // last of each name
  bool has_summary = false;
};

ReadBack Read(recording::FileSystem* fs, const std::string& path) {
  ReadBack out;
  absl::StatusOr<std::unique_ptr<recording::RandomAccessFile>> file = fs->OpenForRead(path);
  EXPECT_TRUE(file.ok()) << file.status();
  if (!file.ok()) return out;
  absl::StatusOr<std::unique_ptr<recording::McapReader>> reader =
      recording::McapReader::Open(file->get());
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return out;
  out.has_summary = (*reader)->has_summary();
  for (const auto& m : (*reader)->metadata()) out.metadata[m.name] = m.metadata;
  const auto& channels = (*reader)->channels();
  absl::Status s = (*reader)->ReadMessages({}, [&](const recording::McapMessage& m) {
    out.by_topic[channels.at(m.channel_id).topic].push_back(m);
    return true;
  });
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

RecorderOptions TestOptions(TestClock& clock) {
  RecorderOptions o;
  o.now_ns = clock.fn();
  o.writer_period = absl::Milliseconds(5);
  return o;
}

TEST(RunRecorderTest, CleanRunRoundTripsWithAllTopicsAndMetadata) {
  recording::MemoryFileSystem fs;
  TestClock clock;
  const RecordingStart start = MakeStart();
  absl::StatusOr<std::unique_ptr<RunRecorder>> rec =
      RunRecorder::Start(&fs, kDir, start, TestOptions(clock));
  ASSERT_TRUE(rec.ok()) << rec.status();
  const std::string part = std::string(kDir) + "/" + start.run.id() + ".mcap.part";
  EXPECT_EQ((*rec)->files(), std::vector<std::string>{part});
  // The metadata is durable before any sample.
  EXPECT_GT(fs.SyncedBytes(part), 100u);

  const std::vector<host::Sample> samples = MakeSamples(0, 4500);
  for (size_t i = 0; i < samples.size(); i += 20) {
    ASSERT_TRUE((*rec)->AddSamples(&samples[i], 20).ok());
    clock.now = samples[i + 19].host_time_ns;
    if (i % 1500 == 0) {
      ASSERT_TRUE((*rec)->AddEvent(MakeEvent(samples[i].host_time_ns, "event")).ok());
    }
    if (i > 0 && i % 1500 == 0) {
      rollrig::v1::CycleStats c;
      c.set_cycle(static_cast<uint32_t>(i / 1500));
      c.set_samples(1500);
      ASSERT_TRUE((*rec)->AddCycle(c, samples[i].host_time_ns).ok());
    }
  }
  RecordingEnd end;
  end.state = rollrig::v1::RUN_STATE_COMPLETED;
  end.reason = "completed";
  end.verdict.set_verdict(rollrig::v1::VERDICT_PASS);
  ASSERT_TRUE((*rec)->Finish(end).ok());

  const std::string final_path = std::string(kDir) + "/" + start.run.id() + ".mcap";
  EXPECT_EQ((*rec)->files(), std::vector<std::string>{final_path});
  EXPECT_FALSE(fs.Exists(part));
  const ReadBack back = Read(&fs, final_path);
  EXPECT_TRUE(back.has_summary);
  ASSERT_EQ(back.by_topic.at(kTelemetryTopic).size(), samples.size());
  EXPECT_EQ(back.by_topic.at(kEventsTopic).size(), 3u);
  EXPECT_EQ(back.by_topic.at(kCyclesTopic).size(), 2u);
  // 4.5 s of samples in 100 ms windows.
  EXPECT_EQ(back.by_topic.at(kOverviewTopic).size(), 45u);

  // Every sample round-trips with its times and counter.
  const int64_t offset = *start.device_clock_offset_ns;
  for (size_t i = 0; i < samples.size(); ++i) {
    const recording::McapMessage& m = back.by_topic.at(kTelemetryTopic)[i];
    rollrig::v1::TelemetryRecord r;
    ASSERT_TRUE(r.ParseFromString(m.data));
    host::Sample s;
    RecordToSample(r, &s);
    EXPECT_EQ(s.seq, samples[i].seq);
    EXPECT_EQ(s.torque_nm, samples[i].torque_nm);
    EXPECT_EQ(s.segment, samples[i].segment);
    EXPECT_EQ(s.cycle, samples[i].cycle);
    EXPECT_EQ(m.log_time, static_cast<uint64_t>(samples[i].host_time_ns));
    EXPECT_EQ(m.publish_time, PublishTimeNs(samples[i].time_us, offset));
    EXPECT_EQ(m.sequence, static_cast<uint32_t>(samples[i].seq));
  }
  rollrig::v1::OverviewRecord first_window;
  ASSERT_TRUE(first_window.ParseFromString(back.by_topic.at(kOverviewTopic)[0].data));
  EXPECT_EQ(first_window.samples(), 100u);
  EXPECT_EQ(first_window.first_seq(), 0u);
  EXPECT_EQ(first_window.last_seq(), 99u);
  EXPECT_FLOAT_EQ(static_cast<float>(first_window.torque_nm_max()), 0.99f);

  ASSERT_TRUE(back.metadata.count(kRunMetadata));
  EXPECT_EQ(back.metadata.at(kRunMetadata).at(kRunIdKey), start.run.id());
  EXPECT_THAT(back.metadata.at(kRunMetadata).at(kRunSpecKey), HasSubstr("\"cycles\":3"));
  EXPECT_EQ(back.metadata.at(kRunMetadata).at(kProfileTextKey), "name: \"test\"\n");
  EXPECT_THAT(back.metadata.at(kDeviceMetadata).at(kDeviceInfoKey), HasSubstr("SIM-0001"));
  EXPECT_EQ(back.metadata.at(kHostMetadata).at(kClockOffsetKey), absl::StrCat(offset));
  EXPECT_EQ(back.metadata.at(kHostMetadata).at(kHostVersionKey), "0.1.0-test");
  EXPECT_EQ(back.metadata.at(kVerdictMetadata).at(kRunStateKey), "RUN_STATE_COMPLETED");
  EXPECT_THAT(back.metadata.at(kVerdictMetadata).at(kVerdictKey), HasSubstr("VERDICT_PASS"));
  EXPECT_EQ(back.metadata.at(kVerdictMetadata).at(kSamplesKey), "4500");

  const RecorderStats stats = (*rec)->stats();
  EXPECT_EQ(stats.samples_written, samples.size());
  EXPECT_EQ(stats.files, 1u);
}

// A FileSystem whose syncs hang while stalled: a disk that stops answering.
class StallingFileSystem : public recording::FileSystem {
 public:
  explicit StallingFileSystem(recording::FileSystem* base) : base_(base) {}

  void Stall(bool on) {
    std::lock_guard<std::mutex> lock(mu_);
    stalled_ = on;
    cv_.notify_all();
  }
  void WaitIfStalled() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return !stalled_; });
  }

  absl::StatusOr<std::unique_ptr<recording::WritableFile>> NewWritableFile(
      const std::string& path) override {
    auto file = base_->NewWritableFile(path);
    if (!file.ok()) return file.status();
    return std::unique_ptr<recording::WritableFile>(new File(this, *std::move(file)));
  }
  absl::StatusOr<std::unique_ptr<recording::WritableFile>> ReopenTruncated(const std::string& path,
                                                                           uint64_t keep) override {
    return base_->ReopenTruncated(path, keep);
  }
  absl::StatusOr<std::unique_ptr<recording::RandomAccessFile>> OpenForRead(
      const std::string& path) override {
    return base_->OpenForRead(path);
  }
  absl::Status Rename(const std::string& from, const std::string& to) override {
    return base_->Rename(from, to);
  }
  absl::Status Remove(const std::string& path) override { return base_->Remove(path); }
  absl::Status SyncDir(const std::string& dir) override { return base_->SyncDir(dir); }
  absl::StatusOr<uint64_t> FreeBytes(const std::string& dir) override {
    return base_->FreeBytes(dir);
  }
  bool Exists(const std::string& path) override { return base_->Exists(path); }

 private:
  class File : public recording::WritableFile {
   public:
    File(StallingFileSystem* fs, std::unique_ptr<recording::WritableFile> base)
        : fs_(fs), base_(std::move(base)) {}
    absl::Status Append(const uint8_t* data, size_t n) override { return base_->Append(data, n); }
    absl::Status Sync() override {
      fs_->WaitIfStalled();
      return base_->Sync();
    }
    absl::Status Close() override { return base_->Close(); }
    uint64_t size() const override { return base_->size(); }

   private:
    StallingFileSystem* fs_;
    std::unique_ptr<recording::WritableFile> base_;
  };

  recording::FileSystem* base_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stalled_ = false;
};

TEST(RunRecorderTest, QueueOverflowIsReportedWithoutBlockingAndTheFileIsFinalized) {
  recording::MemoryFileSystem memory;
  StallingFileSystem fs(&memory);
  TestClock clock;
  RecorderOptions options = TestOptions(clock);
  options.sample_queue_capacity = 2000;
  options.writer.chunk_max_bytes = 16 << 10;  // small chunks: a sync soon after the stall
  const RecordingStart start = MakeStart();
  absl::StatusOr<std::unique_ptr<RunRecorder>> rec = RunRecorder::Start(&fs, kDir, start, options);
  ASSERT_TRUE(rec.ok()) << rec.status();

  const std::vector<host::Sample> samples = MakeSamples(0, 20000);
  ASSERT_TRUE((*rec)->AddSamples(samples.data(), 1000).ok());
  fs.Stall(true);  // the disk stops answering
  absl::Status status;
  size_t pushed = 1000;
  const auto t0 = std::chrono::steady_clock::now();
  auto longest = std::chrono::steady_clock::duration::zero();
  for (; pushed < samples.size() && status.ok(); pushed += 100) {
    const auto before = std::chrono::steady_clock::now();
    status = (*rec)->AddSamples(&samples[pushed], 100);
    longest = std::max(longest, std::chrono::steady_clock::now() - before);
  }
  ASSERT_FALSE(status.ok()) << "20000 samples fit in a queue of 2000 behind a stalled disk";
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(status.message(), HasSubstr("could not keep up"));
  // The producer never waited for the disk.
  EXPECT_LT(longest, std::chrono::milliseconds(50));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  // Later calls keep reporting it.
  EXPECT_EQ((*rec)->AddEvent(MakeEvent(kT0, "late")).code(), absl::StatusCode::kResourceExhausted);

  fs.Stall(false);
  EXPECT_EQ((*rec)->Finish(RecordingEnd{}).code(), absl::StatusCode::kResourceExhausted);
  const std::string final_path = std::string(kDir) + "/" + start.run.id() + ".mcap";
  ASSERT_EQ((*rec)->files(), std::vector<std::string>{final_path});
  const ReadBack back = Read(&memory, final_path);
  EXPECT_TRUE(back.has_summary);
  // Everything queued before the overflow was kept, in order, without a hole.
  const auto& telemetry = back.by_topic.at(kTelemetryTopic);
  ASSERT_GE(telemetry.size(), 2000u);
  for (size_t i = 0; i < telemetry.size(); ++i) ASSERT_EQ(telemetry[i].sequence, i);
  EXPECT_EQ(back.metadata.count(kVerdictMetadata), 0u);
}

TEST(RunRecorderTest, DiskFullMidRunGivesAClearErrorAndAFinalizedFile) {
  recording::MemoryFileSystem memory;
  recording::FaultInjectingFileSystem fs(&memory);
  TestClock clock;
  RecorderOptions options = TestOptions(clock);
  // A disk that fills faster than the free-space check sees: the write itself fails.
  options.reserve_bytes = 0;
  options.estimate_margin_bytes = 0;
  const RecordingStart start = MakeStart();
  absl::StatusOr<std::unique_ptr<RunRecorder>> rec = RunRecorder::Start(&fs, kDir, start, options);
  ASSERT_TRUE(rec.ok()) << rec.status();
  fs.SetWriteBudget(60'000);  // about a second of samples more

  const std::vector<host::Sample> samples = MakeSamples(0, 30000);
  absl::Status status;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (size_t i = 0; i < samples.size() && status.ok(); i += 100) {
    status = (*rec)->AddSamples(&samples[i], 100);
    clock.now = samples[i + 99].host_time_ns;
    if (i % 2000 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // The writer notices at its next write; the producer sees it at its next call.
  while (status.ok() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    status = (*rec)->status();
  }
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(status.message()), ::testing::StartsWith("disk full: recording /runs/"));
  EXPECT_THAT(status.message(), HasSubstr("no space left"));
  EXPECT_THAT(status.message(), HasSubstr(start.run.id()));
  EXPECT_THAT(status.message(), HasSubstr("0.0 MiB free in /runs"));

  fs.SetWriteBudget(std::nullopt);  // space freed (the reserve in a real disk)
  EXPECT_FALSE((*rec)->Finish(RecordingEnd{}).ok());
  const std::string final_path = std::string(kDir) + "/" + start.run.id() + ".mcap";
  ASSERT_EQ((*rec)->files(), std::vector<std::string>{final_path});
  EXPECT_FALSE(fs.Exists(final_path + ".part"));
  const ReadBack back = Read(&memory, final_path);
  EXPECT_TRUE(back.has_summary);
  EXPECT_GT(back.by_topic.at(kTelemetryTopic).size(), 500u);
  EXPECT_EQ(back.metadata.at(kRunMetadata).at(kRunIdKey), start.run.id());
}

TEST(RunRecorderTest, FreeSpaceBelowTheReserveStopsTheRecordingCleanly) {
  recording::MemoryFileSystem fs;
  TestClock clock;
  RecorderOptions options = TestOptions(clock);
  options.reserve_bytes = 64 << 20;
  options.free_space_check_period = absl::Milliseconds(100);
  absl::StatusOr<std::unique_ptr<RunRecorder>> rec =
      RunRecorder::Start(&fs, kDir, MakeStart(), options);
  ASSERT_TRUE(rec.ok()) << rec.status();
  const std::vector<host::Sample> samples = MakeSamples(0, 4000);
  ASSERT_TRUE((*rec)->AddSamples(samples.data(), 2000).ok());
  clock.now = samples[1999].host_time_ns;
  fs.SetFreeBytes(10 << 20);
  absl::Status status;
  for (int i = 0; i < 2000 && status.ok(); ++i) {
    clock.now += 1'000'000;  // 1 ms of host time per try
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    status = (*rec)->status();
  }
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(status.message(), HasSubstr("disk full: free space in /runs fell to 10.0 MiB"));
  EXPECT_THAT(status.message(), HasSubstr("below the recorder's finalizing reserve of 64.0 MiB"));
  EXPECT_FALSE((*rec)->AddSamples(&samples[2000], 100).ok());
  (void)(*rec)->Finish(RecordingEnd{});
  const ReadBack back = Read(&fs, (*rec)->files().at(0));
  EXPECT_TRUE(back.has_summary);
  EXPECT_EQ(back.by_topic.at(kTelemetryTopic).size(), 2000u);
}

// Feeds samples [first, first + n) 20 at a time with the clock following them, as a run
// does; stops at the first error, which it returns.
absl::Status Feed(RunRecorder& rec, TestClock& clock, const std::vector<host::Sample>& samples,
                  size_t first, size_t n) {
  for (size_t i = first; i < first + n; i += 20) {
    if (absl::Status s = rec.AddSamples(&samples[i], 20); !s.ok()) return s;
    clock.now = samples[i + 19].host_time_ns;
    if (i % 500 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return absl::OkStatus();
}

bool Eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!condition() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

// Waits (in real time, generously) for the recorder to report a failure.
absl::Status WaitForFailure(RunRecorder& rec) {
  (void)Eventually([&] { return !rec.status().ok(); });
  return rec.status();
}

// Every telemetry message of `back` in order from sequence 0, without a hole.
void ExpectContiguousTelemetry(const ReadBack& back) {
  const auto& telemetry = back.by_topic.at(kTelemetryTopic);
  for (size_t i = 0; i < telemetry.size(); ++i) ASSERT_EQ(telemetry[i].sequence, i);
}

TEST(RunRecorderTest, FreeSpaceIsCheckedAtEveryChunkWritten) {
  recording::MemoryFileSystem memory;
  recording::FaultInjectingFileSystem fs(&memory);
  TestClock clock;
  RecorderOptions options = TestOptions(clock);
  options.reserve_bytes = 1 << 20;
  options.estimate_margin_bytes = 0;
  // The period alone would never check again: the chunks written must.
  options.free_space_check_period = absl::Hours(1);
  const RecordingStart start = MakeStart();
  absl::StatusOr<std::unique_ptr<RunRecorder>> rec = RunRecorder::Start(&fs, kDir, start, options);
  ASSERT_TRUE(rec.ok()) << rec.status();
  const std::vector<host::Sample> samples = MakeSamples(0, 20000);
  ASSERT_TRUE(Feed(**rec, clock, samples, 0, 1000).ok());
  // Another process takes the space: half the reserve is left, writes still fit.
  fs.SetWriteBudget(512 << 10);
  absl::Status status = Feed(**rec, clock, samples, 1000, 19000);
  if (status.ok()) status = WaitForFailure(**rec);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  // Only a chunk written can have made it look: the period is an hour.
  EXPECT_THAT(status.message(), HasSubstr("disk full: free space in /runs fell to 0."));
  EXPECT_THAT(status.message(),
              HasSubstr(" MiB, below the recorder's finalizing reserve of 1.0 MiB"));

  EXPECT_EQ((*rec)->Finish(RecordingEnd{}).code(), absl::StatusCode::kResourceExhausted);
  const std::string final_path = std::string(kDir) + "/" + start.run.id() + ".mcap";
  ASSERT_EQ((*rec)->files(), std::vector<std::string>{final_path});
  const ReadBack back = Read(&fs, final_path);
  EXPECT_TRUE(back.has_summary);
  EXPECT_GE(back.by_topic.at(kTelemetryTopic).size(), 1000u);
  ExpectContiguousTelemetry(back);
}

TEST(RunRecorderTest, AFailedSyncIsAnIOErrorAndKeepsEverySyncedChunk) {
  recording::MemoryFileSystem memory;
  recording::FaultInjectingFileSystem fs(&memory);
  TestClock clock;
  const RecordingStart start = MakeStart();
  absl::StatusOr<std::unique_ptr<RunRecorder>> rec =
      RunRecorder::Start(&fs, kDir, start, TestOptions(clock));
  ASSERT_TRUE(rec.ok()) << rec.status();
  const std::string part = std::string(kDir) + "/" + start.run.id() + ".mcap.part";
  const std::vector<host::Sample> samples = MakeSamples(0, 20000);
  ASSERT_TRUE(Feed(**rec, clock, samples, 0, 2000).ok());
  // Two chunks of 0.5 s are durable before the disk fails once.
  ASSERT_TRUE(Eventually([&] { return (*rec)->stats().samples_written >= 2000; }));
  const uint64_t synced_before = memory.SyncedBytes(part);
  fs.FailNextSyncs(1);
  absl::Status status = Feed(**rec, clock, samples, 2000, 18000);
  if (status.ok()) status = WaitForFailure(**rec);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(status.message()), ::testing::StartsWith("I/O error: recording " + part));
  EXPECT_THAT(status.message(), HasSubstr("syncing " + part + ": Input/output error"));
  EXPECT_GT(synced_before, 0u);

  // Nothing crashed, the producer was told, and the file is finalized with what was synced.
  EXPECT_FALSE((*rec)->AddSamples(&samples[0], 1).ok());
  EXPECT_EQ((*rec)->Finish(RecordingEnd{}).code(), absl::StatusCode::kDataLoss);
  const std::string final_path = std::string(kDir) + "/" + start.run.id() + ".mcap";
  ASSERT_EQ((*rec)->files(), std::vector<std::string>{final_path});
  EXPECT_FALSE(fs.Exists(part));
  const ReadBack back = Read(&fs, final_path);
  EXPECT_TRUE(back.has_summary);
  EXPECT_GE(back.by_topic.at(kTelemetryTopic).size(), 1000u);
  ExpectContiguousTelemetry(back);
}

TEST(RunRecorderTest, LongRunsRotateIntoSeveralFilesListedAsOneRun) {
  recording::MemoryFileSystem fs;
  TestClock clock;
  RecorderOptions options = TestOptions(clock);
  options.rotate_after = absl::Seconds(1);
  const RecordingStart start = MakeStart("rotating-run");
  absl::StatusOr<std::unique_ptr<RunRecorder>> rec = RunRecorder::Start(&fs, kDir, start, options);
  ASSERT_TRUE(rec.ok()) << rec.status();
  const std::vector<host::Sample> samples = MakeSamples(0, 3500);
  for (size_t i = 0; i < samples.size(); i += 50) {
    ASSERT_TRUE((*rec)->AddSamples(&samples[i], 50).ok());
    clock.now = samples[i + 49].host_time_ns;
  }
  RecordingEnd end;
  end.state = rollrig::v1::RUN_STATE_COMPLETED;
  ASSERT_TRUE((*rec)->Finish(end).ok());

  const std::vector<std::string> expected = {
      "/runs/rotating-run.mcap", "/runs/rotating-run-0001.mcap", "/runs/rotating-run-0002.mcap",
      "/runs/rotating-run-0003.mcap"};
  ASSERT_EQ((*rec)->files(), expected);
  size_t total = 0;
  uint64_t last_seq = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    const ReadBack back = Read(&fs, expected[i]);
    EXPECT_TRUE(back.has_summary);
    EXPECT_EQ(back.metadata.at(kRunMetadata).at(kRunIdKey), "rotating-run");
    EXPECT_EQ(back.metadata.at(kHostMetadata).at(kFileIndexKey), absl::StrCat(i));
    // Only the last file carries the verdict.
    EXPECT_EQ(back.metadata.count(kVerdictMetadata), i + 1 == expected.size() ? 1u : 0u);
    for (const auto& m : back.by_topic.at(kTelemetryTopic)) {
      if (total > 0) {
        EXPECT_EQ(m.sequence, last_seq + 1);
      }
      last_seq = m.sequence;
      ++total;
    }
  }
  EXPECT_EQ(total, samples.size());
}

TEST(RunRecorderTest, RefusesToStartWhenTheEstimateDoesNotFit) {
  recording::MemoryFileSystem fs;
  fs.SetFreeBytes(200 << 20);
  RecordingStart start = MakeStart();
  start.planned_samples = 10'000'000;  // 10 kHz for 1000 s: about 500 MB
  absl::StatusOr<std::unique_ptr<RunRecorder>> rec = RunRecorder::Start(&fs, kDir, start);
  ASSERT_FALSE(rec.ok());
  EXPECT_EQ(rec.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(rec.status().message(), HasSubstr("not enough free space in /runs"));
  EXPECT_THAT(rec.status().message(), HasSubstr("200.0 MiB free"));
  EXPECT_FALSE(fs.Exists("/runs/" + start.run.id() + ".mcap.part"));

  start.planned_samples = 1'000'000;  // 50 MB fits
  EXPECT_TRUE(RunRecorder::Start(&fs, kDir, start).ok());
}

// Not a pass/fail figure: how fast the recorder writes and how big a sample is on disk.
TEST(RunRecorderTest, ThroughputAndBytesPerSample) {
  recording::MemoryFileSystem fs;
  TestClock clock;
  RecorderOptions options = TestOptions(clock);
  options.sample_queue_capacity = 1 << 20;
  absl::StatusOr<std::unique_ptr<RunRecorder>> rec =
      RunRecorder::Start(&fs, kDir, MakeStart(), options);
  ASSERT_TRUE(rec.ok()) << rec.status();
  constexpr size_t kSamples = 600'000;  // 60 s at 10 kHz
  const std::vector<host::Sample> samples = MakeSamples(0, kSamples, 10000);
  const auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < kSamples; i += 200) {
    ASSERT_TRUE((*rec)->AddSamples(&samples[i], 200).ok());
    clock.now = samples[i + 199].host_time_ns;
  }
  ASSERT_TRUE((*rec)->Finish(RecordingEnd{}).ok());
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const RecorderStats stats = (*rec)->stats();
  EXPECT_EQ(stats.samples_written, kSamples);
  std::cout << "recorder: " << kSamples << " samples (60 s at 10 kHz) in " << s
            << " s = " << static_cast<double>(kSamples) / s / 1e6 << " M samples/s (" << 60.0 / s
            << "x real time), " << static_cast<double>(stats.bytes_written) / kSamples
            << " bytes/sample, "
            << "deepest queue " << stats.max_sample_queue << std::endl;
}

}  // namespace
}  // namespace rollrig::recorder
