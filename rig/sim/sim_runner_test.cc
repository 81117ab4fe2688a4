#include "rig/sim/sim_runner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "rig/base/clock.h"
#include "rig/sim/sim_test_host.h"

namespace rollrig::sim {
namespace {

namespace v1 = rollrig::v1;

// Reads until `done` holds or a generous real-time limit passes.
template <typename Done>
void ReadUntil(SimRunner* runner, TestHost* host, Done done) {
  std::vector<uint8_t> buf(4096);
  const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done() && std::chrono::steady_clock::now() < limit) {
    const size_t n = runner->ReadToHost(buf.data(), buf.size(), 50'000'000);
    host->Decode(std::vector<uint8_t>(buf.begin(), buf.begin() + static_cast<long>(n)));
  }
}

TEST(SimRunnerTest, ManualClockPacesTheDevice) {
  ManualClock clock(5'000'000'000);
  SimRunner runner(SimOptions(), &clock);
  runner.Start();
  TestHost host;
  std::vector<uint8_t> hello;
  host.Encode(Hello(1), &hello);
  runner.WriteFromHost(hello.data(), hello.size());
  uint64_t time_us = 0;
  runner.WithDevice([&](SimulatedDevice& d) { time_us = d.time_us(); });
  EXPECT_LE(time_us, 1000u);  // the clock has not moved: at most tick 0 ran

  for (int ms = 0; ms < 50; ++ms) clock.Advance(1'000'000);
  ReadUntil(&runner, &host, [&] { return !host.infos.empty() && host.samples.size() >= 40; });
  ASSERT_EQ(host.infos.size(), 1u);
  ASSERT_NE(host.FindAck(1), nullptr);
  // Eventually exactly the 51 ticks due by now have run.
  const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  do {
    runner.WithDevice([&](SimulatedDevice& d) { time_us = d.time_us(); });
  } while (time_us < 51'000 && std::chrono::steady_clock::now() < limit);
  EXPECT_EQ(time_us, 51'000u);
  runner.Stop();
}

TEST(SimRunnerTest, AJumpFarAheadRunsOneBurstInsteadOfSpiralling) {
  ManualClock clock;
  SimRunner runner(SimOptions(), &clock);
  runner.Start();
  clock.Advance(3600'000'000'000);  // an hour at once
  uint64_t time_us = 0;
  const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    runner.WithDevice([&](SimulatedDevice& d) { time_us = d.time_us(); });
  } while (time_us == 0 && std::chrono::steady_clock::now() < limit);
  EXPECT_GT(time_us, 0u);
  EXPECT_LE(time_us, (SimRunner::kMaxBurstTicks + 1) * 1000);
  runner.Stop();
}

TEST(SimRunnerTest, RealClockKeepsRealTimeAndStopsPromptly) {
  SimRunner runner(SimOptions(), RealClock());
  runner.Start();
  const auto start = std::chrono::steady_clock::now();
  TestHost host;
  std::vector<uint8_t> hello;
  host.Encode(Hello(1), &hello);
  runner.WriteFromHost(hello.data(), hello.size());
  ReadUntil(&runner, &host, [&] { return host.samples.size() >= 300; });
  const double elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_GE(host.samples.size(), 300u);
  EXPECT_EQ(host.infos.size(), 1u);
  // 300 samples at 1 kHz take 0.3 s of device time; real time should roughly agree.
  EXPECT_GT(elapsed_s, 0.25);
  EXPECT_LT(elapsed_s, 3.0);
  runner.Stop();
  uint8_t byte;
  EXPECT_EQ(runner.ReadToHost(&byte, 1, 1'000'000'000), 0u);  // at once after Stop()
}

TEST(SimRunnerTest, DiscardPipesDropsStaleBytes) {
  ManualClock clock;
  SimRunner runner(SimOptions(), &clock);
  runner.Start();
  for (int ms = 0; ms < 30; ++ms) clock.Advance(1'000'000);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  runner.DiscardPipes();
  uint8_t buf[64];
  EXPECT_EQ(runner.ReadToHost(buf, sizeof(buf), 0), 0u);
  runner.Stop();
}

// A hang is reset by the device's hardware watchdog 50 ms of device time later, and the
// runner tells its listener (rig-sim --usb re-enumerates then), off the device lock.
TEST(SimRunnerTest, AWatchdogResetIsReportedToTheListener) {
  ManualClock clock;
  SimRunner runner(SimOptions(), &clock);
  std::atomic<int> calls{0};
  runner.SetWatchdogResetListener([&] {
    runner.WithDevice([](SimulatedDevice&) {});  // the device is not locked here
    ++calls;
  });
  runner.Start();
  for (int ms = 0; ms < 20; ++ms) clock.Advance(1'000'000);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(calls.load(), 0);
  runner.WithDevice([](SimulatedDevice& d) { d.SetHung(true); });
  const auto wait = [&](auto done) {
    const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done() && std::chrono::steady_clock::now() < limit) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  };
  for (int ms = 0; ms < 49; ++ms) clock.Advance(1'000'000);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(calls.load(), 0) << "49 ms of device time is within the 50 ms timeout";
  for (int ms = 0; ms < 2; ++ms) clock.Advance(1'000'000);
  wait([&] { return calls.load() > 0; });
  EXPECT_EQ(calls.load(), 1);
  bool hung = true;
  runner.WithDevice([&](SimulatedDevice& d) {
    hung = d.hung();
    EXPECT_EQ(d.watchdog_resets(), 1u);
    EXPECT_EQ(d.info().boot_reason(), v1::BOOT_REASON_WATCHDOG_RESET);
  });
  EXPECT_FALSE(hung);
  runner.SetWatchdogResetListener(nullptr);
  runner.Stop();
}

}  // namespace
}  // namespace rollrig::sim
