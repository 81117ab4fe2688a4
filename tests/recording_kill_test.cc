// kill -9 of rigd during runs, at seeded random moments: each restart finalizes the
// recording the killed rigd left as NAME.mcap.part, and the finalized file holds the
// run's telemetry up to at most about a second before the kill.
//
// ROLLRIG_KILL_SEED=N repeats a sequence; the seed and the moments are logged.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <time.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "host/recording/file_system.h"
#include "host/recording/mcap_reader.h"
#include "host/recording/recording_layout.h"
#include "tests/test_process.h"

namespace rollrig {
namespace {

constexpr int kKills = 10;
constexpr uint64_t kMaxLossNs = 1'000'000'000;

int64_t UnixNanos() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::vector<std::string> Parts(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string p = e.path().string();
    if (p.size() > 10 && p.compare(p.size() - 10, 10, ".mcap.part") == 0) out.push_back(p);
  }
  return out;
}

// The last telemetry log time in a finalized recording (or its start, if it holds no
// sample), checking it is complete.
uint64_t LastTelemetryTime(const std::string& path, uint64_t* samples) {
  auto file = recording::RealFileSystem()->OpenForRead(path);
  EXPECT_TRUE(file.ok()) << path << ": " << file.status();
  if (!file.ok()) return 0;
  auto reader = recording::McapReader::Open(file->get());
  EXPECT_TRUE(reader.ok()) << path << ": " << reader.status();
  if (!reader.ok()) return 0;
  EXPECT_TRUE((*reader)->has_summary()) << path << " was not finalized";
  // Nothing before the recording began can be lost: a kill within the first chunk's
  // half second may leave no sample, only the metadata.
  uint64_t last = 0;
  for (const auto& m : (*reader)->metadata()) {
    if (m.name != recorder::kHostMetadata || !m.metadata.count(recorder::kRecordingStartKey))
      continue;
    last = std::strtoull(m.metadata.at(recorder::kRecordingStartKey).c_str(), nullptr, 10);
  }
  EXPECT_GT(last, 0u) << path << " has no recording start";
  *samples = 0;
  recording::McapReadOptions options;
  options.topics = {recorder::kTelemetryTopic};
  const absl::Status s = (*reader)->ReadMessages(options, [&](const recording::McapMessage& m) {
    last = std::max(last, m.log_time);
    ++*samples;
    return true;
  });
  EXPECT_TRUE(s.ok()) << path << ": " << s;
  return last;
}

TEST(RecordingKillTest, EveryKilledRunKeepsItsRecordingUpToASecondBeforeTheKill) {
  uint64_t seed = 20261121;
  if (const char* env = std::getenv("ROLLRIG_KILL_SEED")) seed = std::strtoull(env, nullptr, 10);
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> moment_ms(300, 2500);
  std::cout << "kill -9 test: seed " << seed << " (ROLLRIG_KILL_SEED repeats it)" << std::endl;

  char tmpl[] = "/tmp/rollrig-kill-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  std::string addr;
  std::unique_ptr<testing::ChildProcess> rigd;
  auto start_rigd = [&] {
    for (int attempt = 0; attempt < 5; ++attempt) {
      addr = "127.0.0.1:" + std::to_string(testing::FreePort());
      rigd = std::make_unique<testing::ChildProcess>(
          RIGD_PATH,
          std::vector<std::string>{"--device", "sim", "--listen", addr, "--runs-dir", dir});
      for (int i = 0; i < 100 && rigd->running(); ++i) {
        if (testing::RunCommand(RIGCTL_PATH, {"--addr", addr, "status"}, 10).exit_code == 0) {
          return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
    return false;
  };

  std::vector<std::string> killed_parts;
  int64_t kill_time = 0;
  double worst_loss_s = 0;
  for (int round = 0; round <= kKills; ++round) {
    ASSERT_TRUE(start_rigd()) << "rigd did not come up: " << (rigd ? rigd->Output() : "");
    // The previous rigd's recording was finalized by this one at its start.
    for (const std::string& part : killed_parts) {
      const std::string final_path = part.substr(0, part.size() - 5);
      EXPECT_FALSE(std::filesystem::exists(part)) << part << " left after restart";
      ASSERT_TRUE(std::filesystem::exists(final_path)) << rigd->Output();
      uint64_t samples = 0;
      const uint64_t last = LastTelemetryTime(final_path, &samples);
      const double loss_s = static_cast<double>(kill_time - static_cast<int64_t>(last)) / 1e9;
      worst_loss_s = std::max(worst_loss_s, loss_s);
      std::cout << "  round " << round << ": " << final_path.substr(dir.size() + 1) << ": "
                << samples << " samples, last " << loss_s << " s before the kill" << std::endl;
      if (kill_time - static_cast<int64_t>(last) > static_cast<int64_t>(kMaxLossNs)) {
        EXPECT_GT(samples, 0u);
      }
      EXPECT_LE(kill_time - static_cast<int64_t>(last), static_cast<int64_t>(kMaxLossNs))
          << final_path;
    }
    if (round == kKills) break;

    const testing::CommandResult started = testing::RunCommand(
        RIGCTL_PATH, {"--addr", addr, "run", "swedish", "--cycles", "1", "--detach"}, 30);
    ASSERT_EQ(started.exit_code, 0) << started.output;
    const int wait_ms = moment_ms(rng);
    std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
    killed_parts = Parts(dir);
    ASSERT_EQ(killed_parts.size(), 1u) << "one recording in progress";
    kill_time = UnixNanos();
    rigd->Signal(SIGKILL);
    rigd->Wait(10);
    std::cout << "kill " << round + 1 << ": " << wait_ms << " ms into the run" << std::endl;
  }
  std::cout << "kill -9 test: worst loss " << worst_loss_s << " s over " << kKills << " kills"
            << std::endl;
  rigd.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rollrig
