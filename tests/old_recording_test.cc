// A recording made before the head_current_a channel existed: its telemetry records lack
// the field (proto3 `optional`, never written). Reading it must show the channel as
// absent -- an empty CSV cell, a sample lacking it -- never as zero. The file is made
// here the way an older rigd wrote it: records without the field.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "host/recording/file_system.h"
#include "host/recording/mcap_reader.h"
#include "host/recording/mcap_writer.h"
#include "host/recording/recording_layout.h"
#include "host/rigctl/rigctl.h"
#include "rig/base/telemetry_channels.h"
#include "rollrig/v1/recording.pb.h"
#include "tests/rig_stack.h"

namespace rollrig {
namespace {

constexpr int kSamples = 20;

// Writes kSamples telemetry records as a recording from before head_current_a.
std::string WriteOldRecording() {
  const std::string path = testing::MakeTempDir() + "/old.mcap";
  auto file = recording::RealFileSystem()->NewWritableFile(path);
  EXPECT_TRUE(file.ok()) << file.status();
  recording::McapWriter writer(std::move(*file), recording::McapWriterOptions{});
  EXPECT_TRUE(writer.Open().ok());
  absl::StatusOr<recorder::RecordingChannels> channels = recorder::AddRunChannels(writer);
  EXPECT_TRUE(channels.ok()) << channels.status();
  for (int i = 0; i < kSamples; ++i) {
    v1::TelemetryRecord r;  // the fields an older rigd wrote, and no head_current_a
    r.set_seq(100 + i);
    r.set_device_time_us(1'000'000 + 1000 * i);
    r.set_roller_rpm_cmd(60);
    r.set_roller_rpm(59.5);
    r.set_torque_nm(0.25);
    r.set_force_n(50);
    r.set_current_a(0.4);
    r.set_temp_c(30);
    r.set_segment(0);
    r.set_cycle(1);
    const std::string bytes = r.SerializeAsString();
    const uint64_t t = 1'700'000'000'000'000'000ULL + 1'000'000ULL * i;
    EXPECT_TRUE(writer
                    .WriteMessage(channels->telemetry, static_cast<uint32_t>(i), t, t,
                                  reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size())
                    .ok());
  }
  EXPECT_TRUE(writer.Finish().ok());
  return path;
}

TEST(OldRecordingTest, ReadsTheMissingChannelAsAbsent) {
  const std::string path = WriteOldRecording();
  auto file = recording::RealFileSystem()->OpenForRead(path);
  ASSERT_TRUE(file.ok()) << file.status();
  auto reader = recording::McapReader::Open(file->get());
  ASSERT_TRUE(reader.ok()) << reader.status();
  const size_t head_current = *FindChannel("head_current_a");
  int samples = 0;
  recording::McapReadOptions read;
  read.topics = {recorder::kTelemetryTopic};
  ASSERT_TRUE((*reader)
                  ->ReadMessages(read,
                                 [&](const recording::McapMessage& m) {
                                   v1::TelemetryRecord r;
                                   EXPECT_TRUE(r.ParseFromString(m.data));
                                   host::Sample s;
                                   recorder::RecordToSample(r, &s);
                                   EXPECT_FALSE(ChannelPresent(s, head_current));
                                   EXPECT_FALSE(ChannelValue(s, head_current).has_value());
                                   EXPECT_TRUE(ChannelPresent(s, *FindChannel("torque_nm")));
                                   EXPECT_FLOAT_EQ(s.torque_nm, 0.25f);
                                   ++samples;
                                   return true;
                                 })
                  .ok());
  EXPECT_EQ(samples, kSamples);
}

TEST(OldRecordingTest, ExportShowsTheMissingChannelAsAnEmptyCell) {
  const std::string path = WriteOldRecording();
  std::ostringstream out, err;
  ASSERT_EQ(host::RunRigctl({"export", path, "--format", "csv"}, out, err), 0) << err.str();
  const std::vector<std::string> lines = absl::StrSplit(out.str(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), static_cast<size_t>(kSamples + 1));
  const std::vector<std::string> header = absl::StrSplit(lines[0], ',');
  size_t column = header.size();
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == "head_current_a") column = i;
  }
  ASSERT_LT(column, header.size()) << lines[0];
  for (size_t row = 1; row < lines.size(); ++row) {
    const std::vector<std::string> cells = absl::StrSplit(lines[row], ',');
    ASSERT_EQ(cells.size(), header.size()) << lines[row];
    EXPECT_EQ(cells[column], "") << lines[row];   // absent, not "0.0000"
    EXPECT_EQ(cells[5], "0.2500") << lines[row];  // torque_nm, present
  }
}

}  // namespace
}  // namespace rollrig
