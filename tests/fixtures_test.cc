// The fixtures in fixtures/: each replayed through the analysis gives what its expectation
// says, and re-making one gives the same bytes.
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "host/check/fixture_expectation.h"
#include "host/check/junit_report.h"
#include "host/check/recording_replay.h"
#include "host/check/run_metrics.h"
#include "host/recording/file_system.h"
#include "host/recording/mcap_reader.h"
#include "host/recording/recording_layout.h"
#include "tests/fixture_maker.h"
#include "tests/rig_stack.h"

namespace rollrig::testing {
namespace {

namespace v1 = rollrig::v1;

std::string FixturePath(const std::string& name) {
  return std::string(ROLLRIG_FIXTURES_DIR) + "/" + name + ".mcap";
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class FixtureTest : public ::testing::TestWithParam<std::string> {};

TEST_P(FixtureTest, ReplayThroughTheAnalysisMeetsItsExpectation) {
  const std::string path = FixturePath(GetParam());
  absl::StatusOr<check::ReplayedRun> run = check::ReplayRecordingAnalysis(path);
  ASSERT_TRUE(run.ok()) << run.status();
  absl::StatusOr<v1::FixtureExpectation> expected =
      check::LoadExpectation(check::DefaultExpectationPath(path));
  ASSERT_TRUE(expected.ok()) << expected.status();
  const check::CheckReport report = check::CompareWithExpectation(*run, *expected);
  for (const check::CheckItem& item : report.items) {
    EXPECT_TRUE(item.ok) << item.name << ": expected " << item.expected << ", got " << item.actual;
  }
  // The recorded events end the run (the model does not run out of input first).
  EXPECT_NE(run->state, v1::RUN_STATE_UNSPECIFIED) << run->verdict.reason();
  EXPECT_EQ(run->state == v1::RUN_STATE_COMPLETED, run->verdict.verdict() != v1::VERDICT_ABORTED)
      << v1::RunState_Name(run->state) << ": " << run->state_reason;
  EXPECT_FALSE(expected->description().empty());
  EXPECT_LT(ReadAll(path).size(), 5u << 20);
}

TEST_P(FixtureTest, RemakingGivesTheSameBytesAndTheLiveVerdict) {
  const FixtureSpec* spec = FindFixture(GetParam());
  ASSERT_NE(spec, nullptr);
  const std::string dir = MakeTempDir();
  absl::StatusOr<MadeFixture> made = MakeFixture(*spec, dir);
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_TRUE(ReadAll(made->path) == ReadAll(FixturePath(GetParam())))
      << "fixtures/" << GetParam() << ".mcap differs from a fresh recording: re-make it "
      << "(fixtures/README.md) if the change is intended";
  // The live run's analysis and the replay agree.
  absl::StatusOr<check::ReplayedRun> replayed = check::ReplayRecordingAnalysis(made->path);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_EQ(replayed->verdict.SerializeAsString(), made->run.verdict.SerializeAsString())
      << replayed->verdict.DebugString() << "\nlive:\n"
      << made->run.verdict.DebugString();
  EXPECT_EQ(replayed->samples, made->run.samples);
  EXPECT_EQ(replayed->cycles.size(), made->run.cycles.size());
  RemoveTree(dir);
}

// The recorded /cycles are what rigd would have written: every complete cycle, equal to
// what the analysis recomputes from the samples (`rigctl check`).
TEST_P(FixtureTest, ItsCyclesRecordsAreThoseTheReplayRecomputes) {
  const std::string path = FixturePath(GetParam());
  absl::StatusOr<check::ReplayedRun> run = check::ReplayRecordingAnalysis(path);
  ASSERT_TRUE(run.ok()) << run.status();
  absl::StatusOr<std::unique_ptr<recording::RandomAccessFile>> file =
      recording::RealFileSystem()->OpenForRead(path);
  ASSERT_TRUE(file.ok()) << file.status();
  absl::StatusOr<std::unique_ptr<recording::McapReader>> reader =
      recording::McapReader::Open(file->get());
  ASSERT_TRUE(reader.ok()) << reader.status();
  recording::McapReadOptions options;
  options.topics = {recorder::kCyclesTopic};
  std::vector<v1::CycleStats> recorded;
  ASSERT_TRUE((*reader)
                  ->ReadMessages(options,
                                 [&](const recording::McapMessage& m) {
                                   recorded.emplace_back().ParseFromString(m.data);
                                   return true;
                                 })
                  .ok());
  ASSERT_EQ(recorded.size(), run->cycles.size());
  for (size_t i = 0; i < recorded.size(); ++i) {
    EXPECT_EQ(recorded[i].SerializeAsString(), run->cycles[i].SerializeAsString())
        << "cycle " << i + 1 << " recorded:\n"
        << recorded[i].DebugString() << "recomputed:\n"
        << run->cycles[i].DebugString();
  }
}

INSTANTIATE_TEST_SUITE_P(All, FixtureTest,
                         ::testing::Values("swedish", "deep-tissue", "trigger-point", "kneading",
                                           "endurance", "myofascial-release", "friction", "rolling",
                                           "stall-abort", "over-temperature-fail", "telemetry-gap"),
                         [](const auto& param_info) {
                           std::string name = param_info.param;
                           for (char& c : name) c = c == '-' ? '_' : c;
                           return name;
                         });

TEST(FixtureCheck, AWrongExpectationFailsNamingWhatDiffers) {
  absl::StatusOr<check::ReplayedRun> run =
      check::ReplayRecordingAnalysis(FixturePath("stall-abort"));
  ASSERT_TRUE(run.ok()) << run.status();
  v1::FixtureExpectation expected;
  expected.set_verdict(v1::VERDICT_PASS);
  expected.set_reason_contains("over-temperature");
  expected.set_analysis_version(check::kAnalysisVersion);
  v1::ExpectedMetric* m = expected.add_metrics();
  m->set_name("peak_torque_nm");
  m->set_value(1.0);
  m->set_tolerance(0.1);
  m = expected.add_metrics();
  m->set_name("no such metric");
  const check::CheckReport report = check::CompareWithExpectation(*run, expected);
  EXPECT_FALSE(report.ok());
  size_t failed = 0;
  for (const check::CheckItem& item : report.items) failed += item.ok ? 0 : 1;
  EXPECT_EQ(failed, 4u);  // verdict, reason, both metrics
  const std::string xml = check::JUnitXml("stall-abort.mcap", report, 0.01);
  EXPECT_THAT(xml, ::testing::HasSubstr("tests=\"5\" failures=\"4\""));
  EXPECT_THAT(xml,
              ::testing::HasSubstr("<testcase classname=\"stall-abort.mcap\" name=\"verdict\">"));
  EXPECT_THAT(xml, ::testing::HasSubstr("expected PASS, got ABORTED"));
}

TEST(FixtureCheck, AMissingOrCorruptRecordingIsAClearError) {
  absl::StatusOr<check::ReplayedRun> missing = check::ReplayRecordingAnalysis("/nonexistent.mcap");
  EXPECT_FALSE(missing.ok());
  const std::string dir = MakeTempDir();
  const std::string truncated = dir + "/truncated.mcap";
  const std::string bytes = ReadAll(FixturePath("swedish"));
  std::ofstream(truncated, std::ios::binary) << bytes.substr(0, 100);
  absl::StatusOr<check::ReplayedRun> bad = check::ReplayRecordingAnalysis(truncated);
  EXPECT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), ::testing::HasSubstr("truncated.mcap"));
  RemoveTree(dir);
}

TEST(FixtureCheck, DefaultExpectationSitsBesideTheRecording) {
  EXPECT_EQ(check::DefaultExpectationPath("fixtures/swedish.mcap"),
            "fixtures/swedish.expect.textproto");
}

}  // namespace
}  // namespace rollrig::testing
