// ValidateMcap and FinalizeRecording on finished files damaged in every part that matters:
// a chunk's header, its compressed data, its length, a message index, the summary, a cut
// mid-chunk, every chunk at once; and an intact file, which must stay untouched. The
// salvage keeps every intact chunk, reports each dropped one, and its result validates.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "host/recording/fault_injecting_file_system.h"
#include "host/recording/mcap_format.h"
#include "host/recording/mcap_recovery.h"
#include "host/recording/mcap_validation.h"
#include "host/recording/memory_file_system.h"
#include "host/recording/recording_test_util.h"

namespace rollrig::recording {
namespace {

using ::testing::HasSubstr;
using testing::ReadAllMessages;
using testing::TestRecordingSpec;
using testing::WriteTestRecording;
using testing::WrittenMessage;

// Offsets of the top-level records with `opcode`, walking the file from its Header.
std::vector<size_t> RecordsWith(const std::string& bytes, uint8_t opcode) {
  std::vector<size_t> found;
  size_t pos = mcap::kMagicSize;
  while (pos + mcap::kRecordHeaderSize <= bytes.size()) {
    uint64_t length;
    std::memcpy(&length, bytes.data() + pos + 1, 8);
    if (length > bytes.size() - pos - mcap::kRecordHeaderSize) break;
    if (static_cast<uint8_t>(bytes[pos]) == opcode) found.push_back(pos);
    pos += mcap::kRecordHeaderSize + length;
  }
  return found;
}

uint64_t SummaryStart(const std::string& bytes) {
  uint64_t start;
  std::memcpy(&start,
              bytes.data() + bytes.size() - mcap::kMagicSize - mcap::kFooterRecordSize +
                  mcap::kRecordHeaderSize,
              8);
  return start;
}

// True if every message of `got` was written, none twice.
::testing::AssertionResult IsSubsetOfWritten(const std::vector<WrittenMessage>& got,
                                             const std::vector<WrittenMessage>& written) {
  auto key = [](const WrittenMessage& m) {
    return std::tie(m.topic, m.log_time, m.sequence, m.publish_time, m.data);
  };
  std::vector<WrittenMessage> a = got, b = written;
  auto less = [&](const WrittenMessage& x, const WrittenMessage& y) { return key(x) < key(y); };
  std::sort(a.begin(), a.end(), less);
  std::sort(b.begin(), b.end(), less);
  if (std::includes(b.begin(), b.end(), a.begin(), a.end(), less) &&
      std::adjacent_find(a.begin(), a.end(), [&](const auto& x, const auto& y) {
        return key(x) == key(y);
      }) == a.end()) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "messages read that were not written (or twice)";
}

class SalvageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TestRecordingSpec spec;
    spec.samples = 3000;
    spec.options.chunk_max_bytes = 8 * 1024;
    auto written = WriteTestRecording(&fs_, "/full.mcap", spec);
    ASSERT_TRUE(written.ok()) << written.status();
    written_ = written->messages;
    full_ = *fs_.Contents("/full.mcap");
    chunks_ = RecordsWith(full_, mcap::kChunk);
    ASSERT_GE(chunks_.size(), 6u);
    auto check = Validate(full_);
    ASSERT_TRUE(check.valid()) << check.ProblemsText();
    for (const McapChunkCheck& chunk : check.chunks) intact_chunks_[chunk.offset] = chunk;
  }

  McapValidation Validate(const std::string& bytes) {
    fs_.SetContents("/v.mcap", bytes);
    auto file = fs_.OpenForRead("/v.mcap");
    EXPECT_TRUE(file.ok());
    auto check = ValidateMcap(file->get());
    EXPECT_TRUE(check.ok()) << check.status();
    return check.ok() ? *check : McapValidation{};
  }

