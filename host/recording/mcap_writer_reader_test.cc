// McapWriter and McapReader together: round trips, statistics, filters, chunk bounds,
// corruption and the parts of the format our writer never emits.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "google/protobuf/descriptor.pb.h"
#include "host/recording/mcap_format.h"
#include "host/recording/mcap_reader.h"
#include "host/recording/mcap_recovery.h"
#include "host/recording/mcap_writer.h"
#include "host/recording/memory_file_system.h"
#include "host/recording/recording_test_util.h"
#include "testdata/test_telemetry.pb.h"

namespace rollrig::recording {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::kRunStartNs;
using testing::ReadAllMessages;
using testing::SortedByTopicAndTime;
using testing::TestRecordingSpec;
using testing::WriteTestRecording;

bool SameMessages(const std::vector<testing::WrittenMessage>& a,
                  const std::vector<testing::WrittenMessage>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].topic != b[i].topic || a[i].sequence != b[i].sequence ||
        a[i].log_time != b[i].log_time || a[i].publish_time != b[i].publish_time ||
        a[i].data != b[i].data) {
      return false;
    }
  }
  return true;
}

TEST(Crc32Test, MatchesTheStandardCheckValue) {
  EXPECT_EQ(mcap::Crc32Update(0, "123456789", 9), 0xCBF43926u);
  // Incremental updates give the same CRC as one pass.
  uint32_t crc = mcap::Crc32Update(0, "1234", 4);
  EXPECT_EQ(mcap::Crc32Update(crc, "56789", 5), 0xCBF43926u);
}

TEST(McapWriterReaderTest, RoundTripsManyChunksAcrossGroups) {
  MemoryFileSystem fs;
  TestRecordingSpec spec;
  spec.samples = 5000;
  spec.options.chunk_max_bytes = 16 * 1024;  // many chunks
  auto written = WriteTestRecording(&fs, "/r.mcap", spec);
  ASSERT_TRUE(written.ok()) << written.status();

  auto file = fs.OpenForRead("/r.mcap");
  ASSERT_TRUE(file.ok());
  auto reader = McapReader::Open(file->get());
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_TRUE((*reader)->has_summary());
  ASSERT_EQ((*reader)->schemas().size(), 2u);
  const McapSchema& schema = (*reader)->schemas().begin()->second;
  EXPECT_EQ(schema.name, "rollrig.recording.test.TestSample");
  EXPECT_EQ(schema.encoding, "protobuf");
  google::protobuf::FileDescriptorSet set;
  ASSERT_TRUE(set.ParseFromString(schema.data));
  ASSERT_EQ(set.file_size(), 2);  // the import first
  EXPECT_EQ(set.file(0).name(), "google/protobuf/timestamp.proto");
  EXPECT_EQ(set.file(1).name(), "testdata/test_telemetry.proto");

  std::map<std::string, uint16_t> ids;
  for (const auto& [id, channel] : (*reader)->channels()) ids[channel.topic] = id;
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ((*reader)->channels().at(ids["/events"]).metadata.at("kind"), "events");
  ASSERT_EQ((*reader)->metadata().size(), 1u);
  EXPECT_EQ((*reader)->metadata()[0].name, "rollrig.run");
  EXPECT_EQ((*reader)->metadata()[0].metadata.at("run_id"), "test-run");

  const McapStatistics& stats = (*reader)->statistics();
  EXPECT_EQ(stats.message_count, written->messages.size());
  EXPECT_EQ(stats.channel_message_counts.at(ids["/telemetry"]), 5000u);
  EXPECT_EQ(stats.channel_message_counts.at(ids["/events"]), 20u);
  EXPECT_EQ(stats.channel_message_counts.at(ids["/overview"]), 50u);
  EXPECT_EQ(stats.message_start_time, kRunStartNs);
  EXPECT_EQ(stats.message_end_time, kRunStartNs + 4999 * spec.sample_period_ns);
  EXPECT_GT(stats.chunk_count, 10u);

  auto read = ReadAllMessages(&fs, "/r.mcap");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(SameMessages(SortedByTopicAndTime(*read), SortedByTopicAndTime(written->messages)));

  // The decoded payload is what was written.
  test::TestSample sample;
  ASSERT_TRUE(sample.ParseFromString(read->front().data));
  EXPECT_EQ(sample.seq(), 0u);
}

TEST(McapWriterReaderTest, UncompressedChunksRoundTrip) {
  MemoryFileSystem fs;
  TestRecordingSpec spec;
  spec.options.zstd_level = 0;
  spec.options.chunk_max_bytes = 8 * 1024;
  auto written = WriteTestRecording(&fs, "/r.mcap", spec);
  ASSERT_TRUE(written.ok()) << written.status();
  auto read = ReadAllMessages(&fs, "/r.mcap");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(SameMessages(SortedByTopicAndTime(*read), SortedByTopicAndTime(written->messages)));
}

