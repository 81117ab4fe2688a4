// Every fixture replayed as the device through rigd (`--device replay-fast:FIXTURE`): a
// run started on it with the recorded profile makes the replay play, and a telemetry
// subscriber gets every recorded sample of the program, with no loss beyond the gaps the
// recording itself holds.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "host/check/recording_replay.h"
#include "host/profile_loader/profile_loader.h"
#include "host/recording/sample.h"
#include "host/transport/mcap_replay_source.h"
#include "tests/fixture_maker.h"
#include "tests/rig_stack.h"

namespace rollrig::testing {
namespace {

namespace v1 = rollrig::v1;

class FixtureReplayTest : public ::testing::TestWithParam<std::string> {};

TEST_P(FixtureReplayTest, RigdGetsEverySampleOfTheRecording) {
  const std::string path = std::string(ROLLRIG_FIXTURES_DIR) + "/" + GetParam() + ".mcap";
  absl::StatusOr<std::unique_ptr<host::McapReplaySource>> source =
      host::McapReplaySource::Open(path, host::ProgramOf);
  ASSERT_TRUE(source.ok()) << source.status();
  const uint64_t expected_samples = (*source)->samples_to_play();
  absl::StatusOr<check::ReplayedRun> analysed = check::ReplayRecordingAnalysis(path);
  ASSERT_TRUE(analysed.ok()) << analysed.status();
  ASSERT_GT(expected_samples, 0u);

  RigStack stack("replay-fast:" + path);
  ASSERT_TRUE(stack.started().ok()) << stack.started();
  ASSERT_TRUE(stack.connected().ok()) << stack.connected();
  auto subscription = stack.app().device().telemetry().Subscribe(expected_samples + 1000);

  const FixtureSpec* spec = FindFixture(GetParam());
  ASSERT_NE(spec, nullptr);
  v1::StartRunRequest request;
  if (spec->preset.empty()) {  // a fixture of a profile's text (a preset's short variant)
    request.mutable_spec()->mutable_profile()->set_file_name(spec->name + ".textproto");
    request.mutable_spec()->mutable_profile()->set_text(spec->profile_text);
  } else {
    request.mutable_spec()->mutable_profile()->set_preset(spec->preset);
  }
  request.mutable_spec()->set_cycles(spec->cycles);
  v1::RunInfo run;
  grpc::Status started = stack.stub()->StartRun(stack.Context().get(), request, &run);
  ASSERT_TRUE(started.ok()) << started.error_message();

  std::vector<host::Sample> received;
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  uint64_t program_samples = 0;
  while (absl::Now() < deadline) {
    subscription->Drain(&received);
    program_samples = 0;
    for (const host::Sample& s : received) {
      if (s.seq >= received.front().seq) ++program_samples;
    }
    if (program_samples >= expected_samples) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(subscription->dropped(), 0u);
  ASSERT_EQ(received.size(), expected_samples) << "samples delivered by rigd";
  for (size_t i = 1; i < received.size(); ++i) {
    ASSERT_GT(received[i].seq, received[i - 1].seq) << "at " << i;
  }
  // Counter jumps are exactly the recording's own gaps.
  EXPECT_EQ(received.back().seq - received.front().seq + 1 - received.size(),
            analysed->samples_lost);
  EXPECT_EQ(stack.app().device().Snapshot().samples_lost, analysed->samples_lost);
}

INSTANTIATE_TEST_SUITE_P(All, FixtureReplayTest,
                         ::testing::Values("swedish", "deep-tissue", "trigger-point", "kneading",
                                           "endurance", "myofascial-release", "friction", "rolling",
                                           "stall-abort", "over-temperature-fail", "telemetry-gap"),
                         [](const auto& param_info) {
                           std::string name = param_info.param;
                           for (char& c : name) c = c == '-' ? '_' : c;
                           return name;
                         });

}  // namespace
}  // namespace rollrig::testing