  // Recovers `bytes` as /r.mcap in place; checks what any salvage must hold: the result
  // validates and opens in our reader, the original is kept beside it, no temporary left.
  RecoveryReport RecoverInPlace(const std::string& bytes) {
    fs_.SetContents("/r.mcap", bytes);
    auto report = FinalizeRecording(&fs_, "/r.mcap", "/r.mcap");
    EXPECT_TRUE(report.ok()) << report.status();
    if (!report.ok()) return {};
    EXPECT_TRUE(report->rewritten);
    EXPECT_TRUE(report->validated);
    EXPECT_EQ(report->damaged_copy, "/r.mcap.damaged");
    EXPECT_EQ(fs_.Contents("/r.mcap.damaged"), bytes);
    EXPECT_FALSE(fs_.Exists("/r.mcap.salvage"));
    EXPECT_THAT(report->ToString(), HasSubstr("the result passed validation"));
    auto check = Validate(*fs_.Contents("/r.mcap"));
    EXPECT_TRUE(check.valid()) << check.ProblemsText();
    bool has_summary = false;
    auto read = ReadAllMessages(&fs_, "/r.mcap", &has_summary);
    EXPECT_TRUE(read.ok()) << read.status();
    EXPECT_TRUE(has_summary);
    if (read.ok()) {
      read_ = *read;
      EXPECT_EQ(read_.size(), report->messages_kept);
      EXPECT_TRUE(IsSubsetOfWritten(read_, written_));
    }
    return *report;
  }

  // The report names chunk `i` of the original as dropped, with its time range and count.
  void ExpectDroppedChunk(const RecoveryReport& report, size_t i) {
    ASSERT_EQ(report.dropped.size(), 1u) << report.ToString();
    const DroppedChunk& d = report.dropped[0];
    const McapChunkCheck& truth = intact_chunks_.at(chunks_[i]);
    EXPECT_EQ(d.offset, chunks_[i]);
    EXPECT_TRUE(d.times_known);
    EXPECT_EQ(d.start_time, truth.start_time);
    EXPECT_EQ(d.end_time, truth.end_time);
    EXPECT_TRUE(d.messages_known);
    EXPECT_EQ(d.messages, truth.messages);
    EXPECT_EQ(report.chunks_dropped, 1u);
    EXPECT_EQ(report.chunks_kept, chunks_.size() - 1);
    EXPECT_EQ(report.messages_kept, written_.size() - truth.messages);
    EXPECT_THAT(report.ToString(),
                HasSubstr(absl::StrCat("dropped the chunk at byte ", chunks_[i])));
    EXPECT_THAT(report.ToString(), HasSubstr(absl::StrCat(truth.messages, " messages lost")));
  }

  MemoryFileSystem fs_;
  std::vector<WrittenMessage> written_, read_;
  std::string full_;
  std::vector<size_t> chunks_;
  std::map<uint64_t, McapChunkCheck> intact_chunks_;
};

TEST_F(SalvageTest, AnIntactFileIsValidatedAndLeftUntouched) {
  fs_.SetContents("/i.mcap", full_);
  auto report = FinalizeRecording(&fs_, "/i.mcap", "/i.mcap");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->was_complete);
  EXPECT_TRUE(report->validated);
  EXPECT_EQ(report->messages_kept, written_.size());
  EXPECT_EQ(report->chunks_kept, chunks_.size());
  EXPECT_EQ(fs_.Contents("/i.mcap"), full_);
  EXPECT_FALSE(fs_.Exists("/i.mcap.damaged"));
  EXPECT_THAT(report->ToString(), HasSubstr("already complete (validated"));
}

TEST_F(SalvageTest, DamageInAChunkHeaderDropsThatChunkOnly) {
  std::string damaged = full_;
  // The uncompressed CRC field: start time, end time and uncompressed size come first.
  damaged[chunks_[2] + mcap::kRecordHeaderSize + 24] ^= 0x10;
  auto check = Validate(damaged);
  ASSERT_FALSE(check.valid());
  EXPECT_EQ(check.problems[0].offset, chunks_[2]);
  EXPECT_THAT(check.problems[0].what, HasSubstr("CRC mismatch"));
  ExpectDroppedChunk(RecoverInPlace(damaged), 2);
}

