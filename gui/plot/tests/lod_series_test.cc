#include "gui/plot/lod_series.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <new>
#include <random>
#include <vector>

// Counts heap allocations so a test can prove appends do not allocate per sample.
namespace {
std::atomic<uint64_t> g_allocations{0};
// Out of line so GCC does not pair the free() with the replaced operator new it inlined
// (-Wmismatched-new-delete).
[[gnu::noinline]] void ReleaseBlock(void* p) { std::free(p); }
}  // namespace

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { ReleaseBlock(p); }
void operator delete(void* p, std::size_t) noexcept { ReleaseBlock(p); }

namespace rollrig::gui {
namespace {

struct Sample {
  double t;
  float v;
  bool gap_before;
};

// Random walk at 1 kHz with gaps of random size every few thousand samples.
std::vector<Sample> RandomTrace(size_t n, uint32_t seed, std::vector<GapMark>* gaps) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> step(0.0f, 1.0f);
  std::uniform_int_distribution<int> gap_every(500, 5000), gap_size(1, 300);
  std::vector<Sample> out;
  out.reserve(n);
  float v = 0;
  double t = 0;
  int next_gap = gap_every(rng);
  bool pending = false;
  for (size_t i = 0; i < n; ++i) {
    if (--next_gap == 0) {
      const int lost = gap_size(rng);
      gaps->push_back({t, static_cast<uint64_t>(lost)});
      t += lost * 1e-3;
      pending = true;
      next_gap = gap_every(rng);
    }
    v += step(rng);
    if (i % 997 == 0) v += 50.0f * step(rng);  // spikes a plot must not lose
    out.push_back({t, v, pending});
    pending = false;
    t += 1e-3;
  }
  return out;
}

void Feed(const std::vector<Sample>& samples, const std::vector<GapMark>& gaps, LodSeries* lod) {
  size_t g = 0;
  for (const Sample& s : samples) {
    if (s.gap_before) {
      lod->AppendGap(gaps[g].t, gaps[g].dropped);
      ++g;
    }
    lod->Append(s.t, s.v);
  }
}

class LodOracleTest : public ::testing::TestWithParam<int> {};

TEST_P(LodOracleTest, MinMaxAndGapsMatchBruteForceAtEveryLevel) {
  const int fanout = GetParam();
  std::vector<GapMark> gaps;
  const auto samples = RandomTrace(300'000, 7u + static_cast<uint32_t>(fanout), &gaps);
  ASSERT_GT(gaps.size(), 50u);
  LodOptions options;
  options.fanout = fanout;
  options.raw_budget_samples = samples.size();
  options.level_budget_buckets = samples.size();
  LodSeries lod(options);
  Feed(samples, gaps, &lod);
  ASSERT_EQ(lod.size(), samples.size());
  ASSERT_GE(lod.levels(), 4);

  uint64_t per_bucket = 1;
  for (int level = 0; level < lod.levels(); ++level) {
    ASSERT_EQ(lod.level_begin(level), 0u) << "nothing may be dropped with these budgets";
    ASSERT_EQ(lod.level_end(level), samples.size() / per_bucket) << "level " << level;
    for (uint64_t b = 0; b < lod.level_end(level); ++b) {
      float mn = std::numeric_limits<float>::infinity(), mx = -mn;
      bool gap = false;
      for (uint64_t i = b * per_bucket; i < (b + 1) * per_bucket; ++i) {
        mn = std::min(mn, samples[i].v);
        mx = std::max(mx, samples[i].v);
        gap = gap || samples[i].gap_before;
      }
      const LodSeries::Bucket bucket = lod.bucket(level, b);
      ASSERT_EQ(bucket.min, mn) << "level " << level << " bucket " << b;
      ASSERT_EQ(bucket.max, mx) << "level " << level << " bucket " << b;
      ASSERT_EQ(bucket.gap, gap) << "level " << level << " bucket " << b;
      ASSERT_EQ(bucket.t_first, samples[b * per_bucket].t);
    }
    per_bucket *= static_cast<uint64_t>(fanout);
  }

  // Any window at any width: the envelope is the brute-force one, including the newest
  // samples that sit in unfinished buckets.
  std::mt19937 rng(99);
  std::uniform_real_distribution<double> at(samples.front().t, samples.back().t);
  std::uniform_int_distribution<int> width(50, 2000);
  for (int q = 0; q < 200; ++q) {
    double t0 = at(rng), t1 = at(rng);
    if (q % 10 == 0) t1 = samples.back().t + 1.0;  // the live edge
    if (t1 < t0) std::swap(t0, t1);
    if (t1 - t0 < 0.05) t1 = t0 + 0.05;
    const int columns = width(rng);
    SeriesView view;
    lod.Query(t0, t1, columns, &view);
    ASSERT_FALSE(view.needs_raw_fetch);
    ASSERT_LE(view.t.size(), view.raw ? 2u * columns + 2 : static_cast<size_t>(columns));
    float mn = std::numeric_limits<float>::infinity(), mx = -mn;
    for (const Sample& s : samples) {
      if (s.t >= t0 && s.t <= t1) mn = std::min(mn, s.v), mx = std::max(mx, s.v);
    }
    float got_min = std::numeric_limits<float>::infinity(), got_max = -got_min;
    for (size_t i = 0; i < view.t.size(); ++i) {
      got_min = std::min(got_min, view.min[i]);
      got_max = std::max(got_max, view.max[i]);
    }
    // Buckets straddling the window edges may add a little outside data, never lose any.
    EXPECT_LE(got_min, mn) << "window " << t0 << ".." << t1;
    EXPECT_GE(got_max, mx) << "window " << t0 << ".." << t1;
    uint64_t dropped = 0;
    for (const GapMark& g : gaps) {
      if (g.t >= t0 && g.t <= t1) dropped += g.dropped;
    }
    EXPECT_EQ(view.dropped_in_view, dropped);
    // The line never bridges a gap: the first point after each gap starts a new line.
    for (const GapMark& g : gaps) {
      const auto after = std::upper_bound(view.t.begin(), view.t.end(), g.t);
      if (after == view.t.begin() || after == view.t.end()) continue;
      EXPECT_EQ(view.gap_before[static_cast<size_t>(after - view.t.begin())], 1)
          << "gap at " << g.t << " in window " << t0 << ".." << t1 << " level " << view.level;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fanouts, LodOracleTest, ::testing::Values(4, 16));

// The mean of every bucket and of every column of any query is the mean of the samples it
// covers: a column runs from its first time to the next column's first time.
TEST_P(LodOracleTest, MeansMatchBruteForceInBucketsAndColumns) {
  const int fanout = GetParam();
  std::vector<GapMark> gaps;
  const auto samples = RandomTrace(200'000, 11u + static_cast<uint32_t>(fanout), &gaps);
  LodOptions options;
  options.fanout = fanout;
  options.raw_budget_samples = samples.size();
  options.level_budget_buckets = samples.size();
  LodSeries lod(options);
  Feed(samples, gaps, &lod);
  std::vector<double> times(samples.size()), prefix(samples.size() + 1, 0.0);
  for (size_t i = 0; i < samples.size(); ++i) {
    times[i] = samples[i].t;
    prefix[i + 1] = prefix[i] + samples[i].v;
  }
  const auto index_of = [&](double t) {
    return static_cast<size_t>(std::lower_bound(times.begin(), times.end(), t) - times.begin());
  };
  const auto naive_mean = [&](size_t i0, size_t i1) {
    return (prefix[i1] - prefix[i0]) / static_cast<double>(i1 - i0);
  };
  uint64_t per_bucket = static_cast<uint64_t>(fanout);
  for (int level = 1; level < lod.levels(); ++level, per_bucket *= fanout) {
    for (uint64_t b = 0; b < lod.level_end(level); ++b) {
      const double want = naive_mean(b * per_bucket, (b + 1) * per_bucket);
      ASSERT_NEAR(lod.bucket(level, b).mean, want, 1e-5 * (1 + std::fabs(want)))
          << "level " << level << " bucket " << b;
    }
  }
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> at(samples.front().t, samples.back().t);
  std::uniform_int_distribution<int> width(30, 2000);
  size_t columns_checked = 0;
  for (int q = 0; q < 300; ++q) {
    double t0 = at(rng), t1 = at(rng);
    const bool live_edge = q % 5 == 0;
    if (live_edge) t1 = samples.back().t + 0.5;
    if (t1 < t0) std::swap(t0, t1);
    if (t1 - t0 < 0.05) t1 = t0 + 0.05;
    SeriesView view;
    lod.Query(t0, t1, width(rng), &view);
    if (view.raw) {
      EXPECT_TRUE(view.mean.empty()) << "raw samples are their own means";
      continue;
    }
    ASSERT_EQ(view.mean.size(), view.t.size());
    for (size_t j = 0; j < view.t.size(); ++j) {
      const bool last = j + 1 == view.t.size();
      if (last && !live_edge) break;  // its buckets may reach past the window
      const size_t i0 = index_of(view.t[j]);
      const size_t i1 = last ? samples.size() : index_of(view.t[j + 1]);
      ASSERT_LT(i0, i1);
      const double want = naive_mean(i0, i1);
      ASSERT_NEAR(view.mean[j], want, 1e-5 * (1 + std::fabs(want)))
          << "column " << j << " of " << t0 << ".." << t1 << " level " << view.level;
      EXPECT_LE(view.min[j], view.mean[j]);
      EXPECT_GE(view.max[j], view.mean[j]);
      ++columns_checked;
    }
  }
  EXPECT_GT(columns_checked, 10'000u);
}

TEST(LodSeriesTest, EnvelopeOfAWholeLongTraceIsExact) {
  std::vector<GapMark> gaps;
  const auto samples = RandomTrace(1'000'003, 3, &gaps);
  LodSeries lod;
  Feed(samples, gaps, &lod);
  SeriesView view;
  lod.Query(samples.front().t, samples.back().t, 1000, &view);
  EXPECT_FALSE(view.raw);
  EXPECT_GE(view.level, 1);
  EXPECT_LE(view.t.size(), 1000u);
  float mn = samples[0].v, mx = samples[0].v;
  for (const Sample& s : samples) mn = std::min(mn, s.v), mx = std::max(mx, s.v);
  EXPECT_EQ(*std::min_element(view.min.begin(), view.min.end()), mn);
  EXPECT_EQ(*std::max_element(view.max.begin(), view.max.end()), mx);
  // Every gap breaks the line before and after the column holding it.
  size_t breaks = 0;
  for (uint8_t g : view.gap_before) breaks += g;
  EXPECT_GT(breaks, 0u);
  EXPECT_LE(breaks, 2 * gaps.size());
}

TEST(LodSeriesTest, AppendsFarFasterThanTelemetryWithoutPerSampleAllocation) {
  LodOptions options;
  options.raw_budget_samples = 200'000;
  options.level_budget_buckets = 20'000;
  LodSeries lod(options);
  // Warm up past the budgets so the steady state (recycled chunks) is measured.
  double t = 0;
  for (int i = 0; i < 1'000'000; ++i, t += 1e-3) lod.Append(t, static_cast<float>(i % 1000));
  const uint64_t allocations_before = g_allocations.load();
  const auto start = std::chrono::steady_clock::now();
  constexpr int kSamples = 4'000'000;
  for (int i = 0; i < kSamples; ++i, t += 1e-3) {
    lod.Append(t, static_cast<float>(std::sin(i * 1e-3)));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const uint64_t allocations = g_allocations.load() - allocations_before;
  // Chunks of thousands of elements: a handful of allocations per million samples (only the
  // coarse levels that keep all time still grow).
  EXPECT_LT(allocations, kSamples / 10'000u) << allocations << " allocations";
  // Telemetry is 1 kHz x 4 series; a loaded 2-core machine still does millions per second.
  const double rate = kSamples / seconds;
  EXPECT_GT(rate, 1e6) << rate << " samples/s";
  EXPECT_EQ(lod.size(), 5'000'000u);
  // Raw data held stays near the budget: one chunk of slack.
  EXPECT_LE(lod.level_end(0) - lod.level_begin(0), options.raw_budget_samples + 8192);
  EXPECT_GE(lod.level_end(0) - lod.level_begin(0), options.raw_budget_samples);
}

TEST(LodSeriesTest, ZoomsDownToSingleRawSamples) {
  LodSeries lod;
  for (int i = 0; i < 2'000'000; ++i) lod.Append(i * 1e-3, static_cast<float>(i % 7919));
  int previous_level = 100;
  double span = 2000.0;
  const double center = 1234.5675;
  SeriesView view;
  while (span > 0.004) {
    lod.Query(center - span / 2, center + span / 2, 800, &view);
    ASSERT_FALSE(view.needs_raw_fetch);
    EXPECT_LE(view.level, previous_level) << "zooming in never goes coarser";
    previous_level = view.level;
    span /= 2;
  }
  EXPECT_EQ(view.level, 0);
  ASSERT_TRUE(view.raw);
  // The last window, [center - span, center + span], holds about eight samples plus one
  // neighbour each side.
  ASSERT_GE(view.t.size(), 4u);
  for (size_t i = 0; i < view.t.size(); ++i) {
    const long index = std::lround(view.t[i] * 1e3);
    EXPECT_NEAR(view.t[i], index * 1e-3, 1e-9);
    EXPECT_EQ(view.min[i], static_cast<float>(index % 7919));
    EXPECT_EQ(view.min[i], view.max[i]);
  }
  EXPECT_LE(view.t.front(), center - span);
  EXPECT_GE(view.t.back(), center + span);
}

TEST(LodSeriesTest, DroppedRawDataIsFlaggedAndServedFromAFetchedWindow) {
  LodOptions options;
  options.raw_budget_samples = 50'000;
  options.level_budget_buckets = 1'000;
  LodSeries lod(options);
  InMemoryRawSource source(1);
  for (int i = 0; i < 600'000; ++i) {
    const double t = i * 1e-3;
    if (i == 100'000) {
      lod.AppendGap(t, 40);
      // The recording has no sample there either: the link lost it.
      continue;
    }
    const float v = static_cast<float>((i * 31) % 1000);
    lod.Append(t, v);
    source.Add(0, t, v);
  }
  ASSERT_GT(lod.level_begin(0), 0u) << "old raw data must have been dropped";
  ASSERT_GT(lod.raw_t_begin(), 500.0);

  SeriesView view;
  // Recent data is still in memory.
  lod.Query(590.0, 590.2, 800, &view);
  EXPECT_FALSE(view.needs_raw_fetch);
  EXPECT_TRUE(view.raw);

  // An hour-old 0.2 s window needs raw data that is gone: coarse answer plus a fetch flag.
  lod.Query(99.9, 100.1, 800, &view);
  ASSERT_TRUE(view.needs_raw_fetch);
  EXPECT_FALSE(view.raw);
  EXPECT_GE(view.level, 1);
  EXPECT_EQ(view.fetch_t0, 99.9);
  EXPECT_EQ(view.fetch_t1, 100.1);
  EXPECT_EQ(view.dropped_in_view, 40u);

  RawWindow window;
  FetchRawWindow(source, 0, view.fetch_t0, view.fetch_t1, &window);
  EXPECT_EQ(source.fetch_count(), 1);
  lod.Query(99.9, 100.1, 800, &view, &window);
  EXPECT_FALSE(view.needs_raw_fetch);
  ASSERT_TRUE(view.raw);
  EXPECT_EQ(view.dropped_in_view, 40u);
  size_t breaks = 0;
  for (size_t i = 0; i < view.t.size(); ++i) {
    const long index = std::lround(view.t[i] * 1e3);
    EXPECT_EQ(view.min[i], static_cast<float>((index * 31) % 1000));
    if (view.gap_before[i]) {
      ++breaks;
      EXPECT_EQ(index, 100'001) << "the break is before the first sample after the gap";
    }
  }
  EXPECT_EQ(breaks, 1u);
  EXPECT_GE(view.t.size(), 199u);

  // A fetched window that does not cover the query is not used.
  lod.Query(99.0, 100.1, 800, &view, &window);
  EXPECT_TRUE(view.needs_raw_fetch);
  // Wide old windows are drawn from the coarse levels without any fetch.
  lod.Query(0.0, 600.0, 800, &view);
  EXPECT_FALSE(view.needs_raw_fetch);
}

TEST(LodSeriesTest, MemoryStaysWithinTheClientBudgetForThreeDaysAtOneKilohertz) {
  const LodOptions defaults;
  const uint64_t three_days = 72ull * 3600 * 1000;
  // rig-dash keeps every channel of the table and the derived speed error: 12 series.
  const size_t every_channel = 12 * LodSeries::ProjectMemoryBytes(defaults, three_days);
  EXPECT_LT(every_channel, size_t{1} << 30) << every_channel << " bytes";

  // The projection agrees with a real store (small budgets, same shape).
  LodOptions small;
  small.raw_budget_samples = 100'000;
  small.level_budget_buckets = 10'000;
  LodSeries lod(small);
  for (int i = 0; i < 3'000'000; ++i) lod.Append(i * 1e-3, static_cast<float>(i % 100));
  const double projected = static_cast<double>(LodSeries::ProjectMemoryBytes(small, lod.size()));
  EXPECT_NEAR(static_cast<double>(lod.memory_bytes()), projected, projected * 0.15);
  // Far less than keeping every sample (13 bytes each).
  EXPECT_LT(lod.memory_bytes(), lod.size() * 13 / 4);
}

TEST(LodSeriesTest, BadInputIsRefusedOrMarkedNotStored) {
  LodSeries lod;
  lod.Append(1.0, 1.0f);
  lod.Append(0.5, 2.0f);  // backwards
  lod.Append(std::numeric_limits<double>::quiet_NaN(), 2.0f);
  EXPECT_EQ(lod.rejected_samples(), 2u);
  lod.Append(2.0, std::numeric_limits<float>::quiet_NaN());  // a lost value
  lod.Append(3.0, 3.0f);
  EXPECT_EQ(lod.size(), 2u);
  EXPECT_EQ(lod.dropped_total(), 1u);
  SeriesView view;
  lod.Query(0.0, 4.0, 100, &view);
  ASSERT_TRUE(view.raw);
  ASSERT_EQ(view.t.size(), 2u);
  EXPECT_EQ(view.gap_before[1], 1);
  EXPECT_EQ(view.max[1], 3.0f);
  // Degenerate queries give empty views, not garbage.
  lod.Query(4.0, 4.0, 100, &view);
  EXPECT_TRUE(view.t.empty());
  lod.Query(0.0, 4.0, 0, &view);
  EXPECT_TRUE(view.t.empty());
  LodSeries empty;
  empty.Query(0.0, 1.0, 100, &view);
  EXPECT_TRUE(view.t.empty());
}

}  // namespace
}  // namespace rollrig::gui
