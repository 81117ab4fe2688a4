// The endurance preset run in lock-step (tests/lockstep_run.h): simulator, host protocol
// and run analysis in one thread, as fast as the CPU goes.
//
// Built twice from this file:
// - endurance_test (default suite): about 20 minutes of device time, determinism, a
//   stall injected mid-run, a profile that does not load.
// - endurance_soak_test (ROLLRIG_ENDURANCE_SOAK, label soak, left out by ci/test.sh):
//   the same endurance run for 72 hours of device time. Run it from a Release build
//   directory with
//     cmake --build . --target endurance_soak_test && ctest -L soak --output-on-failure
//   (or tests/endurance_soak_test directly). It prints the lock-step speed, the wall
//   time and the RSS before the run, after its first cycle and at its end.
//
// Flat memory: RSS after the run may exceed RSS after the first cycle by at most
// kRssGrowthLimitMb. What legitimately grows is one CycleStats per cycle, well under a
// megabyte for 72 hours.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/str_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "host/profile_loader/presets.h"
#include "tests/lockstep_run.h"

namespace rollrig::testing {
namespace {

namespace v1 = rollrig::v1;
using ::testing::AnyOf;
using ::testing::HasSubstr;

constexpr double kRssGrowthLimitMb = 4.0;

// Under AddressSanitizer freed memory sits in a quarantine of up to 256 MB, so RSS grows
// with every allocation made; the memory check is left to the plain builds there.
#if defined(__SANITIZE_ADDRESS__)
#define ROLLRIG_CHECK_RSS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ROLLRIG_CHECK_RSS 0
#endif
#endif
#ifndef ROLLRIG_CHECK_RSS
#define ROLLRIG_CHECK_RSS 1
#endif

// Resident set size of this process, from /proc/self/statm (pages).
double RssMb() {
  std::ifstream statm("/proc/self/statm");
  long total_pages = 0;
  long resident_pages = 0;
  statm >> total_pages >> resident_pages;
  return static_cast<double>(resident_pages) * static_cast<double>(sysconf(_SC_PAGESIZE)) /
         (1024.0 * 1024.0);
}

double EnduranceCycleSeconds() {
  const v1::Preset* preset = host::FindPreset("endurance");
  return preset ? preset->cycle_s() : 0.0;
}

// Whole cycles covering at least `device_seconds`.
uint32_t CyclesCovering(double device_seconds) {
  return static_cast<uint32_t>(std::ceil(device_seconds / EnduranceCycleSeconds()));
}

LockstepRunOptions EnduranceOptions(uint32_t cycles, uint64_t seed) {
  LockstepRunOptions options;
  options.sim.seed = seed;
  options.profile.set_preset("endurance");
  options.cycles = cycles;
  return options;
}

// Runs the endurance preset for `device_seconds` (rounded up to whole cycles) and checks
// what an endurance engineer relies on: PASS, every cycle there, no sample lost, memory
// flat. Reports the figures as test properties and on stdout.
void RunEndurance(double device_seconds) {
  ASSERT_GT(EnduranceCycleSeconds(), 0) << "the endurance preset is missing";
  const uint32_t cycles = CyclesCovering(device_seconds);
  const double rss_before_mb = RssMb();
  const auto wall_start = std::chrono::steady_clock::now();

  LockstepRun run(EnduranceOptions(cycles, /*seed=*/1));
  ASSERT_TRUE(run.Start().ok());
  ASSERT_TRUE(run.AdvanceUntilCycles(1)) << run.Finish().verdict.reason();
  const double rss_first_cycle_mb = RssMb();
  const LockstepRunResult result = run.Finish();

  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  const double rss_after_mb = RssMb();
  const double device_s = static_cast<double>(result.device_time_us) * 1e-6;
  const double tick_hz = run.device().info().capabilities().tick_hz();
  const double speed = wall_s > 0 ? device_s / wall_s : 0;

  const std::string figures = absl::StrFormat(
      "endurance lock-step: %u cycles, %.1f h device time at %.0f Hz tick in %.1f s wall = "
      "%.0fx real time; %u samples; RSS %.1f MB before, %.1f MB after cycle 1, %.1f MB after "
      "the run (+%.2f MB); verdict %s",
      cycles, device_s / 3600, tick_hz, wall_s, speed, result.samples, rss_before_mb,
      rss_first_cycle_mb, rss_after_mb, rss_after_mb - rss_first_cycle_mb,
      v1::Verdict_Name(result.verdict.verdict()));
  std::printf("%s\n", figures.c_str());
  ::testing::Test::RecordProperty("cycles", static_cast<int>(cycles));
  ::testing::Test::RecordProperty("device_hours", absl::StrFormat("%.2f", device_s / 3600));
  ::testing::Test::RecordProperty("wall_s", absl::StrFormat("%.1f", wall_s));
  ::testing::Test::RecordProperty("x_real_time", absl::StrFormat("%.0f", speed));
  ::testing::Test::RecordProperty("rss_before_mb", absl::StrFormat("%.1f", rss_before_mb));
  ::testing::Test::RecordProperty("rss_after_first_cycle_mb",
                                  absl::StrFormat("%.1f", rss_first_cycle_mb));
  ::testing::Test::RecordProperty("rss_after_run_mb", absl::StrFormat("%.1f", rss_after_mb));

  EXPECT_EQ(result.verdict.verdict(), v1::VERDICT_PASS) << result.verdict.reason();
  EXPECT_TRUE(result.program_finished);
  EXPECT_FALSE(result.program_aborted);
  EXPECT_EQ(result.cycles_completed, cycles);
  ASSERT_EQ(result.cycles.size(), cycles);
  EXPECT_EQ(result.cycles.front().cycle(), 1u);
  EXPECT_EQ(result.cycles.back().cycle(), cycles);
  EXPECT_FALSE(result.partial_cycle.has_value());
  EXPECT_EQ(result.samples_lost, 0u);
  EXPECT_EQ(result.frames_dropped, 0u);
  EXPECT_EQ(result.messages_unreadable, 0u);
  EXPECT_EQ(result.command_errors, "");
  // Every tick of every cycle is a sample (telemetry at the tick rate), plus the ramp-down.
  EXPECT_GE(static_cast<double>(result.samples), cycles * EnduranceCycleSeconds() * tick_hz);
  if (ROLLRIG_CHECK_RSS) {
    EXPECT_LE(rss_after_mb - rss_first_cycle_mb, kRssGrowthLimitMb)
        << "memory grows with run length: " << figures;
  }
}

#ifndef ROLLRIG_ENDURANCE_SOAK

// About 20 minutes of device time (18 cycles of 70 s): takes a few seconds in Release.
TEST(EnduranceTest, TwentyMinutesPassWithEveryCycleAndFlatMemory) { RunEndurance(20 * 60); }

TEST(EnduranceTest, SameSeedSameVerdictAndCycleStatistics) {
  const absl::StatusOr<LockstepRunResult> first = LockstepRun::Run(EnduranceOptions(2, 7));
  const absl::StatusOr<LockstepRunResult> second = LockstepRun::Run(EnduranceOptions(2, 7));
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_EQ(first->cycles.size(), 2u);
  EXPECT_EQ(first->samples, second->samples);
  EXPECT_EQ(first->device_time_us, second->device_time_us);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(first->verdict, second->verdict))
      << first->verdict.DebugString() << "\nvs\n"
      << second->verdict.DebugString();
  ASSERT_EQ(second->cycles.size(), first->cycles.size());
  for (size_t i = 0; i < first->cycles.size(); ++i) {
    EXPECT_TRUE(
        google::protobuf::util::MessageDifferencer::Equals(first->cycles[i], second->cycles[i]))
        << first->cycles[i].DebugString() << "\nvs\n"
        << second->cycles[i].DebugString();
  }