TEST_F(SalvageTest, AnUnreadableCompressionNameDropsThatChunk) {
  std::string damaged = full_;
  damaged[chunks_[1] + mcap::kRecordHeaderSize + 28 + 4] = 'X';  // "zstd" -> "Xstd"
  ExpectDroppedChunk(RecoverInPlace(damaged), 1);
}

TEST_F(SalvageTest, DamageInCompressedDataDropsThatChunkOnly) {
  std::string damaged = full_;
  uint64_t length;
  std::memcpy(&length, full_.data() + chunks_[3] + 1, 8);
  for (size_t k = 0; k < 16; ++k) damaged[chunks_[3] + 9 + length / 2 + k] ^= 0x5A;
  auto report = RecoverInPlace(damaged);
  ExpectDroppedChunk(report, 3);
  // Every other chunk's messages are all there.
  EXPECT_EQ(read_.size(), written_.size() - intact_chunks_.at(chunks_[3]).messages);
}

TEST_F(SalvageTest, AChunkWhoseLengthIsDamagedIsReportedFromTheChunkIndex) {
  std::string damaged = full_;
  damaged[chunks_[4] + 1 + 6] ^= 0x01;  // the record length jumps past the file's end
  auto report = RecoverInPlace(damaged);
  ExpectDroppedChunk(report, 4);
  EXPECT_THAT(report.dropped[0].reason, HasSubstr("length"));
}

TEST_F(SalvageTest, AWrongTimeInAChunkHeaderIsRepairedKeepingEveryMessage) {
  std::string damaged = full_;
  damaged[chunks_[2] + mcap::kRecordHeaderSize + 8] ^= 0x01;  // end time, 1 ns later
  auto report = RecoverInPlace(damaged);
  EXPECT_EQ(report.chunks_dropped, 0u);
  EXPECT_EQ(report.messages_kept, written_.size());
  EXPECT_THAT(report.ToString(), HasSubstr("time range disagrees"));
}

TEST_F(SalvageTest, ADamagedMessageIndexIsRebuiltKeepingEveryMessage) {
  std::vector<size_t> indexes = RecordsWith(full_, mcap::kMessageIndex);
  ASSERT_GT(indexes.size(), 4u);
  std::string damaged = full_;
  damaged[indexes[3] + mcap::kRecordHeaderSize + 6 + 16 + 9] ^= 0x40;  // 2nd entry's offset
  auto check = Validate(damaged);
  ASSERT_FALSE(check.valid());
  EXPECT_EQ(check.problems[0].offset, indexes[3]);
  EXPECT_THAT(check.problems[0].what, HasSubstr("disagrees with its messages"));
  auto report = RecoverInPlace(damaged);
  EXPECT_EQ(report.chunks_dropped, 0u);
  EXPECT_EQ(report.messages_kept, written_.size());
}

TEST_F(SalvageTest, ADamagedSummaryIsRebuiltKeepingEveryMessage) {
  const uint64_t summary = SummaryStart(full_);
  // A byte in the middle of the summary (the chunk indexes), then one in the statistics.
  for (uint64_t at : {summary + (full_.size() - summary) / 2, summary + 40}) {
    std::string damaged = full_;
    damaged[at] ^= 0x08;
    auto check = Validate(damaged);
    ASSERT_FALSE(check.valid());
    EXPECT_THAT(check.ProblemsText(), HasSubstr("summary CRC mismatch"));
    auto report = RecoverInPlace(damaged);
    EXPECT_EQ(report.chunks_dropped, 0u);
    EXPECT_EQ(report.messages_kept, written_.size());
    ASSERT_TRUE(fs_.Remove("/r.mcap.damaged").ok());
  }
}

TEST_F(SalvageTest, ASchemaDamagedInTheDataSectionIsRestoredFromTheSummary) {
  const std::vector<size_t> schemas = RecordsWith(full_, mcap::kSchema);
  ASSERT_FALSE(schemas.empty());
  std::string damaged = full_;
  damaged[schemas[0] + 200] ^= 0x20;  // inside the FileDescriptorSet
  auto check = Validate(damaged);
  EXPECT_THAT(check.ProblemsText(), HasSubstr("differs from the summary's copy"));
  auto report = RecoverInPlace(damaged);
  EXPECT_EQ(report.chunks_dropped, 0u);
  EXPECT_EQ(report.messages_kept, written_.size());
  EXPECT_EQ(Validate(*fs_.Contents("/r.mcap")).schemas, Validate(full_).schemas);
}

