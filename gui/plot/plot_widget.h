// A time-series plot drawn with ImDrawList in the current ImGui window (Dear ImGui 1.86 has
// no plot widget and ImPlot is not packaged): time axis in seconds of run time, y axis with
// ticks and unit, several series from SeriesSources, legend, limit bands, gaps drawn as breaks
// with the drop count, event markers and cycle lines (PlotMarks), wheel zoom around the mouse,
// drag pan, double-click back to follow, and a cursor shared by the plots with a read-out of
// every series' value under it.
//
// Every series is drawn from a query of one min/max/mean entry per pixel column (or the raw
// samples when few): dense data as a translucent min/max band with its mean as a line, raw
// data as a line with points. Markers and cycle lines denser than a pixel column are merged
// per column. So the cost does not grow with the data. Polylines are submitted in
// pieces of at most kMaxPolylinePoints points, so no draw call comes near the 65,536 vertices a
// 16-bit ImDrawIdx can address; a draw list larger than that needs the renderer to set
// ImGuiBackendFlags_RendererHasVtxOffset (the GLFW/OpenGL3 backend does).
//
// Call from the ImGui thread between NewFrame and Render. DrawPlot calls SeriesSource::QueryView,
// so the caller holds whatever lock guards the series against their writer.
#pragma once

#include <imgui.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gui/plot/lod_series.h"  // the usual SeriesSource, and LodSeriesWithWindow
#include "gui/plot/plot_marks.h"
#include "gui/plot/series_source.h"

namespace rollrig::gui {

struct PlotSeries {
  std::string name;
  std::string unit;
  ImU32 color = IM_COL32(255, 255, 255, 255);
  // May be null (drawn as nothing). Raw samples fetched after a PlotDrawStats::raw_fetches
  // request are drawn through LodSeriesWithWindow.
  const SeriesSource* data = nullptr;
};

struct LimitBand {  // limits drawn as lines, the region beyond them shaded
  std::string label;
  bool has_min = false, has_max = false;
  double min = 0, max = 0;
  ImU32 color = IM_COL32(255, 200, 0, 255);
};

struct PlotView {             // kept by the caller across frames; the widget edits it
  double t0 = 0, t1 = 10;     // visible time window, seconds
  bool follow_latest = true;  // live: window slides with new data (pan/zoom turns it off)
  bool auto_y = true;
  double y0 = 0, y1 = 1;
  bool paused = false;  // the window stays still while data keeps arriving
};

struct RawFetchRequest {  // added: a series zoomed deeper than its in-memory raw data
  int series = 0;         // index into DrawPlot's `series`
  double t0 = 0, t1 = 0;
};

struct PlotDrawStats {
  std::string title;
  // Polyline points submitted per series (<= ~2 per pixel column).
  std::vector<std::pair<std::string, size_t>> points_per_series;
  float x = 0, y = 0, w = 0, h = 0;  // the plot's rectangle in screen (framebuffer) pixels
  uint64_t dropped_in_view = 0;
  // Added:
  float area_x = 0, area_y = 0, area_w = 0, area_h = 0;  // the data area inside the axes
  size_t legend_entries = 0;
  size_t draw_vertices = 0;  // ImGui vertices this plot added to the window's draw list
  bool hovered = false;
  std::vector<RawFetchRequest> raw_fetches;
  // Added for the run view: per series drawn, the points submitted and the times of the
  // first and last point drawn; the markers and cycle lines drawn inside the window, and the
  // distinct kinds of those markers (PlotMarker::kind).
  struct SeriesExtent {
    std::string name;
    size_t points = 0;
    double first_t = 0, last_t = 0;
  };
  std::vector<SeriesExtent> series_extents;
  size_t markers_drawn = 0;
  std::vector<std::string> marker_kinds;
  size_t cycle_lines_drawn = 0;
};

// The cursor the plots share, kept by the caller across frames: the plot under the mouse
// sets it, and every plot draws it (from the next frame on, for plots drawn before the
// hovered one) with the value of each of its series there.
struct PlotCursor {
  bool shown = false;  // what the plots draw this frame
  double t = 0;
  bool next_shown = false;  // set this frame by the plot under the mouse
  double next_t = 0;
  // Call once per frame before the plots: this frame draws what the last one set.
  void NextFrame() {
    shown = next_shown;
    t = next_t;
    next_shown = false;
  }
};

// What is drawn over every plot besides its own series; both may be null.
struct PlotOverlay {
  const PlotMarks* marks = nullptr;
  PlotCursor* cursor = nullptr;
};

PlotDrawStats DrawPlot(const char* title, const char* y_unit, PlotView* view,
                       const std::vector<PlotSeries>& series, const std::vector<LimitBand>& bands,
                       ImVec2 size, const PlotOverlay& overlay = {});

// Building blocks, public for tests and the naive-path benchmark.
inline constexpr int kMaxPolylinePoints = 4096;  // <= 4 vertices each: 16K per call
// Draws points[0..n) as one line in pieces of kMaxPolylinePoints (consecutive pieces share an
// end point, so the line is unbroken).
void AddPolylineChunked(ImDrawList* draw_list, const ImVec2* points, size_t n, ImU32 color,
                        float thickness);
// Tick positions for [lo, hi] at a 1/2/5 x 10^n step giving at most max_ticks ticks.
double NiceStep(double span, int max_ticks);
// Like NiceStep, but steps of a minute and more are whole minutes or hours (1, 2, 5, 10,
// 15, 30 min; 1, 2, 3, 6, 12, 24 h).
double NiceTimeStep(double span, int max_ticks);
std::vector<double> TicksFor(double lo, double hi, double step);
// A tick label with as many decimals as the step needs ("0.25", "1200").
std::string FormatTick(double value, double step);
// A time label: seconds below a minute's step ("12.5 s"), else h:mm:ss or m:ss.
std::string FormatTimeTick(double seconds, double step);
// Wall-clock time of `unix_ns` in the local time zone: "2026-12-02 18:30:12.345 UTC".
std::string FormatWallClock(int64_t unix_ns);

}  // namespace rollrig::gui
