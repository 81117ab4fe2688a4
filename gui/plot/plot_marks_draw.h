// Draws PlotMarks over a plot's data area: each event marker as a vertical line in its kind's
// colour with a glyph and a short label at the top, cycle boundaries as faint lines. Markers
// or cycle lines closer than a pixel column are merged into one line per column, so the cost
// is bounded by the plot's width whatever the number of marks; the count and the kinds are
// still reported.
//
// Call from the ImGui thread while drawing a plot (draws into the given draw list, clipped
// by the caller). Stateless.
#pragma once

#include <imgui.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "gui/plot/plot_marks.h"

namespace rollrig::gui {

// The data area: its screen rectangle and the time window it shows.
struct MarksArea {
  double t0 = 0, t1 = 1;
  float x0 = 0, x1 = 1, top = 0, bottom = 1;
  float X(double t) const;
  double T(float x) const;
};

struct MarksDrawn {
  size_t markers = 0;              // markers inside the window (merged ones included)
  std::vector<std::string> kinds;  // their distinct kinds, in order of first appearance
  size_t cycle_lines = 0;          // cycle lines inside the window
  size_t lines_submitted = 0;      // vertical lines drawn for both (<= 2 per pixel column)
};

// The colour of a marker kind (PlotMarker::kind); unknown kinds get the "other" colour.
ImU32 MarkerColor(std::string_view kind);

// Per pixel column, at most this many markers are looked at for their kinds and colour.
inline constexpr size_t kMarkersInspectedPerColumn = 8;

void DrawCycleLines(ImDrawList* dl, const MarksArea& area, const std::vector<double>& lines,
                    MarksDrawn* drawn);
void DrawMarkers(ImDrawList* dl, const MarksArea& area, const std::vector<PlotMarker>& markers,
                 MarksDrawn* drawn);
// The markers within `radius_px` of screen x (at most `max`), for the hover tooltip.
std::vector<const PlotMarker*> MarkersNear(const MarksArea& area,
                                           const std::vector<PlotMarker>& markers, float x,
                                           float radius_px, size_t max);

}  // namespace rollrig::gui
