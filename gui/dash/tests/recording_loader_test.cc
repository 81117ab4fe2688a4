#include "gui/dash/recording_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

namespace rollrig::gui {
namespace {

using ::testing::HasSubstr;

std::string Fixture(const std::string& name) {
  return std::string(ROLLRIG_SOURCE_DIR) + "/fixtures/" + name + ".mcap";
}

TEST(RecordingLoader, OpensAFixtureWithItsVerdictCyclesAndLimits) {
  auto rec = LoadRecording(Fixture("swedish"));
  ASSERT_TRUE(rec.ok()) << rec.status();
  const LoadedRecording& r = **rec;
  EXPECT_GT(r.samples, 1000u);
  EXPECT_EQ(r.dropped, 0u);
  EXPECT_FALSE(r.run_id.empty());
  EXPECT_TRUE(r.has_verdict);
  EXPECT_EQ(r.verdict.verdict(), rollrig::v1::VERDICT_PASS);
  ASSERT_EQ(r.cycle_starts.size(), 1u);
  EXPECT_GE(r.cycle_starts[0], 0.0);
  EXPECT_FALSE(r.events.empty());
  EXPECT_TRUE(r.limits.of(ChannelNamed("torque_nm")).has_max);
  std::lock_guard<std::mutex> lock(r.series->mutex());
  EXPECT_EQ(r.series->points(), r.samples);
  EXPECT_DOUBLE_EQ(r.series->t_begin(), 0.0);
  EXPECT_GT(r.series->t_end(), 1.0);
  EXPECT_TRUE(r.points.empty());  // not kept unless asked
}

TEST(RecordingLoader, ATelemetryGapIsCountedAndBreaksTheLine) {
  auto rec = LoadRecording(Fixture("telemetry-gap"), /*keep_points=*/true);
  ASSERT_TRUE(rec.ok()) << rec.status();
  EXPECT_EQ((*rec)->samples, 4770u);
  EXPECT_EQ((*rec)->dropped, 30u);
  EXPECT_EQ((*rec)->points.size(), 4770u);
  size_t gaps = 0;
  for (const TelemetryPoint& p : (*rec)->points) gaps += p.dropped_before > 0;
  EXPECT_EQ(gaps, 1u);
}

TEST(RecordingLoader, BadFilesGetAClearError) {
  auto missing = LoadRecording("/nonexistent/run.mcap");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("/nonexistent/run.mcap"));

  const std::string junk = ::testing::TempDir() + "/junk.mcap";
  std::ofstream(junk) << "this is not an mcap file at all";
  auto bad = LoadRecording(junk);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("junk.mcap"));
}

TEST(RecordingLoader, ARunsFilesReadAsOneRunInOrder) {
  auto one = LoadRecording(Fixture("swedish"));
  ASSERT_TRUE(one.ok()) << one.status();
  auto two = LoadRecording(std::vector<std::string>{Fixture("swedish"), Fixture("swedish")});
  ASSERT_TRUE(two.ok()) << two.status();
  EXPECT_EQ((*two)->samples, 2 * (*one)->samples);
  EXPECT_EQ((*two)->files.size(), 2u);
  EXPECT_EQ((*two)->cycles.size(), 2 * (*one)->cycles.size());
  std::lock_guard<std::mutex> a((*one)->series->mutex()), b((*two)->series->mutex());
  EXPECT_DOUBLE_EQ((*two)->series->t_begin(), 0.0);
  // One time axis: the second file follows the first.
  EXPECT_GT((*two)->series->t_end(), 2 * (*one)->series->t_end() - 0.01);
}

TEST(RecordingLoader, AFileThatBreaksOffShowsWhatCameBeforeAndSaysWhere) {
  const std::string cut = ::testing::TempDir() + "/cut.mcap";
  {
    std::ifstream in(Fixture("swedish"), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  }
  auto rec = LoadRecording(cut);
  if (rec.ok()) {
    EXPECT_GT((*rec)->samples, 100u);
    EXPECT_THAT((*rec)->problem, HasSubstr("cut.mcap"));
  } else {
    EXPECT_THAT(rec.status().message(), HasSubstr("cut.mcap"));  // nothing before the damage
  }
}

}  // namespace
}  // namespace rollrig::gui
