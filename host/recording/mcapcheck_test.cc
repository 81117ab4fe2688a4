// The independent check: recordings written by McapWriter (and a crashed one finalized by
// FinalizeRecording) are opened by @mcap/core through tests/mcapcheck/check.mjs, and what it
// reads must match our own reader: counts per topic, first and last log times, decoded
// fields.
#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
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

  int exit_code = -1;
  std::string output = RunCheck(files, &exit_code);
  EXPECT_EQ(exit_code, 0) << output;

  std::istringstream lines(output);
  std::string line;
  size_t checked = 0;
  while (std::getline(lines, line)) {
    Struct result;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &result).ok()) << line;
    const std::string path = result.fields().at("file").string_value();
    SCOPED_TRACE(path);
    EXPECT_EQ(result.fields().at("problems").list_value().values_size(), 0) << line;
    const auto& theirs =
        result.fields().at("indexed").struct_value().fields().at("topics").struct_value();
    auto ours = OurSummary(path);
    EXPECT_EQ(static_cast<size_t>(theirs.fields_size()), ours.size()) << line;
    for (const auto& [topic, summary] : ours) {
      ASSERT_TRUE(theirs.fields().contains(topic)) << topic;
      const auto& t = theirs.fields().at(topic).struct_value().fields();
      EXPECT_EQ(static_cast<uint64_t>(t.at("count").number_value()), summary.count) << topic;
      EXPECT_EQ(t.at("first_log_time").string_value(), std::to_string(summary.first)) << topic;
      EXPECT_EQ(t.at("last_log_time").string_value(), std::to_string(summary.last)) << topic;
      if (topic == "/telemetry") {
        // Decoded by @mcap/support from the embedded FileDescriptorSet: seq counts samples.
        const auto& last = t.at("last").struct_value().fields();
        EXPECT_EQ(last.at("seq").string_value(), std::to_string(summary.count - 1));
        EXPECT_TRUE(last.at("stamp").struct_value().fields().contains("seconds"));
      }
    }
    ++checked;
  }
  EXPECT_EQ(checked, files.size()) << output;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rollrig::recording
