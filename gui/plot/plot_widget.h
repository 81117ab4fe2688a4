// A time-series plot drawn with ImDrawList in the current ImGui window (Dear ImGui 1.86 has
// no plot widget and ImPlot is not packaged): time axis in seconds of run time, y axis with
// ticks and unit, several series from LodSeries, legend, limit bands, gaps drawn as breaks with
// the drop count, wheel zoom around the mouse, drag pan, double-click back to follow, cursor
// read-out.
//
// Every series is drawn from a LodSeries query of one min/max entry per pixel column (or the
// raw samples when few), so the cost does not grow with the data. Polylines are submitted in
// pieces of at most kMaxPolylinePoints points, so no draw call comes near the 65,536 vertices a
// 16-bit ImDrawIdx can address; a draw list larger than that needs the renderer to set
// ImGuiBackendFlags_RendererHasVtxOffset (the GLFW/OpenGL3 backend does).
//
// Call from the ImGui thread between NewFrame and Render. DrawPlot calls LodSeries::Query, so
// the caller holds whatever lock guards the series against their writer.
#pragma once

#include <imgui.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gui/plot/lod_series.h"

namespace rollrig::gui {

struct PlotSeries {
  std::string name;
  std::string unit;
  ImU32 color = IM_COL32(255, 255, 255, 255);
  const LodSeries* data = nullptr;
  // Added: raw samples fetched for this series after a PlotDrawStats::raw_fetches request;
  // used when it covers the visible window. May be null.
  const RawWindow* raw_window = nullptr;
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

PlotDrawStats DrawPlot(const char* title, const char* y_unit, PlotView* view,
                       const std::vector<PlotSeries>& series, const std::vector<LimitBand>& bands,
                       ImVec2 size);

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

}  // namespace rollrig::gui
