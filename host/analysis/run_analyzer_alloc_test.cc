// AddSample must not allocate: a 72-hour run at 1 kHz is 260 million samples. This test
// binary replaces the global operator new to count allocations.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <new>

#include "host/analysis/run_analyzer.h"

// Sanitizers bring their own operator new; counting is left to the plain builds there.
// (libstdc++'s _GLIBCXX_TSAN: the TSan build hides __SANITIZE_THREAD__, CMakeLists.txt.)
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || defined(_GLIBCXX_TSAN)
#define ROLLRIG_COUNT_ALLOCATIONS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define ROLLRIG_COUNT_ALLOCATIONS 0
#endif
#endif
#ifndef ROLLRIG_COUNT_ALLOCATIONS
#define ROLLRIG_COUNT_ALLOCATIONS 1
#endif

namespace {
std::atomic<uint64_t> g_allocations{0};
}  // namespace

#if ROLLRIG_COUNT_ALLOCATIONS
void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#endif

namespace rollrig::host {
namespace {

namespace v1 = rollrig::v1;

// A busy run: limits that go marginal and get violated over and over, in every segment.
struct BusyRun {
  static constexpr uint64_t kSamplesPerSegment = 2500;
  static constexpr int32_t kSegments = 4;

  static std::vector<v1::Limit> RunLimits() {
    std::vector<v1::Limit> limits;
    v1::Limit torque;
    torque.set_name("torque");
    torque.set_signal(v1::SIGNAL_TORQUE_NM);
    torque.set_max(1.0);
    torque.set_marginal_band(0.2);
    torque.set_persist_s(0.002);
    limits.push_back(torque);
    v1::Limit temperature;
    temperature.set_name("temperature");
    temperature.set_signal(v1::SIGNAL_TEMPERATURE_C);
    temperature.set_max(80);
    temperature.set_action(v1::LIMIT_ACTION_RECORD);
    limits.push_back(temperature);
    v1::Limit rms;
    rms.set_name("rms");
    rms.set_cycle_statistic(v1::CYCLE_STATISTIC_RMS_TORQUE_NM);
    rms.set_max(0.5);
    limits.push_back(rms);
    return limits;
  }
  static std::vector<AnalyzerSegment> Segments() {
    std::vector<AnalyzerSegment> segments;
    for (int32_t k = 0; k < kSegments; ++k) {
      v1::Limit tracking;
      tracking.set_name("tracking");
      tracking.set_signal(v1::SIGNAL_SPEED_ERROR_RPM);
      tracking.set_max(2);
      tracking.set_settle_s(0.1);
      segments.push_back(AnalyzerSegment{
          .index = k, .label = "segment " + std::to_string(k), .limits = {tracking}});
    }
    return segments;
  }
  static Sample At(uint64_t i, uint64_t cycle_samples) {
    Sample s;
    s.seq = i;
    s.time_us = 1'000'000 + i * 1000;
    s.cycle = static_cast<uint32_t>(1 + i / cycle_samples);
    s.segment = static_cast<int32_t>((i / kSamplesPerSegment) % kSegments);
    const int phase = static_cast<int>(i % 97);
    s.torque_nm = 0.02f * static_cast<float>(phase - 40);  // -0.8 .. 1.12
    s.roller_rpm_cmd = 60;
    s.roller_rpm = 60 - 0.05f * static_cast<float>(i % 61);  // error 0 .. 3
    s.force_n = 50;
    s.temp_c = 75 + 0.1f * static_cast<float>(i % 83);  // 75 .. 83.2
    s.current_a = s.torque_nm;
    return s;
  }
};

TEST(RunAnalyzerAllocationTest, NoAllocationPerSampleWithinACycle) {
  if (!ROLLRIG_COUNT_ALLOCATIONS) GTEST_SKIP() << "allocations are not counted under sanitizers";
  constexpr uint64_t kCycle = 2'000'000;  // no cycle ends in this test
  RunAnalyzer analyzer(BusyRun::RunLimits(), BusyRun::Segments());
  for (uint64_t i = 0; i < 20'000; ++i) analyzer.AddSample(BusyRun::At(i, kCycle));  // warm-up
  const uint64_t before = g_allocations.load();
  for (uint64_t i = 20'000; i < 1'000'000; ++i) analyzer.AddSample(BusyRun::At(i, kCycle));
  EXPECT_EQ(g_allocations.load() - before, 0u);
  EXPECT_GT(analyzer.violations(), 10'000u);  // the checks did fire
}

TEST(RunAnalyzerAllocationTest, TenMillionSamplesFlatMemoryAndThroughput) {
  constexpr uint64_t kSamples = 10'000'000;
  constexpr uint64_t kCycle = 10'000;  // 1000 cycles
  RunAnalyzer analyzer(BusyRun::RunLimits(), BusyRun::Segments());
  for (uint64_t i = 0; i < kCycle; ++i) analyzer.AddSample(BusyRun::At(i, kCycle));
  const uint64_t before = g_allocations.load();
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t i = kCycle; i < kSamples; ++i) analyzer.AddSample(BusyRun::At(i, kCycle));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const uint64_t allocations = g_allocations.load() - before;
  // Only cycles() grows, geometrically: a few dozen allocations for 1000 cycles.
  if (ROLLRIG_COUNT_ALLOCATIONS) {
    EXPECT_LE(allocations, 32u) << allocations << " allocations";
  }
  EXPECT_EQ(analyzer.cycles().size(), kSamples / kCycle - 1);
  const double rate = static_cast<double>(kSamples - kCycle) / seconds;
  std::printf("[ analysis ] %.0f samples/s (%.1f ns/sample, %llu allocations for %zu cycles)\n",
              rate, 1e9 / rate, static_cast<unsigned long long>(allocations),
              analyzer.cycles().size());
  RecordProperty("samples_per_second", static_cast<int64_t>(rate));
  analyzer.Finish(static_cast<double>(kSamples) / 1000);
  EXPECT_EQ(analyzer.Verdict().verdict(), v1::VERDICT_FAIL);
}

}  // namespace
}  // namespace rollrig::host
