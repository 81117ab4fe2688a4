#include "gui/plot/plot_widget.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "gui/plot/testing/headless_imgui.h"

namespace rollrig::gui {
namespace {

using testing::HeadlessImGui;
using testing::MaxVerticesPerDrawCommand;

std::unique_ptr<LodSeries> SineSeries(size_t n, double rate_hz, double phase,
                                      LodOptions options = {}) {
  auto lod = std::make_unique<LodSeries>(options);
  for (size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / rate_hz;
    lod->Append(t, static_cast<float>(std::sin(t * 3.0 + phase) + 0.001 * (i % 97)));
  }
  return lod;
}

const ImVec2 kPlotSize(1200, 360);

TEST(PlotWidgetTest, MillionsOfPointsInViewStayWithinSixteenBitDrawCommands) {
  std::vector<std::unique_ptr<LodSeries>> data;
  std::vector<PlotSeries> series;
  const char* names[] = {"roller cmd", "roller", "torque", "force"};
  for (int i = 0; i < 4; ++i) {
    data.push_back(SineSeries(1'500'000, 1000.0, i));
    series.push_back(
        {names[i], "rpm", IM_COL32(80 + 40 * i, 200, 255 - 40 * i, 255), data.back().get()});
  }
  std::vector<LimitBand> bands = {
      {"torque limit", true, true, -0.8, 0.8, IM_COL32(255, 200, 0, 255)}};
  HeadlessImGui imgui;
  PlotView view;
  view.follow_latest = false;
  view.t0 = 0;
  view.t1 = 1500;  // all 6M samples in view
  PlotDrawStats stats;
  ImDrawData* draw = nullptr;
  for (int frame = 0; frame < 2; ++frame) {
    imgui.BeginFrame();
    stats = DrawPlot("Roller speed", "rpm", &view, series, bands, kPlotSize);
    draw = imgui.EndFrame();
  }
  ASSERT_NE(draw, nullptr);
  EXPECT_LE(MaxVerticesPerDrawCommand(draw), 65536u);
  EXPECT_EQ(stats.title, "Roller speed");
  EXPECT_EQ(stats.legend_entries, 4u);
  ASSERT_EQ(stats.points_per_series.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(stats.points_per_series[i].first, names[i]);
    // The min/max envelope: at most two points per pixel column, yet all of the sine.
    EXPECT_GT(stats.points_per_series[i].second, 500u);
    EXPECT_LE(stats.points_per_series[i].second, 2u * static_cast<size_t>(stats.area_w) + 4);
  }
  EXPECT_GT(stats.draw_vertices, 0u);
  EXPECT_LT(stats.draw_vertices, 100'000u);
  EXPECT_FLOAT_EQ(stats.w, kPlotSize.x);
  EXPECT_FLOAT_EQ(stats.h, kPlotSize.y);
  EXPECT_GT(stats.area_w, 1000.0f);
  EXPECT_TRUE(stats.raw_fetches.empty());
  // Auto y covers the data and the band.
  EXPECT_LT(view.y0, -1.0);
  EXPECT_GT(view.y1, 1.0);
}

TEST(PlotWidgetTest, ChunkedPolylineOfAMillionPointsNeverOverflowsAnIndex) {
  HeadlessImGui imgui;
  std::vector<ImVec2> points(1'000'000);
  for (size_t i = 0; i < points.size(); ++i) {
    points[i] = ImVec2(static_cast<float>(i % 1200), 300.0f + 200.0f * std::sin(i * 0.01f));
  }
  imgui.BeginFrame();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const int before = dl->VtxBuffer.Size;
  AddPolylineChunked(dl, points.data(), points.size(), IM_COL32_WHITE, 1.0f);
  const int added = dl->VtxBuffer.Size - before;
  ImDrawData* draw = imgui.EndFrame();
  EXPECT_GE(added, 2'000'000) << "every point drawn";
  EXPECT_LE(MaxVerticesPerDrawCommand(draw), 65536u);
  size_t commands = 0;
  for (int l = 0; l < draw->CmdListsCount; ++l) commands += draw->CmdLists[l]->CmdBuffer.Size;
  EXPECT_GT(commands, 30u) << "2M+ vertices need many 16-bit commands";
}

TEST(PlotWidgetTest, GapsBreakTheLineAndReportTheirDropCount) {
  LodSeries lod;
  for (int i = 0; i < 1000; ++i) {
    if (i == 400) lod.AppendGap(0.4, 123);
    if (i == 700) lod.AppendGap(0.7, 7);
    if (i >= 400 && i < 523) continue;
    lod.Append(i * 1e-3, static_cast<float>(i));
  }
  HeadlessImGui imgui;
  PlotView view;
  view.follow_latest = false;
  view.t0 = 0;
  view.t1 = 1;
  std::vector<PlotSeries> series = {{"force", "N", IM_COL32(255, 120, 0, 255), &lod}};
  PlotDrawStats stats;
  for (int frame = 0; frame < 2; ++frame) {
    imgui.BeginFrame();
    stats = DrawPlot("Force", "N", &view, series, {}, kPlotSize);
    imgui.EndFrame();
  }
  EXPECT_EQ(stats.dropped_in_view, 130u);
  ASSERT_EQ(stats.points_per_series.size(), 1u);
  EXPECT_GE(stats.points_per_series[0].second, 877u);  // raw samples, all drawn
  // Zoomed to the first gap only.
  view.t0 = 0.35;
  view.t1 = 0.6;
  imgui.BeginFrame();
  stats = DrawPlot("Force", "N", &view, series, {}, kPlotSize);
  imgui.EndFrame();
  EXPECT_EQ(stats.dropped_in_view, 123u);
}

TEST(PlotWidgetTest, FollowsLatestUntilPausedOrPanned) {
  LodSeries lod;
  double t = 0;
  for (; t < 20.0; t += 1e-3) lod.Append(t, 1.0f);
  HeadlessImGui imgui;
  PlotView view;  // follow_latest by default, 10 s window
  std::vector<PlotSeries> series = {{"speed", "rpm", IM_COL32_WHITE, &lod}};
  imgui.BeginFrame();
  DrawPlot("Speed", "rpm", &view, series, {}, kPlotSize);
  imgui.EndFrame();
  EXPECT_DOUBLE_EQ(view.t1, lod.t_end());
  EXPECT_NEAR(view.t1 - view.t0, 10.0, 1e-9);

  for (; t < 25.0; t += 1e-3) lod.Append(t, 2.0f);
  imgui.BeginFrame();
  DrawPlot("Speed", "rpm", &view, series, {}, kPlotSize);
  imgui.EndFrame();
  EXPECT_DOUBLE_EQ(view.t1, lod.t_end());

  view.paused = true;
  const double paused_t1 = view.t1;
  for (; t < 30.0; t += 1e-3) lod.Append(t, 3.0f);
  imgui.BeginFrame();
  DrawPlot("Speed", "rpm", &view, series, {}, kPlotSize);
  imgui.EndFrame();
  EXPECT_DOUBLE_EQ(view.t1, paused_t1) << "paused: the window stays still";
}

TEST(PlotWidgetTest, WheelZoomsAroundTheMouseDragPansDoubleClickFollows) {
  auto lod = SineSeries(100'000, 1000.0, 0.0);
  HeadlessImGui imgui;
  ImGuiIO& io = ImGui::GetIO();
  PlotView view;
  view.follow_latest = false;
  view.t0 = 0;
  view.t1 = 100;
  std::vector<PlotSeries> series = {{"angle", "deg", IM_COL32_WHITE, lod.get()}};
  PlotDrawStats stats;
  auto frame = [&] {
    imgui.BeginFrame();
    stats = DrawPlot("Head angle", "deg", &view, series, {}, kPlotSize);
    imgui.EndFrame();
  };
  frame();
  frame();
  // Mouse at 3/4 of the data area, one wheel notch in.
  const float mx = stats.area_x + stats.area_w * 0.75f;
  const float my = stats.area_y + stats.area_h * 0.5f;
  io.MousePos = ImVec2(mx, my);
  frame();  // hover settles
  const double t_under_mouse = view.t0 + (view.t1 - view.t0) * 0.75;
  io.MouseWheel = 1.0f;
  frame();
  io.MouseWheel = 0.0f;
  EXPECT_LT(view.t1 - view.t0, 100.0 * 0.9) << "zoomed in";
  // ImGui floors the mouse position: within a pixel of the old window.
  EXPECT_NEAR(view.t0 + (view.t1 - view.t0) * 0.75, t_under_mouse, 100.0 / stats.area_w)
      << "the time under the mouse stays put";
  EXPECT_FALSE(view.follow_latest);

  // Drag 100 px to the right: the window moves back in time by 100 px worth.
  const double span = view.t1 - view.t0;
  const double t0_before = view.t0;
  io.MouseDown[0] = true;
  frame();
  for (int i = 1; i <= 10; ++i) {
    io.MousePos = ImVec2(mx + 10.0f * i, my);
    frame();
  }
  io.MouseDown[0] = false;
  frame();
  EXPECT_NEAR(view.t0, t0_before - 100.0 / stats.area_w * span, span * 0.02);
  EXPECT_NEAR(view.t1 - view.t0, span, 1e-9);

  // Double-click: back to following the latest data.
  for (int click = 0; click < 2; ++click) {
    io.MouseDown[0] = true;
    frame();
    io.MouseDown[0] = false;
    frame();
  }
  EXPECT_TRUE(view.follow_latest);
  EXPECT_DOUBLE_EQ(view.t1, lod->t_end());
}

TEST(PlotWidgetTest, AsksForRawDataItNoLongerHoldsAndDrawsItWhenFetched) {
  LodOptions options;
  options.raw_budget_samples = 20'000;
  options.level_budget_buckets = 1'000;
  LodSeries lod(options);
  InMemoryRawSource source(2);
  for (int i = 0; i < 300'000; ++i) {
    const float v = static_cast<float>(std::sin(i * 0.001));
    lod.Append(i * 1e-3, v);
    source.Add(1, i * 1e-3, v);
  }
  HeadlessImGui imgui;
  PlotView view;
  view.follow_latest = false;
  view.t0 = 10.0;
  view.t1 = 10.5;
  std::vector<PlotSeries> series = {{"none", "", IM_COL32_WHITE, nullptr},
                                    {"torque", "N*m", IM_COL32(255, 80, 80, 255), &lod}};
  imgui.BeginFrame();
  PlotDrawStats stats = DrawPlot("Torque", "N*m", &view, series, {}, kPlotSize);
  imgui.EndFrame();
  ASSERT_EQ(stats.raw_fetches.size(), 1u);
  EXPECT_EQ(stats.raw_fetches[0].series, 1);
  EXPECT_DOUBLE_EQ(stats.raw_fetches[0].t0, 10.0);
  EXPECT_DOUBLE_EQ(stats.raw_fetches[0].t1, 10.5);
  const size_t coarse_points = stats.points_per_series[1].second;

  RawWindow window;
  FetchRawWindow(source, stats.raw_fetches[0].series, stats.raw_fetches[0].t0,
                 stats.raw_fetches[0].t1, &window);
  const LodSeriesWithWindow with_window(&lod, &window);
  series[1].data = &with_window;
  imgui.BeginFrame();
  stats = DrawPlot("Torque", "N*m", &view, series, {}, kPlotSize);
  imgui.EndFrame();
  EXPECT_TRUE(stats.raw_fetches.empty());
  EXPECT_EQ(stats.points_per_series[0].second, 0u);
  EXPECT_GE(stats.points_per_series[1].second, 500u) << "every raw sample of the window";
  EXPECT_GT(stats.points_per_series[1].second, coarse_points);
}

// Vertices of `draw` in exactly this colour (alpha included).
size_t VerticesColoured(const ImDrawData* draw, ImU32 color) {
  size_t n = 0;
  for (int l = 0; l < draw->CmdListsCount; ++l) {
    for (const ImDrawVert& v : draw->CmdLists[l]->VtxBuffer) n += v.col == color ? 1 : 0;
  }
  return n;
}

TEST(PlotWidgetTest, DenseDataIsATranslucentBandWithItsMeanLineInBoundedVertices) {
  // Noise of +-1 around a slow sine, 2000 samples per pixel column.
  auto lod = std::make_unique<LodSeries>();
  for (size_t i = 0; i < 2'000'000; ++i) {
    const double t = static_cast<double>(i) * 1e-3;
    lod->Append(t, static_cast<float>(std::sin(t * 0.01) * 5 + (i % 2 ? 1.0 : -1.0)));
  }
  const ImU32 color = IM_COL32(80, 200, 255, 255);
  std::vector<PlotSeries> series = {{"torque", "N*m", color, lod.get()}};
  HeadlessImGui imgui;
  PlotView view;
  view.follow_latest = false;
  view.t0 = 0;
  view.t1 = lod->t_end();
  PlotDrawStats stats;
  ImDrawData* draw = nullptr;
  for (int frame = 0; frame < 2; ++frame) {
    imgui.BeginFrame();
    stats = DrawPlot("Torque", "N*m", &view, series, {}, kPlotSize);
    draw = imgui.EndFrame();
  }
  const size_t columns = static_cast<size_t>(stats.area_w);
  EXPECT_LE(stats.points_per_series[0].second, 2 * columns + 4);
  // The band: one translucent quad per column; the mean: an opaque line over it.
  const size_t band = VerticesColoured(draw, (color & ~IM_COL32_A_MASK) | (90u << 24));
  EXPECT_GE(band, 4 * (columns - 2));
  EXPECT_LE(band, 4 * (columns + 2));
  EXPECT_GT(VerticesColoured(draw, color), columns) << "the mean line";
  EXPECT_LT(stats.draw_vertices, 16 * columns) << "bounded by the width, not the data";
  // The mean line lies mid-band: the noise averages out.
  SeriesView v;
  lod->QueryView(view.t0, view.t1, static_cast<int>(columns), &v);
  ASSERT_EQ(v.mean.size(), v.t.size());
  for (size_t i = 1; i + 1 < v.t.size(); ++i) {
    EXPECT_NEAR(v.mean[i], std::sin(v.t[i] * 0.01) * 5, 0.1) << "column " << i;
  }
}

PlotMarks SomeMarks() {
  PlotMarks marks;
  marks.markers = {{1.0, "start", "run started"},
                   {12.0, "pause", "paused by bob"},
                   {14.0, "resume", "resumed by bob"},
                   {20.0, "limit", "torque over 2 N*m"},
                   {20.0, "pause", "held"},
                   {150.0, "stop", "beyond the window"}};
  for (int c = 1; c < 30; ++c) marks.cycle_lines.push_back(6.0 * c);
  return marks;
}

TEST(PlotWidgetTest, DrawsMarkersAndCycleLinesInTheWindowWithTheirKinds) {
  auto lod = SineSeries(100'000, 1000.0, 0.0);
  std::vector<PlotSeries> series = {{"speed", "rpm", IM_COL32_WHITE, lod.get()}};
  const PlotMarks marks = SomeMarks();
  HeadlessImGui imgui;
  PlotView view;
  view.follow_latest = false;
  view.t0 = 0;
  view.t1 = 100;
  imgui.BeginFrame();
  const PlotDrawStats plain = DrawPlot("Speed", "rpm", &view, series, {}, kPlotSize);
  const PlotDrawStats stats =
      DrawPlot("Speed2", "rpm", &view, series, {}, kPlotSize, PlotOverlay{&marks, nullptr});
  imgui.EndFrame();
  EXPECT_EQ(plain.markers_drawn, 0u);
  EXPECT_EQ(stats.markers_drawn, 5u);
  EXPECT_EQ(stats.marker_kinds, (std::vector<std::string>{"start", "pause", "resume", "limit"}));
  EXPECT_EQ(stats.cycle_lines_drawn, 16u);  // 6 .. 96 s
  EXPECT_GT(stats.draw_vertices, plain.draw_vertices);

  // Zoomed to 10..15 s: the pause and the resume, no cycle line but the one at 12 s.
  view.t0 = 10;
  view.t1 = 15;
  imgui.BeginFrame();
  const PlotDrawStats zoomed =
      DrawPlot("Speed", "rpm", &view, series, {}, kPlotSize, PlotOverlay{&marks, nullptr});
  imgui.EndFrame();
  EXPECT_EQ(zoomed.markers_drawn, 2u);
  EXPECT_EQ(zoomed.marker_kinds, (std::vector<std::string>{"pause", "resume"}));
  EXPECT_EQ(zoomed.cycle_lines_drawn, 1u);
}

TEST(PlotWidgetTest, DenseMarkersAndCycleLinesMergePerColumnAtBoundedCost) {
  auto lod = SineSeries(10'000, 100.0, 0.0);
  std::vector<PlotSeries> series = {{"speed", "rpm", IM_COL32_WHITE, lod.get()}};
  PlotMarks marks;
  const char* kinds[] = {"gap", "limit", "fault"};
  for (int i = 0; i < 200'000; ++i) {
    marks.markers.push_back({i * 5e-4, kinds[i % 3], "event"});
    marks.cycle_lines.push_back(i * 5e-4);
  }
  HeadlessImGui imgui;
  PlotView view;
  view.follow_latest = false;
  view.t0 = 0;
  view.t1 = 100;
  imgui.BeginFrame();
  const PlotDrawStats stats =
      DrawPlot("Speed", "rpm", &view, series, {}, kPlotSize, PlotOverlay{&marks, nullptr});
  imgui.EndFrame();
  EXPECT_EQ(stats.markers_drawn, 200'000u);
  EXPECT_EQ(stats.cycle_lines_drawn, 200'000u);
  EXPECT_EQ(stats.marker_kinds.size(), 3u);
  EXPECT_LT(stats.draw_vertices, 60 * static_cast<size_t>(stats.area_w))
      << "one merged line per column, not one per marker";
}

TEST(PlotWidgetTest, ReportsTheExtentOfEachSeriesDrawn) {
  LodSeries lod;
  for (int i = 0; i <= 20'000; ++i) lod.Append(2.0 + i * 1e-3, 1.0f);
  std::vector<PlotSeries> series = {{"temp", "C", IM_COL32_WHITE, &lod}};
  HeadlessImGui imgui;
  PlotView view;
  view.follow_latest = false;
  view.t0 = 0;
  view.t1 = 30;
  imgui.BeginFrame();
  PlotDrawStats stats = DrawPlot("Temp", "C", &view, series, {}, kPlotSize);
  imgui.EndFrame();
  ASSERT_EQ(stats.series_extents.size(), 1u);
  EXPECT_EQ(stats.series_extents[0].name, "temp");
  EXPECT_NEAR(stats.series_extents[0].first_t, 2.0, 0.03);
  EXPECT_NEAR(stats.series_extents[0].last_t, 22.0, 0.03);
  EXPECT_EQ(stats.series_extents[0].points, stats.points_per_series[0].second);
  view.t0 = 10;  // raw samples: the first and last inside the window, not the neighbours
  view.t1 = 10.5;
  imgui.BeginFrame();
  stats = DrawPlot("Temp", "C", &view, series, {}, kPlotSize);
  imgui.EndFrame();
  EXPECT_NEAR(stats.series_extents[0].first_t, 10.0, 1e-3);
  EXPECT_GE(stats.series_extents[0].first_t, 10.0);
  EXPECT_NEAR(stats.series_extents[0].last_t, 10.5, 1e-3);
  EXPECT_LE(stats.series_extents[0].last_t, 10.5);
}

TEST(PlotWidgetTest, HoveringOnePlotPutsTheCursorOnEveryPlot) {
  auto a = SineSeries(100'000, 1000.0, 0.0);
  auto b = SineSeries(100'000, 1000.0, 1.0);
  std::vector<PlotSeries> top = {{"speed", "rpm", IM_COL32_WHITE, a.get()}};
  std::vector<PlotSeries> bottom = {{"torque", "N*m", IM_COL32(255, 80, 80, 255), b.get()}};
  HeadlessImGui imgui;
  ImGuiIO& io = ImGui::GetIO();
  PlotView v1, v2;
  v1.follow_latest = v2.follow_latest = false;
  v1.t1 = v2.t1 = 100;
  PlotCursor cursor;
  const ImVec2 size(1200, 300);
  PlotDrawStats s1, s2;
  auto frame = [&] {
    cursor.NextFrame();
    imgui.BeginFrame();
    s1 = DrawPlot("Speed", "rpm", &v1, top, {}, size, PlotOverlay{nullptr, &cursor});
    s2 = DrawPlot("Torque", "N*m", &v2, bottom, {}, size, PlotOverlay{nullptr, &cursor});
    imgui.EndFrame();
  };
  frame();
  const size_t idle_vertices = s2.draw_vertices;
  io.MousePos = ImVec2(s1.area_x + s1.area_w * 0.5f, s1.area_y + s1.area_h * 0.5f);
  frame();
  frame();
  EXPECT_TRUE(s1.hovered);
  EXPECT_FALSE(s2.hovered);
  ASSERT_TRUE(cursor.next_shown);
  EXPECT_NEAR(cursor.next_t, 50.0, 100.0 / s1.area_w);
  EXPECT_TRUE(cursor.shown);
  EXPECT_GT(s2.draw_vertices, idle_vertices) << "the cursor and its read-out on the other plot";
  io.MousePos = ImVec2(-100, -100);
  frame();
  frame();
  EXPECT_FALSE(cursor.shown);
  EXPECT_EQ(s2.draw_vertices, idle_vertices);
}

TEST(PlotWidgetTest, WallClockIsReadable) {
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(FormatWallClock(1'796'236'212'345'000'000), "2026-12-02 18:30:12.345 UTC");
}

TEST(PlotWidgetTest, TicksAreNiceAndLabelsReadable) {
  EXPECT_DOUBLE_EQ(NiceStep(10.0, 5), 2.0);
  EXPECT_DOUBLE_EQ(NiceStep(1.0, 10), 0.1);
  EXPECT_DOUBLE_EQ(NiceStep(7.0, 2), 5.0);
  EXPECT_DOUBLE_EQ(NiceStep(0.03, 4), 0.01);
  EXPECT_DOUBLE_EQ(NiceTimeStep(30.0, 6), 5.0);
  EXPECT_DOUBLE_EQ(NiceTimeStep(3600.0, 6), 600.0);
  EXPECT_DOUBLE_EQ(NiceTimeStep(72 * 3600.0, 8), 43200.0);
  const auto ticks = TicksFor(-0.95, 1.3, 0.5);
  ASSERT_EQ(ticks.size(), 4u);
  EXPECT_DOUBLE_EQ(ticks.front(), -0.5);
  EXPECT_DOUBLE_EQ(ticks.back(), 1.0);
  EXPECT_EQ(FormatTick(0.5, 0.5), "0.5");
  EXPECT_EQ(FormatTick(1200, 200), "1200");
  EXPECT_EQ(FormatTick(-1e-17, 0.1), "0.0");
  EXPECT_EQ(FormatTimeTick(12.5, 0.5), "12.5 s");
  EXPECT_EQ(FormatTimeTick(3725, 600), "1:02:05");
  EXPECT_EQ(FormatTimeTick(125, 60), "2:05");
  // Every tick step divides the span into at most the asked number of ticks.
  for (double span : {1e-5, 0.37, 3.0, 99.0, 1234.0, 86400.0 * 3}) {
    for (int n : {2, 5, 11}) {
      EXPECT_LE(span / NiceTimeStep(span, n), n + 1e-9) << span << " " << n;
      EXPECT_LE(span / NiceStep(span, n), n + 1e-9) << span << " " << n;
    }
  }
}

}  // namespace
}  // namespace rollrig::gui
