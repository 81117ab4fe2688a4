// FinalizeRecording: a recording cut at every record boundary and at random offsets, with
// zero and random tails, becomes a valid file holding a prefix of what was written.
#include "host/recording/mcap_recovery.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "host/recording/fault_injecting_file_system.h"
#include "host/recording/mcap_format.h"
#include "host/recording/memory_file_system.h"
#include "host/recording/recording_test_util.h"

namespace rollrig::recording {
namespace {

using ::testing::HasSubstr;
using testing::ReadAllMessages;
using testing::SortedByTopicAndTime;
using testing::TestRecordingSpec;
using testing::WriteTestRecording;
using testing::WrittenMessage;

// Record boundaries of an MCAP file (offsets where each record starts, and its end).
std::vector<size_t> RecordBoundaries(const std::string& bytes) {
  std::vector<size_t> boundaries = {0, mcap::kMagicSize};
  size_t pos = mcap::kMagicSize;
  while (pos + mcap::kRecordHeaderSize <= bytes.size()) {
    uint64_t length;
    std::memcpy(&length, bytes.data() + pos + 1, 8);
    if (length > bytes.size() - pos - mcap::kRecordHeaderSize) break;
    pos += mcap::kRecordHeaderSize + length;
    boundaries.push_back(pos);
  }
  return boundaries;
}

// True if every message of `got` is one of `written`, and, per topic, `got` is the first
// messages of `written` (nothing skipped, nothing invented).
::testing::AssertionResult IsPrefixPerTopic(const std::vector<WrittenMessage>& got,
                                            const std::vector<WrittenMessage>& written) {
  auto a = SortedByTopicAndTime(got);
  auto b = SortedByTopicAndTime(written);
  std::map<std::string, size_t> next;  // topic -> index into b
  std::map<std::string, size_t> first;
  for (size_t i = 0; i < b.size(); ++i) first.try_emplace(b[i].topic, i);
  for (const WrittenMessage& m : a) {
    auto it = first.find(m.topic);
    if (it == first.end()) return ::testing::AssertionFailure() << "unknown topic " << m.topic;
    size_t& i = next.try_emplace(m.topic, it->second).first->second;
    if (i >= b.size() || b[i].topic != m.topic || b[i].log_time != m.log_time ||
        b[i].sequence != m.sequence || b[i].data != m.data || b[i].publish_time != m.publish_time) {
      return ::testing::AssertionFailure()
             << m.topic << " message seq " << m.sequence << " is not the next written one";
    }
    ++i;
  }
  return ::testing::AssertionSuccess();
}

class RecoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TestRecordingSpec spec;
    spec.samples = 1500;
    spec.options.chunk_max_bytes = 8 * 1024;
    auto written = WriteTestRecording(&fs_, "/full.mcap", spec);
    ASSERT_TRUE(written.ok()) << written.status();
    written_ = written->messages;
    full_ = *fs_.Contents("/full.mcap");
    // The same recording without its summary: as a crash after the last chunk leaves it.
    spec.finish = false;
    ASSERT_TRUE(WriteTestRecording(&fs_, "/open.mcap.part", spec).ok());
    open_ = *fs_.Contents("/open.mcap.part");
  }

  // Finalizes `bytes` and checks the result: opens with a summary, holds a prefix.
  // `cut`: where the written file was cut before the tail was added.
  void FinalizeAndCheck(const std::string& bytes, size_t cut, const std::string& what) {
    SCOPED_TRACE(what);
    fs_.SetContents("/x.mcap.part", bytes);
    auto report = FinalizeRecording(&fs_, "/x.mcap.part", "/x.mcap");
    if (cut < RecordBoundaries(full_)[2]) {  // the Header itself is incomplete
      if (report.ok()) {
        // A random tail may complete a header by chance; the result must still be valid.
        EXPECT_TRUE(ReadAllMessages(&fs_, "/x.mcap").ok());
      } else {
        EXPECT_EQ(report.status().code(), absl::StatusCode::kDataLoss);
        EXPECT_TRUE(fs_.Exists("/x.mcap.part"));
      }
      return;
    }
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_FALSE(fs_.Exists("/x.mcap.part"));
    bool has_summary = false;
    auto read = ReadAllMessages(&fs_, "/x.mcap", &has_summary);
    ASSERT_TRUE(read.ok()) << read.status() << " after " << report->ToString();
    EXPECT_TRUE(has_summary);
    EXPECT_EQ(read->size(), report->messages_kept);
    EXPECT_TRUE(IsPrefixPerTopic(*read, written_));
    // Finalizing again leaves it as is.
    auto again = FinalizeRecording(&fs_, "/x.mcap", "/x.mcap");
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_TRUE(again->was_complete);
    EXPECT_EQ(again->messages_kept, report->messages_kept);
  }

  MemoryFileSystem fs_;
  std::vector<WrittenMessage> written_;
  std::string full_, open_;
};

TEST_F(RecoveryTest, ACompleteFileIsLeftAsIsAndRenamed) {
  fs_.SetContents("/c.mcap.part", full_);
  auto report = FinalizeRecording(&fs_, "/c.mcap.part", "/c.mcap");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->was_complete);
  EXPECT_EQ(report->messages_kept, written_.size());
  EXPECT_EQ(*fs_.Contents("/c.mcap"), full_);
  EXPECT_THAT(report->ToString(), HasSubstr("already complete"));
}

