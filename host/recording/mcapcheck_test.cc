// The independent check: recordings written by McapWriter (and a crashed one finalized by
// FinalizeRecording) are opened by @mcap/core through tests/mcapcheck/check.mjs, and what it
// reads must match our own reader: counts per topic, first and last log times, decoded
// fields.
#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "host/recording/mcap_format.h"
#include "host/recording/mcap_reader.h"
#include "host/recording/mcap_recovery.h"
#include "host/recording/recording_test_util.h"

namespace rollrig::recording {
namespace {

using google::protobuf::Struct;
using testing::TestRecordingSpec;
using testing::WriteTestRecording;

bool NodeAvailable() { return std::system("node --version > /dev/null 2>&1") == 0; }

// Runs the check script; returns its stdout and sets `exit_code`.
std::string RunCheck(const std::vector<std::string>& files, int* exit_code) {
  std::string command = std::string("node ") + ROLLRIG_SOURCE_DIR + "/tests/mcapcheck/check.mjs";
  for (const std::string& f : files) command += " '" + f + "'";
  command += " 2>&1";
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return "popen failed";
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  int status = ::pclose(pipe);
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

struct TopicSummary {
  uint64_t count = 0;
  uint64_t first = 0, last = 0;
};

// Our own reader's view of `path`, per topic.
std::map<std::string, TopicSummary> OurSummary(const std::string& path) {
  std::map<std::string, TopicSummary> topics;
  auto file = RealFileSystem()->OpenForRead(path);
  if (!file.ok()) return topics;
  auto reader = McapReader::Open(file->get());
  if (!reader.ok()) return topics;
  const auto& channels = (*reader)->channels();
  (void)(*reader)->ReadMessages({}, [&](const McapMessage& m) {
    TopicSummary& s = topics[channels.at(m.channel_id).topic];
    if (s.count == 0 || m.log_time < s.first) s.first = m.log_time;
    if (s.count == 0 || m.log_time >= s.last) s.last = m.log_time;
    ++s.count;
    return true;
  });
  return topics;
}

// Runs @mcap/core on `files` and expects no problem and the same topics, counts and times
// as our reader; returns the message count read per file. `complete`: no sample is missing
// (the last /telemetry seq counts the samples before it).
std::map<std::string, uint64_t> ExpectReadersAgree(const std::vector<std::string>& files,
                                                   bool complete = true) {
  std::map<std::string, uint64_t> totals;
  int exit_code = -1;
  std::string output = RunCheck(files, &exit_code);
  EXPECT_EQ(exit_code, 0) << output;

  std::istringstream lines(output);
  std::string line;
  size_t checked = 0;
  while (std::getline(lines, line)) {
    Struct result;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(line, &result).ok()) << line;
    if (!result.fields().contains("file")) continue;
    const std::string path = result.fields().at("file").string_value();
    SCOPED_TRACE(path);
    EXPECT_EQ(result.fields().at("problems").list_value().values_size(), 0) << line;
    const auto& theirs =
        result.fields().at("indexed").struct_value().fields().at("topics").struct_value();
    auto ours = OurSummary(path);
    EXPECT_EQ(static_cast<size_t>(theirs.fields_size()), ours.size()) << line;
    for (const auto& [topic, summary] : ours) {
      if (!theirs.fields().contains(topic)) {
        ADD_FAILURE() << topic << " missing";
        continue;
      }
      const auto& t = theirs.fields().at(topic).struct_value().fields();
      EXPECT_EQ(static_cast<uint64_t>(t.at("count").number_value()), summary.count) << topic;
      totals[path] += summary.count;
      EXPECT_EQ(t.at("first_log_time").string_value(), std::to_string(summary.first)) << topic;
      EXPECT_EQ(t.at("last_log_time").string_value(), std::to_string(summary.last)) << topic;
      if (topic == "/telemetry" && complete) {
        // Decoded by @mcap/support from the embedded FileDescriptorSet: seq counts samples.
        const auto& last = t.at("last").struct_value().fields();
        EXPECT_EQ(last.at("seq").string_value(), std::to_string(summary.count - 1));
        EXPECT_TRUE(last.at("stamp").struct_value().fields().contains("seconds"));
      }
    }
    ++checked;
  }
  EXPECT_EQ(checked, files.size()) << output;
  return totals;
}

TEST(McapCheckTest, TheIndependentReaderAgreesWithOurs) {
  if (!NodeAvailable()) GTEST_SKIP() << "node is not installed (ci/setup.sh installs it)";
  ASSERT_TRUE(std::filesystem::exists(std::string(ROLLRIG_SOURCE_DIR) +
                                      "/tests/mcapcheck/node_modules/@mcap/core"))
      << "run ci/setup.sh: it installs the checker's npm packages (npm ci in tests/mcapcheck)";
  std::string dir_template =
      (std::filesystem::temp_directory_path() / "rollrig_mcapcheck_XXXXXX").string();
  const std::string dir = ::mkdtemp(dir_template.data());
  FileSystem* fs = RealFileSystem();

  std::vector<std::string> files;
  TestRecordingSpec spec;
  spec.samples = 20000;
  ASSERT_TRUE(WriteTestRecording(fs, dir + "/zstd.mcap", spec).ok());
  files.push_back(dir + "/zstd.mcap");

  spec.options.zstd_level = 0;
  spec.options.chunk_max_bytes = 4096;
  spec.samples = 3000;
  ASSERT_TRUE(WriteTestRecording(fs, dir + "/uncompressed.mcap", spec).ok());
  files.push_back(dir + "/uncompressed.mcap");

  TestRecordingSpec empty;
  empty.samples = 0;
  ASSERT_TRUE(WriteTestRecording(fs, dir + "/empty.mcap", empty).ok());
  files.push_back(dir + "/empty.mcap");

  // A crash: the unfinished file cut in the middle of its last chunk, plus zeros.
  TestRecordingSpec crashed;
  crashed.samples = 12000;
  crashed.finish = false;
  auto written = WriteTestRecording(fs, dir + "/crashed.mcap.part", crashed);
  ASSERT_TRUE(written.ok());
  std::filesystem::resize_file(dir + "/crashed.mcap.part", written->bytes - 1500);
  std::filesystem::resize_file(dir + "/crashed.mcap.part", written->bytes + 4096);
  auto report = FinalizeRecording(fs, dir + "/crashed.mcap.part", dir + "/crashed.mcap");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_LT(report->messages_kept, written->messages.size()) << report->ToString();
  EXPECT_GT(report->bytes_dropped, 4096u) << report->ToString();
  files.push_back(dir + "/crashed.mcap");

  ExpectReadersAgree(files);
  std::filesystem::remove_all(dir);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// Offsets of the top-level records with `opcode`.
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

// Finished recordings damaged as disks and copies damage them, salvaged in place: each
// result opens in @mcap/core with the messages our reader and the report count, and the
// damaged original @mcap/core refused is kept beside it.
TEST(McapCheckTest, SalvagedFilesPassTheIndependentReader) {
  if (!NodeAvailable()) GTEST_SKIP() << "node is not installed (ci/setup.sh installs it)";
  std::string dir_template =
      (std::filesystem::temp_directory_path() / "rollrig_mcapcheck_XXXXXX").string();
  const std::string dir = ::mkdtemp(dir_template.data());
  FileSystem* fs = RealFileSystem();
  TestRecordingSpec spec;
  spec.samples = 20000;
  auto written = WriteTestRecording(fs, dir + "/source.mcap", spec);
  ASSERT_TRUE(written.ok());
  const std::string full = ReadFile(dir + "/source.mcap");
  const std::vector<size_t> chunks = RecordsWith(full, mcap::kChunk);
  const std::vector<size_t> indexes = RecordsWith(full, mcap::kMessageIndex);
  ASSERT_GE(chunks.size(), 4u);
  ASSERT_GE(indexes.size(), 3u);
  uint64_t third_length;
  std::memcpy(&third_length, full.data() + chunks[2] + 1, 8);
  uint64_t summary_start;
  std::memcpy(&summary_start,
              full.data() + full.size() - mcap::kMagicSize - mcap::kFooterContentSize, 8);
  ASSERT_LT(summary_start, full.size());

  struct Damage {
    std::string name;
    std::string bytes;
    bool drops_messages;
  };
  std::vector<Damage> damages;
  std::string b = full;
  for (size_t k = 0; k < 16; ++k) b[chunks[2] + 9 + third_length / 2 + k] ^= 0x5A;
  damages.push_back({"compressed-data", b, true});
  b = full;
  b[chunks[1] + 9 + 24] ^= 0x01;  // the chunk's CRC field
  damages.push_back({"chunk-header", b, true});
  b = full;
  b[indexes[2] + 9 + 6 + 8] ^= 0x02;  // the first entry's offset
  damages.push_back({"message-index", b, false});
  b = full;
  b[summary_start + (full.size() - summary_start) / 2] ^= 0x04;
  damages.push_back({"summary", b, false});
  damages.push_back({"cut-mid-chunk", full.substr(0, chunks[3] + 200), true});

  std::vector<std::string> files;
  std::map<std::string, uint64_t> kept;
  for (const Damage& d : damages) {
    const std::string path = dir + "/" + d.name + ".mcap";
    WriteFile(path, d.bytes);
    int exit_code = 0;
    RunCheck({path}, &exit_code);
    EXPECT_NE(exit_code, 0) << d.name << ": the damage did not show";
    auto report = FinalizeRecording(fs, path, path);
    ASSERT_TRUE(report.ok()) << d.name << ": " << report.status();
    EXPECT_TRUE(report->validated);
    EXPECT_EQ(ReadFile(path + ".damaged"), d.bytes) << d.name;
    if (d.drops_messages) {
      EXPECT_LT(report->messages_kept, written->messages.size()) << report->ToString();
    } else {
      EXPECT_EQ(report->messages_kept, written->messages.size()) << report->ToString();
    }
    files.push_back(path);
    kept[path] = report->messages_kept;
  }
  EXPECT_EQ(ExpectReadersAgree(files, /*complete=*/false), kept);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rollrig::recording
