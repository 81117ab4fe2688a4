#include "gui/plot/plot_marks_draw.h"

#include <algorithm>
#include <cmath>

namespace rollrig::gui {
namespace {

struct KindStyle {
  std::string_view kind;
  ImU32 color;
};

// By severity, most severe first: a merged line takes the colour of its most severe kind.
constexpr KindStyle kKinds[] = {
    {"estop", IM_COL32(255, 40, 40, 255)},        {"fault", IM_COL32(255, 90, 60, 255)},
    {"aborted", IM_COL32(255, 90, 60, 255)},      {"limit", IM_COL32(255, 170, 0, 255)},
    {"disconnect", IM_COL32(220, 120, 255, 255)}, {"interruption", IM_COL32(220, 120, 255, 255)},
    {"gap", IM_COL32(255, 110, 100, 255)},        {"held", IM_COL32(255, 220, 80, 255)},
    {"pause", IM_COL32(255, 220, 80, 255)},       {"resume", IM_COL32(140, 230, 120, 255)},
    {"reconnect", IM_COL32(170, 150, 255, 255)},  {"start", IM_COL32(120, 220, 255, 255)},
    {"stop", IM_COL32(120, 220, 255, 255)},       {"completed", IM_COL32(120, 230, 160, 255)},
    {"other", IM_COL32(200, 200, 200, 255)},
};
constexpr size_t kOther = std::size(kKinds) - 1;

size_t Severity(std::string_view kind) {
  for (size_t i = 0; i < std::size(kKinds); ++i) {
    if (kKinds[i].kind == kind) return i;
  }
  return kOther;
}

int ColumnOf(const MarksArea& a, double t) { return static_cast<int>(std::floor(a.X(t))); }

// The first time of the pixel column after `column`.
double NextColumnStart(const MarksArea& a, int column) {
  return a.T(static_cast<float>(column + 1));
}

void AddKind(const std::string& kind, std::vector<std::string>* kinds) {
  if (std::find(kinds->begin(), kinds->end(), kind) == kinds->end()) kinds->push_back(kind);
}

}  // namespace

float MarksArea::X(double t) const {
  const double x = x0 + (t - t0) / (t1 - t0) * (x1 - x0);
  return static_cast<float>(std::clamp(x, x0 - 1e4, x1 + 1e4));
}

double MarksArea::T(float x) const { return t0 + (x - x0) / (x1 - x0) * (t1 - t0); }

ImU32 MarkerColor(std::string_view kind) { return kKinds[Severity(kind)].color; }

void DrawCycleLines(ImDrawList* dl, const MarksArea& area, const std::vector<double>& lines,
                    MarksDrawn* drawn) {
  auto it = std::lower_bound(lines.begin(), lines.end(), area.t0);
  const auto end = std::upper_bound(it, lines.end(), area.t1);
  drawn->cycle_lines += static_cast<size_t>(end - it);
  constexpr ImU32 kCycleLine = IM_COL32(110, 150, 255, 80);  // faint, unlike the grey grid
  while (it != end) {
    const int column = ColumnOf(area, *it);
    const float x = static_cast<float>(column) + 0.5f;
    dl->AddLine(ImVec2(x, area.top), ImVec2(x, area.bottom), kCycleLine);
    ++drawn->lines_submitted;
    it = std::lower_bound(it + 1, end, NextColumnStart(area, column));
  }
}

void DrawMarkers(ImDrawList* dl, const MarksArea& area, const std::vector<PlotMarker>& markers,
                 MarksDrawn* drawn) {
  const auto by_t = [](const PlotMarker& m, double t) { return m.t < t; };
  auto it = std::lower_bound(markers.begin(), markers.end(), area.t0, by_t);
  const auto end = std::upper_bound(it, markers.end(), area.t1,
                                    [](double t, const PlotMarker& m) { return t < m.t; });
  drawn->markers += static_cast<size_t>(end - it);
  float label_end = -INFINITY;
  while (it != end) {
    const int column = ColumnOf(area, it->t);
    const auto next = std::lower_bound(it, end, NextColumnStart(area, column), by_t);
    const auto column_end = std::max(next, it + 1);
    // The column's most severe kind among the first few markers in it.
    size_t severity = kOther;
    const auto inspected_end =
        it + std::min<std::ptrdiff_t>(column_end - it, kMarkersInspectedPerColumn);
    for (auto m = it; m != inspected_end; ++m) {
      severity = std::min(severity, Severity(m->kind));
      AddKind(m->kind, &drawn->kinds);
    }
    const ImU32 color = kKinds[severity].color;
    const float x = static_cast<float>(column) + 0.5f;
    const ImU32 line = (color & ~IM_COL32_A_MASK) | (ImU32{190} << IM_COL32_A_SHIFT);
    dl->AddLine(ImVec2(x, area.top), ImVec2(x, area.bottom), line);
    dl->AddTriangleFilled(ImVec2(x - 4.0f, area.top), ImVec2(x + 4.0f, area.top),
                          ImVec2(x, area.top + 6.0f), color);
    ++drawn->lines_submitted;
    const size_t count = static_cast<size_t>(column_end - it);
    const std::string label = count == 1 ? it->kind : std::to_string(count) + " events";
    const float tw = ImGui::CalcTextSize(label.c_str()).x;
    if (x + 3.0f > label_end + 4.0f && x + 3.0f + tw < area.x1) {
      dl->AddText(ImVec2(x + 3.0f, area.top + 1.0f), color, label.c_str());
      label_end = x + 3.0f + tw;
    }
    it = column_end;
  }
}

std::vector<const PlotMarker*> MarkersNear(const MarksArea& area,
                                           const std::vector<PlotMarker>& markers, float x,
                                           float radius_px, size_t max) {
  std::vector<const PlotMarker*> near;
  const double lo = area.T(x - radius_px), hi = area.T(x + radius_px);
  auto it = std::lower_bound(markers.begin(), markers.end(), lo,
                             [](const PlotMarker& m, double t) { return m.t < t; });
  for (; it != markers.end() && it->t <= hi && near.size() < max; ++it) near.push_back(&*it);
  return near;
}

}  // namespace rollrig::gui