TEST_F(RecoveryTest, AnUnfinishedFileKeepsEveryMessage) {
  fs_.SetContents("/o.mcap.part", open_);
  auto report = FinalizeRecording(&fs_, "/o.mcap.part", "/o.mcap");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_FALSE(report->was_complete);
  EXPECT_EQ(report->messages_kept, written_.size());
  EXPECT_EQ(report->bytes_dropped, 0u);
  EXPECT_EQ(report->last_log_time, written_.back().log_time);
  auto read = ReadAllMessages(&fs_, "/o.mcap");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->size(), written_.size());
  EXPECT_THAT(report->ToString(), HasSubstr("messages, last message at 2025-10-09"));
}

TEST_F(RecoveryTest, CutAtEveryRecordBoundaryWithAndWithoutTails) {
  std::mt19937_64 random(20251121);
  for (const std::string* source : {&open_, &full_}) {
    for (size_t cut : RecordBoundaries(*source)) {
      std::string prefix = source->substr(0, cut);
      FinalizeAndCheck(prefix, cut, "cut at " + std::to_string(cut));
      FinalizeAndCheck(prefix + std::string(4096, '\0'), cut,
                       "zero tail at " + std::to_string(cut));
      std::string noise(1 + random() % 300, '\0');
      for (char& c : noise) c = static_cast<char>(random());
      FinalizeAndCheck(prefix + noise, cut, "random tail at " + std::to_string(cut));
      if (HasFailure()) return;
    }
  }
}

TEST_F(RecoveryTest, CutAtRandomOffsetsWithAndWithoutTails) {
  std::mt19937_64 random(7);
  for (int i = 0; i < 300; ++i) {
    const std::string& source = i % 2 ? open_ : full_;
    size_t cut = random() % (source.size() + 1);
    std::string prefix = source.substr(0, cut);
    switch (i % 3) {
      case 0:
        break;
      case 1:
        prefix += std::string(random() % 5000, '\0');
        break;
      default:
        for (size_t n = random() % 5000; n > 0; --n) prefix.push_back(static_cast<char>(random()));
    }
    FinalizeAndCheck(prefix, cut, "random cut " + std::to_string(i) + " at " + std::to_string(cut));
    if (HasFailure()) return;
  }
}

TEST_F(RecoveryTest, ALastChunkFailingItsCrcIsDropped) {
  std::vector<size_t> boundaries = RecordBoundaries(open_);
  // The last chunk: find the last Chunk record start.
  size_t last_chunk = 0;
  for (size_t i = 1; i + 1 < boundaries.size(); ++i) {
    if (static_cast<uint8_t>(open_[boundaries[i]]) == mcap::kChunk) last_chunk = boundaries[i];
  }
  ASSERT_GT(last_chunk, 0u);
  std::string damaged = open_;
  damaged[last_chunk + 80] ^= 0x01;
  fs_.SetContents("/d.mcap.part", damaged);
  auto report = FinalizeRecording(&fs_, "/d.mcap.part", "/d.mcap");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->chunks_dropped, 1u);
  EXPECT_EQ(report->bytes_kept, last_chunk);
  auto read = ReadAllMessages(&fs_, "/d.mcap");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_LT(read->size(), written_.size());
  EXPECT_TRUE(IsPrefixPerTopic(*read, written_));
}

TEST_F(RecoveryTest, NotAnMcapFileIsAClearError) {
  fs_.SetContents("/n.mcap.part", "hello, this is not a recording");
  auto report = FinalizeRecording(&fs_, "/n.mcap.part", "/n.mcap");
  EXPECT_EQ(report.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(report.status().message()), HasSubstr("/n.mcap.part"));
  EXPECT_TRUE(fs_.Exists("/n.mcap.part"));  // never renamed or deleted
}

TEST(RecoveryFaultTest, OutOfSpaceMidWriteGivesAClearErrorAndWhatWasSyncedFinalizes) {
  MemoryFileSystem memory;
  FaultInjectingFileSystem fs(&memory);
  fs.SetWriteBudget(60'000);
  TestRecordingSpec spec;
  spec.samples = 20000;
  spec.options.chunk_max_bytes = 16 * 1024;
  auto written = WriteTestRecording(&fs, "/runs/r.mcap.part", spec);
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(written.status().message(), "no space left on device writing /runs/r.mcap.part");

  // Power is lost too: only the synced bytes survive. Space is back for finalizing.
  ASSERT_TRUE(fs.CrashKeepingSyncedBytes().ok());
  fs.SetWriteBudget(std::nullopt);
  const uint64_t synced = memory.SyncedBytes("/runs/r.mcap.part");
  EXPECT_GT(synced, 1000u);
  auto report = FinalizeRecording(&fs, "/runs/r.mcap.part", "/runs/r.mcap");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->bytes_dropped, 0u);  // synced data ends on a record boundary
  EXPECT_GT(report->messages_kept, 100u);
  bool has_summary = false;
  auto read = ReadAllMessages(&memory, "/runs/r.mcap", &has_summary);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(has_summary);
  EXPECT_EQ(read->size(), report->messages_kept);
}

TEST(RecoveryFaultTest, AFailedSyncStopsTheWriterWithItsError) {
  MemoryFileSystem memory;
  FaultInjectingFileSystem fs(&memory);
  fs.SetSyncFails(true);
  TestRecordingSpec spec;
  auto written = WriteTestRecording(&fs, "/runs/s.mcap.part", spec);
  ASSERT_FALSE(written.ok());
  EXPECT_THAT(std::string(written.status().message()), HasSubstr("syncing /runs/s.mcap.part"));
}

}  // namespace
}  // namespace rollrig::recording