TEST_F(SalvageTest, AFinishedFileCutMidChunkKeepsEveryChunkBeforeTheCut) {
  const std::string cut = full_.substr(0, chunks_[5] + 100);
  auto report = RecoverInPlace(cut);
  EXPECT_EQ(report.chunks_kept, 5u);
  EXPECT_EQ(report.chunks_dropped, 1u);
  uint64_t before = 0;
  for (size_t i = 0; i < 5; ++i) before += intact_chunks_.at(chunks_[i]).messages;
  EXPECT_EQ(report.messages_kept, before);
}

TEST_F(SalvageTest, AFileWhoseChunksAreAllDamagedIsRefusedAndLeftAsItIs) {
  std::string damaged = full_;
  for (size_t chunk : chunks_) damaged[chunk + mcap::kRecordHeaderSize + 24] ^= 0x01;
  fs_.SetContents("/all.mcap", damaged);
  auto report = FinalizeRecording(&fs_, "/all.mcap", "/all.mcap");
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(report.status().message()),
              HasSubstr(absl::StrCat("/all.mcap: nothing can be salvaged: all ", chunks_.size(),
                                     " chunks are damaged")));
  EXPECT_THAT(std::string(report.status().message()), HasSubstr("CRC mismatch"));
  EXPECT_EQ(fs_.Contents("/all.mcap"), damaged);
  EXPECT_FALSE(fs_.Exists("/all.mcap.damaged"));
  EXPECT_FALSE(fs_.Exists("/all.mcap.salvage"));
}

TEST_F(SalvageTest, APartDamagedBeforeItsEndIsRewrittenToItsFinalName) {
  TestRecordingSpec spec;
  spec.samples = 3000;
  spec.options.chunk_max_bytes = 8 * 1024;
  spec.finish = false;
  ASSERT_TRUE(WriteTestRecording(&fs_, "/p.mcap.part", spec).ok());
  std::string part = *fs_.Contents("/p.mcap.part");
  std::vector<size_t> chunks = RecordsWith(part, mcap::kChunk);
  part[chunks[1] + mcap::kRecordHeaderSize + 24] ^= 0x01;
  // An attachment after the damage: kept and indexed.
  std::string attachment;
  mcap::ByteWriter w(&attachment);
  size_t record = w.BeginRecord(mcap::kAttachment);
  w.U64(1);
  w.U64(2);
  w.String("notes.txt");
  w.String("text/plain");
  w.U64(5);
  w.Bytes("hello", 5);
  w.U32(0);
  w.EndRecord(record);
  part += attachment;
  fs_.SetContents("/p.mcap.part", part);

  auto report = FinalizeRecording(&fs_, "/p.mcap.part", "/p.mcap");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->rewritten);
  EXPECT_EQ(report->chunks_dropped, 1u);
  EXPECT_FALSE(fs_.Exists("/p.mcap.part"));
  EXPECT_EQ(fs_.Contents("/p.mcap.damaged"), part);
  auto check = Validate(*fs_.Contents("/p.mcap"));
  EXPECT_TRUE(check.valid()) << check.ProblemsText();
  EXPECT_EQ(std::count_if(check.records.begin(), check.records.end(),
                          [](const McapRecordRef& r) { return r.opcode == mcap::kAttachment; }),
            1);
  EXPECT_EQ(std::count_if(check.records.begin(), check.records.end(),
                          [](const McapRecordRef& r) { return r.opcode == mcap::kMetadata; }),
            1);
}