  // The seed drives the sensor noise: another seed gives other statistics, so the
  // equality above is not the absence of noise.
  const absl::StatusOr<LockstepRunResult> other = LockstepRun::Run(EnduranceOptions(2, 8));
  ASSERT_TRUE(other.ok()) << other.status();
  ASSERT_EQ(other->cycles.size(), 2u);
  EXPECT_FALSE(
      google::protobuf::util::MessageDifferencer::Equals(first->cycles[0], other->cycles[0]));
}

TEST(EnduranceTest, StallMidRunAbortsNamingTheStall) {
  LockstepRun run(EnduranceOptions(3, 1));
  ASSERT_TRUE(run.Start().ok());
  // Into cycle 2, "full speed forward" (5..21 s of each 70 s cycle) at 120 rpm, 150 N.
  const double tick_hz = run.device().info().capabilities().tick_hz();
  ASSERT_TRUE(run.Advance(static_cast<uint64_t>((EnduranceCycleSeconds() + 10) * tick_hz)));
  run.device().InjectFault(v1::INJECTED_FAULT_STALL, true);
  const LockstepRunResult result = run.Finish();

  EXPECT_EQ(result.verdict.verdict(), v1::VERDICT_ABORTED) << result.verdict.reason();
  EXPECT_THAT(result.verdict.reason(), AnyOf(HasSubstr("stall"), HasSubstr("torque")));
  EXPECT_EQ(result.cycles_completed, 1u);
  EXPECT_EQ(result.cycles.size(), 1u);
  ASSERT_TRUE(result.partial_cycle.has_value());
  EXPECT_EQ(result.partial_cycle->cycle(), 2u);
  EXPECT_TRUE(result.program_finished || result.program_aborted);
  // Ended within seconds of the jam, not at the planned end of three cycles.
  EXPECT_LT(static_cast<double>(result.device_time_us) * 1e-6, 2 * EnduranceCycleSeconds());
}

TEST(EnduranceTest, ProfileErrorsStopTheStartNamingTheLine) {
  LockstepRunOptions options = EnduranceOptions(1, 1);
  options.profile.clear_preset();
  options.profile.set_file_name("broken.textproto");
  options.profile.set_text("name: \"broken\"\nsteps { segment { duration_s: -1 } }\n");
  LockstepRun run(options);
  const absl::Status status = run.Start();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("broken.textproto:2"));
  EXPECT_FALSE(run.Advance(10));
}

#else  // ROLLRIG_ENDURANCE_SOAK

// 72 hours of device time: 3703 cycles of 70 s.
TEST(EnduranceSoakTest, SeventyTwoHoursPassWithEveryCycleAndFlatMemory) { RunEndurance(72 * 3600); }

#endif  // ROLLRIG_ENDURANCE_SOAK

}  // namespace
}  // namespace rollrig::testing
