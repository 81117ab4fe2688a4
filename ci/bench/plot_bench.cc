// Figures of rig-dash's plot: CPU time to build a frame (ImGui NewFrame .. Render, no GL)
// with 4 series x 10M samples through the min/max level-of-detail store, against drawing every
// point (measured at up to 1M points per series and extrapolated); append rate; memory for
// 4 x 10M samples and the projection for a 72-hour run at 1 kHz. And the run view: four plots
// of a 72-hour 1 kHz run with 500 event markers, 3000 cycle lines and the shared cursor, at
// whole-run, mid and single-sample zoom (frame CPU time p50/p99, and the ratio to the same
// plots without marks or cursor), and the memory of every channel of such a run.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <memory>
#include <vector>

#include "gui/plot/lod_series.h"
#include "gui/plot/plot_widget.h"
#include "gui/plot/testing/headless_imgui.h"

namespace {

using rollrig::gui::AddPolylineChunked;
using rollrig::gui::DrawPlot;
using rollrig::gui::LimitBand;
using rollrig::gui::LodOptions;
using rollrig::gui::LodSeries;
using rollrig::gui::PlotCursor;
using rollrig::gui::PlotDrawStats;
using rollrig::gui::PlotMarks;
using rollrig::gui::PlotOverlay;
using rollrig::gui::PlotSeries;
using rollrig::gui::PlotView;
using rollrig::gui::testing::HeadlessImGui;

constexpr size_t kSamplesPerSeries = 10'000'000;
constexpr double kRateHz = 1000.0;
const ImVec2 kPlotSize(1200, 700);

float Signal(size_t i, int series) {
  const double t = static_cast<double>(i) / kRateHz;
  return static_cast<float>(std::sin(t * (0.5 + series)) * 100.0 + (i % 13) * 0.3 + series * 50);
}

// Four series of 10M samples (about 2.8 hours at 1 kHz), built once.
struct TenMillion {
  std::vector<std::unique_ptr<LodSeries>> series;
  TenMillion() {
    for (int s = 0; s < 4; ++s) {
      series.push_back(std::make_unique<LodSeries>());
      for (size_t i = 0; i < kSamplesPerSeries; ++i) {
        if (i % 1'000'000 == 500'000) series.back()->AppendGap(i / kRateHz, 25);
        series.back()->Append(static_cast<double>(i) / kRateHz, Signal(i, s));
      }
    }
  }
};
TenMillion& Data() {
  static TenMillion data;
  return data;
}

HeadlessImGui& Imgui() {
  static HeadlessImGui imgui;
  return imgui;
}

// One frame of one plot with the four series; arg: visible window in seconds (0 = all).
void BM_FrameLod4x10M(benchmark::State& state) {
  TenMillion& data = Data();
  HeadlessImGui& imgui = Imgui();
  std::vector<PlotSeries> series;
  const char* names[] = {"roller cmd", "roller", "torque", "force"};
  for (int s = 0; s < 4; ++s) {
    series.push_back({names[s], "u", IM_COL32(100 + 40 * s, 200, 255 - 40 * s, 255),
                      data.series[static_cast<size_t>(s)].get()});
  }
  const std::vector<LimitBand> bands = {
      {"limit", true, true, -80, 180, IM_COL32(255, 200, 0, 255)}};
  PlotView view;
  const double end = data.series[0]->t_end();
  const double window = state.range(0) == 0 ? end : static_cast<double>(state.range(0));
  view.follow_latest = state.range(0) != 0;  // a live window slides with the data
  view.t0 = end - window;
  view.t1 = end;
  size_t points = 0, vertices = 0;
  for (auto _ : state) {
    imgui.BeginFrame();
    const PlotDrawStats stats = DrawPlot("plot", "u", &view, series, bands, kPlotSize);
    ImDrawData* draw = imgui.EndFrame();
    benchmark::DoNotOptimize(draw);
    points = 0;
    for (const auto& p : stats.points_per_series) points += p.second;
    vertices = static_cast<size_t>(draw->TotalVtxCount);
  }
  state.counters["points_drawn"] = static_cast<double>(points);
  state.counters["vertices"] = static_cast<double>(vertices);
  state.counters["samples_in_view"] = 4 * window * kRateHz;
}
BENCHMARK(BM_FrameLod4x10M)->Arg(0)->Arg(10)->Arg(600)->Unit(benchmark::kMillisecond);

// CPU time of this thread: the machine is shared, wall time would count others' work.
double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// Every point drawn, no level of detail: 4 series x N points; the time per frame grows with N,
// and the counter extrapolates its CPU time to 10M per series.
void BM_FrameNaive4xN(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  std::vector<std::vector<float>> values(4, std::vector<float>(n));
  for (int s = 0; s < 4; ++s) {
    for (size_t i = 0; i < n; ++i) values[static_cast<size_t>(s)][i] = Signal(i, s);
  }
  HeadlessImGui& imgui = Imgui();
  std::vector<ImVec2> points(n);
  const double cpu_start = ThreadCpuMs();
  const float x0 = 60, w = kPlotSize.x - 70, y0 = 30, h = kPlotSize.y - 60;
  for (auto _ : state) {
    imgui.BeginFrame();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    for (int s = 0; s < 4; ++s) {
      const auto& v = values[static_cast<size_t>(s)];
      for (size_t i = 0; i < n; ++i) {
        points[i] = ImVec2(x0 + w * static_cast<float>(i) / static_cast<float>(n),
                           y0 + h * (0.5f - v[i] / 400.0f));
      }
      AddPolylineChunked(dl, points.data(), n, IM_COL32_WHITE, 1.0f);
    }
    ImDrawData* draw = imgui.EndFrame();
    benchmark::DoNotOptimize(draw);
  }
  state.counters["points_drawn"] = static_cast<double>(4 * n);
  const double ms_per_frame = (ThreadCpuMs() - cpu_start) / static_cast<double>(state.iterations());
  state.counters["ms_extrapolated_to_10M"] =
      ms_per_frame * static_cast<double>(kSamplesPerSeries) / static_cast<double>(n);
}
BENCHMARK(BM_FrameNaive4xN)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

// Appends at steady state (raw window full, chunks recycled).
void BM_Append(benchmark::State& state) {
  LodOptions options;
  options.raw_budget_samples = 1 << 20;
  LodSeries lod(options);
  size_t i = 0;
  for (; i < 2'000'000; ++i) lod.Append(static_cast<double>(i) / kRateHz, Signal(i, 0));
  for (auto _ : state) {
    for (int k = 0; k < 1000; ++k, ++i) lod.Append(static_cast<double>(i) / kRateHz, Signal(i, 0));
  }
  state.counters["samples/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * 1000,
                                                   benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Append);

// Memory: what the four 10M-sample series hold, and the projection for 72 h at 1 kHz.
void BM_Memory(benchmark::State& state) {
  TenMillion& data = Data();
  size_t bytes = 0;
  for (auto _ : state) {
    bytes = 0;
    for (const auto& s : data.series) bytes += s->memory_bytes();
    benchmark::DoNotOptimize(bytes);
  }
  const uint64_t three_days = 72ull * 3600 * 1000;
  state.counters["MB_4x10M"] = static_cast<double>(bytes) / 1e6;
  state.counters["MB_4x72h_1kHz"] =
      4.0 * static_cast<double>(LodSeries::ProjectMemoryBytes(LodOptions{}, three_days)) / 1e6;
  state.counters["MB_4x10M_all_raw"] = 4.0 * kSamplesPerSeries * 13 / 1e6;
}
BENCHMARK(BM_Memory)->Iterations(1);

// A 72-hour run at 1 kHz: four series of 259.2M samples (built once: a minute or so), 500
// events and 3000 cycles (one every 86.4 s).
constexpr double kRunSeconds = 72.0 * 3600.0;
struct SeventyTwoHours {
  std::vector<std::unique_ptr<LodSeries>> series;
  PlotMarks marks;
  SeventyTwoHours() {
    const uint64_t n = static_cast<uint64_t>(kRunSeconds * kRateHz);
    for (int s = 0; s < 4; ++s) {
      series.push_back(std::make_unique<LodSeries>());
      LodSeries& lod = *series.back();
      for (uint64_t i = 0; i < n; ++i) {
        // A sawtooth per cycle with a little noise: cheap enough for a billion samples.
        const float saw = static_cast<float>(i % 86'400) * 1e-3f;
        lod.Append(static_cast<double>(i) / kRateHz,
                   saw + static_cast<float>((i * 7919) % 13) * 0.1f + s);
      }
    }
    const char* kinds[] = {"pause", "resume", "limit", "gap", "fault"};
    for (int e = 0; e < 500; ++e) {
      marks.markers.push_back({kRunSeconds * (e + 0.5) / 500.0, kinds[e % 5], "event"});
    }
    for (int c = 1; c <= 3000; ++c) marks.cycle_lines.push_back(86.4 * c);
  }
};
SeventyTwoHours& Run72h() {
  static SeventyTwoHours run;
  return run;
}

struct FrameTimes {
  double p50 = 0, p99 = 0;
};

// CPU time per frame of the four plots in a 2 x 2 grid over [t0, t1], with or without the
// marks and the cursor.
FrameTimes MeasureFourPlots(double t0, double t1, bool with_marks, int frames) {
  SeventyTwoHours& run = Run72h();
  HeadlessImGui& imgui = Imgui();
  const char* titles[] = {"Roller speed", "Head angle", "Torque", "Force"};
  std::vector<std::vector<PlotSeries>> plots(4);
  for (size_t p = 0; p < 4; ++p) {  // two series a plot, as command and measurement
    plots[p].push_back({"a", "u", IM_COL32(255, 150, 40, 255), run.series[p].get()});
    plots[p].push_back({"b", "u", IM_COL32(80, 200, 255, 255), run.series[(p + 1) % 4].get()});
  }
  PlotCursor cursor;
  cursor.next_shown = with_marks;
  cursor.next_t = (t0 + t1) / 2;
  const PlotOverlay overlay{with_marks ? &run.marks : nullptr, with_marks ? &cursor : nullptr};
  const ImVec2 size(620, 370);  // a 2 x 2 grid in the plots panel of a 1280 x 800 window
  std::vector<double> ms;
  for (int f = 0; f < frames + 10; ++f) {
    const double start = ThreadCpuMs();
    cursor.NextFrame();
    cursor.next_shown = with_marks;  // as if the mouse rested on a plot
    imgui.BeginFrame();
    for (size_t p = 0; p < 4; ++p) {
      PlotView view;
      view.follow_latest = false;
      view.t0 = t0;
      view.t1 = t1;
      if (p % 2 == 1) ImGui::SameLine();
      DrawPlot(titles[p], "u", &view, plots[p], {}, size, overlay);
    }
    benchmark::DoNotOptimize(imgui.EndFrame());
    if (f >= 10) ms.push_back(ThreadCpuMs() - start);  // after a few frames of warm-up
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms[std::min(ms.size() - 1, ms.size() * 99 / 100)]};
}

// Arg: 0 = the whole run, 1 = an hour in the middle, 2 = half a second at the live end (raw
// samples, single samples apart by a few pixels).
void BM_FourPlots72hWithMarks(benchmark::State& state) {
  double t0 = 0, t1 = kRunSeconds;
  if (state.range(0) == 1) t0 = kRunSeconds / 2 - 1800, t1 = kRunSeconds / 2 + 1800;
  if (state.range(0) == 2) t0 = kRunSeconds - 0.5, t1 = kRunSeconds;
  FrameTimes marked, plain;
  for (auto _ : state) {
    plain = MeasureFourPlots(t0, t1, false, 300);
    marked = MeasureFourPlots(t0, t1, true, 300);
  }
  state.counters["p50_ms"] = marked.p50;
  state.counters["p99_ms"] = marked.p99;
  state.counters["no_marks_p50_ms"] = plain.p50;
  state.counters["no_marks_p99_ms"] = plain.p99;
  state.counters["ratio_p50"] = marked.p50 / plain.p50;
}
BENCHMARK(BM_FourPlots72hWithMarks)
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// Memory of a 72-hour 1 kHz run in rig-dash: the four series built here (measured) and every
// channel of the channel table plus the derived speed error (projected), as rig-dash's
// series set keeps them all.
void BM_Memory72h(benchmark::State& state) {
  SeventyTwoHours& run = Run72h();
  size_t bytes = 0;
  for (auto _ : state) {
    bytes = 0;
    for (const auto& s : run.series) bytes += s->memory_bytes();
    benchmark::DoNotOptimize(bytes);
  }
  const uint64_t samples = run.series[0]->size();
  state.counters["MB_4_series_measured"] = static_cast<double>(bytes) / 1e6;
  state.counters["MB_4_series_projected"] =
      4.0 * static_cast<double>(LodSeries::ProjectMemoryBytes(LodOptions{}, samples)) / 1e6;
  state.counters["MB_all_12_channels"] =
      12.0 * static_cast<double>(LodSeries::ProjectMemoryBytes(LodOptions{}, samples)) / 1e6;
}
BENCHMARK(BM_Memory72h)->Iterations(1);

}  // namespace