TEST(McapWriterReaderTest, FiltersByTopicAndTime) {
  MemoryFileSystem fs;
  TestRecordingSpec spec;
  spec.options.chunk_max_duration_ns = 100'000'000;
  ASSERT_TRUE(WriteTestRecording(&fs, "/r.mcap", spec).ok());
  auto file = fs.OpenForRead("/r.mcap");
  auto reader = McapReader::Open(file->get());
  ASSERT_TRUE(reader.ok());
  McapReadOptions options;
  options.topics = {"/events"};
  options.start_time = kRunStartNs + 500'000'000;
  options.end_time = kRunStartNs + 1'000'000'000;
  std::vector<uint32_t> sequences;
  ASSERT_TRUE((*reader)
                  ->ReadMessages(options,
                                 [&](const McapMessage& m) {
                                   sequences.push_back(m.sequence);
                                   return true;
                                 })
                  .ok());
  EXPECT_THAT(sequences, ElementsAre(2u, 3u));  // events at 500 ms and 750 ms

  // Stopping early.
  int calls = 0;
  ASSERT_TRUE((*reader)->ReadMessages({}, [&](const McapMessage&) { return ++calls < 3; }).ok());
  EXPECT_EQ(calls, 3);
  // An unknown topic reads nothing.
  options.topics = {"/nothing"};
  ASSERT_TRUE((*reader)->ReadMessages(options, [&](const McapMessage&) { return false; }).ok());
}