TEST_F(SalvageTest, ACrashsTornTailIsStillFinalizedInPlace) {
  TestRecordingSpec spec;
  spec.samples = 3000;
  spec.options.chunk_max_bytes = 8 * 1024;
  spec.finish = false;
  ASSERT_TRUE(WriteTestRecording(&fs_, "/t.mcap.part", spec).ok());
  std::string part = *fs_.Contents("/t.mcap.part");
  part.resize(RecordsWith(part, mcap::kChunk).back() + 100);  // into the last chunk
  fs_.SetContents("/t.mcap.part", part);
  auto report = FinalizeRecording(&fs_, "/t.mcap.part", "/t.mcap");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_FALSE(report->rewritten);
  EXPECT_TRUE(report->validated);
  EXPECT_EQ(report->chunks_dropped, 1u);
  EXPECT_FALSE(fs_.Exists("/t.mcap.damaged"));
  EXPECT_TRUE(Validate(*fs_.Contents("/t.mcap")).valid());
}

TEST(SalvageFaultTest, ARewriteThatCannotBeWrittenLeavesTheOriginalAsItWas) {
  MemoryFileSystem memory;
  TestRecordingSpec spec;
  spec.samples = 3000;
  spec.options.chunk_max_bytes = 8 * 1024;
  ASSERT_TRUE(WriteTestRecording(&memory, "/runs/f.mcap", spec).ok());
  std::string damaged = *memory.Contents("/runs/f.mcap");
  damaged[RecordsWith(damaged, mcap::kChunk)[2] + mcap::kRecordHeaderSize + 24] ^= 0x01;
  memory.SetContents("/runs/f.mcap", damaged);

  FaultInjectingFileSystem fs(&memory);
  fs.SetWriteBudget(10'000);  // the disk fills during the rewrite
  auto report = FinalizeRecording(&fs, "/runs/f.mcap", "/runs/f.mcap");
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(memory.Contents("/runs/f.mcap"), damaged);
  EXPECT_FALSE(memory.Exists("/runs/f.mcap.salvage"));
  EXPECT_FALSE(memory.Exists("/runs/f.mcap.damaged"));

  fs.SetWriteBudget(std::nullopt);
  fs.SetSyncFails(true);  // the rewrite cannot be made durable
  report = FinalizeRecording(&fs, "/runs/f.mcap", "/runs/f.mcap");
  ASSERT_FALSE(report.ok());
  EXPECT_THAT(std::string(report.status().message()), HasSubstr("/runs/f.mcap.salvage"));
  EXPECT_EQ(memory.Contents("/runs/f.mcap"), damaged);
  EXPECT_FALSE(memory.Exists("/runs/f.mcap.salvage"));

  fs.SetSyncFails(false);
  report = FinalizeRecording(&fs, "/runs/f.mcap", "/runs/f.mcap");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(memory.Contents("/runs/f.mcap.damaged"), damaged);
}

TEST(SalvageFaultTest, GarbageNeverCrashesTheCheckOrTheSalvage) {
  MemoryFileSystem fs;
  TestRecordingSpec spec;
  spec.samples = 1500;
  spec.options.chunk_max_bytes = 4 * 1024;
  ASSERT_TRUE(WriteTestRecording(&fs, "/g.mcap", spec).ok());
  const std::string full = *fs.Contents("/g.mcap");
  std::mt19937_64 random(42);
  for (int i = 0; i < 200; ++i) {
    std::string bytes = full;
    for (int k = 0; k < 1 + i % 8; ++k) bytes[random() % bytes.size()] ^= 1 << (random() % 8);
    fs.SetContents("/x.mcap", bytes);
    auto report = FinalizeRecording(&fs, "/x.mcap", "/x.mcap");
    if (report.ok()) {
      auto file = fs.OpenForRead("/x.mcap");
      ASSERT_TRUE(file.ok());
      auto check = ValidateMcap(file->get());
      ASSERT_TRUE(check.ok()) << check.status();
      EXPECT_TRUE(check->valid()) << "flip set " << i << ": " << check->ProblemsText();
    } else {
      EXPECT_NE(report.status().code(), absl::StatusCode::kInternal) << report.status();
      EXPECT_EQ(fs.Contents("/x.mcap"), bytes) << report.status();
    }
    (void)fs.Remove("/x.mcap.damaged");
  }
}

}  // namespace
}  // namespace rollrig::recording