TEST(McapWriterReaderTest, ChunksCloseAtTheirTimeBoundAndStaleChunksClose) {
  MemoryFileSystem fs;
  auto file = fs.NewWritableFile("/r.mcap");
  McapWriterOptions options;
  options.chunk_max_duration_ns = 500'000'000;
  McapWriter writer(*std::move(file), options);
  ASSERT_TRUE(writer.Open().ok());
  auto schema = writer.AddSchema("rollrig.recording.test.TestEvent", "protobuf",
                                 ProtobufSchemaData(test::TestEvent::descriptor()));
  auto channel = writer.AddChannel("/events", *schema, "protobuf");
  const uint8_t payload[3] = {1, 2, 3};
  ASSERT_TRUE(writer.WriteMessage(*channel, 0, kRunStartNs, kRunStartNs, payload, 3).ok());
  const uint64_t before = writer.bytes_written();
  ASSERT_TRUE(writer.CloseStaleChunks(kRunStartNs + 499'999'999).ok());
  EXPECT_EQ(writer.bytes_written(), before);  // younger than the bound: still open
  ASSERT_TRUE(writer.CloseStaleChunks(kRunStartNs + 500'000'000).ok());
  EXPECT_GT(writer.bytes_written(), before);
  EXPECT_EQ(fs.SyncedBytes("/r.mcap"), writer.bytes_written());  // and it was synced

  // A message 0.5 s after the chunk's first closes that chunk first.
  ASSERT_TRUE(writer.WriteMessage(*channel, 1, kRunStartNs + 1'000'000'000, 0, payload, 3).ok());
  const uint64_t second = writer.bytes_written();
  ASSERT_TRUE(writer.WriteMessage(*channel, 2, kRunStartNs + 1'499'999'999, 0, payload, 3).ok());
  EXPECT_EQ(writer.bytes_written(), second);
  ASSERT_TRUE(writer.WriteMessage(*channel, 3, kRunStartNs + 1'500'000'000, 0, payload, 3).ok());
  EXPECT_GT(writer.bytes_written(), second);
  ASSERT_TRUE(writer.Finish().ok());

  auto read_file = fs.OpenForRead("/r.mcap");
  auto reader = McapReader::Open(read_file->get());
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->statistics().chunk_count, 3u);
  EXPECT_EQ((*reader)->statistics().message_count, 4u);
}

TEST(McapWriterReaderTest, FinishTwiceAndWritesAfterFinishAreErrors) {
  MemoryFileSystem fs;
  McapWriter writer(*fs.NewWritableFile("/r.mcap"), {});
  const uint8_t payload[1] = {7};
  EXPECT_EQ(writer.WriteMessage(1, 0, 1, 1, payload, 1).code(),
            absl::StatusCode::kFailedPrecondition);  // before Open
  ASSERT_TRUE(writer.Open().ok());
  EXPECT_EQ(writer.WriteMessage(9, 0, 1, 1, payload, 1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(writer.AddChannel("/x", 0, "protobuf").status().code(),
            absl::StatusCode::kInvalidArgument);  // protobuf needs a schema
  ASSERT_TRUE(writer.Finish().ok());
  absl::Status again = writer.Finish();
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(again.message()), HasSubstr("already finished"));
  EXPECT_EQ(writer.WriteMetadata("x", {}).code(), absl::StatusCode::kFailedPrecondition);

  // An empty recording is still a valid file with a summary.
  auto read = ReadAllMessages(&fs, "/r.mcap");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(read->empty());
}

TEST(McapWriterReaderTest, AFlippedByteInAChunkIsACrcErrorNamingTheChunk) {
  MemoryFileSystem fs;
  TestRecordingSpec spec;
  spec.options.zstd_level = 0;  // so the flipped byte is inside the CRC'd records, not zstd's
  ASSERT_TRUE(WriteTestRecording(&fs, "/r.mcap", spec).ok());
  std::string bytes = *fs.Contents("/r.mcap");
  auto file = fs.OpenForRead("/r.mcap");
  auto reader = McapReader::Open(file->get());
  ASSERT_TRUE(reader.ok());
  // Find the first chunk: after magic, header, 2 schemas, 3 channels and the metadata.
  size_t pos = mcap::kMagicSize;
  while (static_cast<uint8_t>(bytes[pos]) != mcap::kChunk) {
    uint64_t length;
    std::memcpy(&length, bytes.data() + pos + 1, 8);
    pos += mcap::kRecordHeaderSize + length;
  }
  bytes[pos + 200] ^= 0x20;  // inside a message payload
  fs.SetContents("/r.mcap", bytes);
  auto corrupt_file = fs.OpenForRead("/r.mcap");
  auto corrupt = McapReader::Open(corrupt_file->get());
  ASSERT_TRUE(corrupt.ok()) << corrupt.status();
  absl::Status status = (*corrupt)->ReadMessages({}, [](const McapMessage&) { return true; });
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(status.message()), HasSubstr("chunk at offset " + std::to_string(pos)));
  EXPECT_THAT(std::string(status.message()), HasSubstr("CRC"));
}

// Found by fuzzing: a chunk claiming 1.9 GB of uncompressed records made the reader and
// crash recovery allocate that much for a file of a few kB.
TEST(McapWriterReaderTest, ADamagedUncompressedSizeIsAnErrorNotAHugeAllocation) {
  MemoryFileSystem fs;
  TestRecordingSpec spec;
  spec.finish = false;  // a crashed run's .part: recovery reads its chunks too
  ASSERT_TRUE(WriteTestRecording(&fs, "/r.mcap.part", spec).ok());
  std::string bytes = *fs.Contents("/r.mcap.part");
  // The last chunk (the one recovery checks).
  size_t pos = 0;
  for (size_t at = mcap::kMagicSize; at + mcap::kRecordHeaderSize <= bytes.size();) {
    uint64_t length;
    std::memcpy(&length, bytes.data() + at + 1, 8);
    if (static_cast<uint8_t>(bytes[at]) == mcap::kChunk) pos = at;
    at += mcap::kRecordHeaderSize + length;
  }
  ASSERT_GT(pos, 0u);
  // Chunk: start time, end time, then the uncompressed size.
  const uint64_t claimed = 1'900'000'000;
  std::memcpy(bytes.data() + pos + mcap::kRecordHeaderSize + 16, &claimed, 8);
  fs.SetContents("/r.mcap.part", bytes);

  auto file = fs.OpenForRead("/r.mcap.part");
  auto reader = McapReader::Open(file->get());
  ASSERT_TRUE(reader.ok()) << reader.status();
  absl::Status status = (*reader)->ReadMessages({}, [](const McapMessage&) { return true; });
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("chunk at offset " + std::to_string(pos) +
                        " claims 1900000000 uncompressed bytes, more than its zstd data holds"));

  auto report = FinalizeRecording(&fs, "/r.mcap.part", "/r.mcap");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_GE(report->chunks_dropped, 1u) << report->ToString();
}

TEST(McapWriterReaderTest, CorruptZstdChunksAreErrorsNeverCrashes) {
  MemoryFileSystem fs;
  ASSERT_TRUE(WriteTestRecording(&fs, "/r.mcap", {}).ok());
  const std::string original = *fs.Contents("/r.mcap");
  // Flip every 97th byte in turn (one at a time): never a crash, never silently wrong data.
  auto expected = ReadAllMessages(&fs, "/r.mcap");
  ASSERT_TRUE(expected.ok());
  for (size_t at = 8; at < original.size(); at += 97) {
    std::string bytes = original;
    bytes[at] ^= 0x5A;
    fs.SetContents("/c.mcap", bytes);
    auto read = ReadAllMessages(&fs, "/c.mcap");
    if (read.ok()) {
      // Bytes the reader does not use (data-section copies of summary records, message
      // indexes) may go unnoticed; the messages may not change.
      EXPECT_TRUE(SameMessages(*read, *expected)) << "flipped byte at " << at;
    }
  }
}

// A hand-built file with what our writer never writes: private opcodes, extra trailing
// bytes in known records, a message outside chunks, and no summary.
TEST(McapReaderTest, SkipsUnknownOpcodesAndTrailingBytes) {
  std::string file(reinterpret_cast<const char*>(mcap::kMagic), mcap::kMagicSize);
  mcap::ByteWriter w(&file);
  size_t r = w.BeginRecord(mcap::kHeader);
  w.String("");
  w.String("handmade");
  w.U32(0xDEADBEEF);  // trailing bytes
  w.EndRecord(r);
  r = w.BeginRecord(static_cast<mcap::Opcode>(0x80));
  w.String("private");
  w.EndRecord(r);
  r = w.BeginRecord(mcap::kSchema);
  w.U16(1);
  w.String("S");
  w.String("jsonschema");
  w.String("{}");
  w.U64(42);  // trailing bytes
  w.EndRecord(r);
  r = w.BeginRecord(mcap::kChannel);
  w.U16(3);
  w.U16(1);
  w.String("/a");
  w.String("json");
  w.StringMap({});
  w.U16(99);  // trailing bytes
  w.EndRecord(r);
  // A chunk holding a private record and one message.
  std::string records;
  mcap::ByteWriter c(&records);
  size_t inner = c.BeginRecord(static_cast<mcap::Opcode>(0xFE));
  c.U64(1);
  c.EndRecord(inner);
  inner = c.BeginRecord(mcap::kMessage);
  c.U16(3);
  c.U32(11);
  c.U64(100);
  c.U64(100);
  c.Bytes("{\"x\":1}", 7);
  c.EndRecord(inner);
  r = w.BeginRecord(mcap::kChunk);
  w.U64(100);
  w.U64(100);
  w.U64(records.size());
  w.U32(mcap::Crc32Update(0, records.data(), records.size()));
  w.String("");
  w.U64(records.size());
  w.Bytes(records.data(), records.size());
  w.EndRecord(r);
  r = w.BeginRecord(mcap::kMessage);  // outside chunks
  w.U16(3);
  w.U32(12);
  w.U64(200);
  w.U64(200);
  w.Bytes("{\"x\":2}", 7);
  w.EndRecord(r);
  r = w.BeginRecord(static_cast<mcap::Opcode>(0x99));
  w.EndRecord(r);
  file.append("\x05\x01", 2);  // a torn record at the end

  MemoryFileSystem fs;
  fs.SetContents("/h.mcap", file);
  bool has_summary = true;
  auto read = ReadAllMessages(&fs, "/h.mcap", &has_summary);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_FALSE(has_summary);
  ASSERT_EQ(read->size(), 2u);
  EXPECT_EQ((*read)[0].topic, "/a");
  EXPECT_EQ((*read)[0].sequence, 11u);
  EXPECT_EQ((*read)[0].data, "{\"x\":1}");
  EXPECT_EQ((*read)[1].sequence, 12u);
  auto f = fs.OpenForRead("/h.mcap");
  auto reader = McapReader::Open(f->get());
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->statistics().message_count, 2u);
  EXPECT_EQ((*reader)->schemas().at(1).data, "{}");
}

TEST(McapReaderTest, GarbageIsAnErrorNeverACrash) {
  MemoryFileSystem fs;
  fs.SetContents("/g.mcap", "not an mcap file at all");
  auto f = fs.OpenForRead("/g.mcap");
  EXPECT_EQ(McapReader::Open(f->get()).status().code(), absl::StatusCode::kInvalidArgument);
  // Magic followed by huge lengths.
  std::string bytes(reinterpret_cast<const char*>(mcap::kMagic), mcap::kMagicSize);
  bytes += std::string("\x06\xff\xff\xff\xff\xff\xff\xff\x7f", 9) + std::string(100, '\xff');
  fs.SetContents("/g.mcap", bytes);
  f = fs.OpenForRead("/g.mcap");
  auto reader = McapReader::Open(f->get());
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->statistics().message_count, 0u);
}

TEST(McapReaderTest, Lz4ChunksAreUnimplementedByName) {
  std::string file(reinterpret_cast<const char*>(mcap::kMagic), mcap::kMagicSize);
  mcap::ByteWriter w(&file);
  size_t r = w.BeginRecord(mcap::kHeader);
  w.String("");
  w.String("");
  w.EndRecord(r);
  r = w.BeginRecord(mcap::kChunk);
  w.U64(1);
  w.U64(1);
  w.U64(10);
  w.U32(0);
  w.String("lz4");
  w.U64(4);
  w.U32(0);
  w.EndRecord(r);
  MemoryFileSystem fs;
  fs.SetContents("/l.mcap", file);
  auto read = ReadAllMessages(&fs, "/l.mcap");
  EXPECT_EQ(read.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(read.status().message()), HasSubstr("lz4"));
}

}  // namespace
}  // namespace rollrig::recording
