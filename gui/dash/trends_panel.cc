// The trends panel: one per-cycle statistic at a time (chosen from every statistic of
// CycleStats) against cycle number, with its per-cycle limit lines; hovering a point names
// the cycle and value, clicking it zooms the time plots to that cycle.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "gui/dash/panels.h"
#include "gui/plot/plot_widget.h"
#include "imgui.h"

namespace rollrig::gui {
namespace {

constexpr float kPlotHeight = 150;
constexpr float kAxisLeft = 52, kAxisBottom = 18;
constexpr ImU32 kPoint = IM_COL32(80, 200, 255, 255);
constexpr ImU32 kLimit = IM_COL32(255, 80, 80, 255);
constexpr ImU32 kGrid = IM_COL32(255, 255, 255, 30);
constexpr ImU32 kText = IM_COL32(200, 200, 200, 255);

struct Axes {
  ImVec2 lo, hi;  // the data area on screen
  double x0, x1, y0, y1;
  ImVec2 At(double x, double y) const {
    return ImVec2(lo.x + static_cast<float>((x - x0) / (x1 - x0)) * (hi.x - lo.x),
                  hi.y - static_cast<float>((y - y0) / (y1 - y0)) * (hi.y - lo.y));
  }
};

Axes AxesFor(const TrendSeries& t, ImVec2 origin, ImVec2 size) {
  Axes a{ImVec2(origin.x + kAxisLeft, origin.y + 4),
         ImVec2(origin.x + size.x - 6, origin.y + size.y - kAxisBottom),
         0,
         1,
         0,
         1};
  a.x0 = t.cycle.front() - 0.5;
  a.x1 = t.cycle.back() + 0.5;
  double lo = *std::min_element(t.value.begin(), t.value.end());
  double hi = *std::max_element(t.value.begin(), t.value.end());
  for (const auto& l : {t.limit_min, t.limit_max}) {
    if (l) lo = std::min(lo, *l), hi = std::max(hi, *l);
  }
  const double pad = std::max(1e-9, (hi - lo) * 0.08 + (hi == lo ? std::abs(hi) * 0.05 + 1e-3 : 0));
  a.y0 = lo - pad;
  a.y1 = hi + pad;
  return a;
}

void DrawAxes(ImDrawList* dl, const Axes& a, const std::string& unit) {
  const double ystep = NiceStep(a.y1 - a.y0, 4);
  for (double y : TicksFor(a.y0, a.y1, ystep)) {
    const ImVec2 p = a.At(a.x0, y);
    dl->AddLine(ImVec2(a.lo.x, p.y), ImVec2(a.hi.x, p.y), kGrid);
    dl->AddText(ImVec2(a.lo.x - kAxisLeft + 2, p.y - 7), kText, FormatTick(y, ystep).c_str());
  }
  const double xstep = std::max(1.0, NiceStep(a.x1 - a.x0, 6));
  for (double x : TicksFor(std::ceil(a.x0), a.x1, xstep)) {
    const ImVec2 p = a.At(x, a.y0);
    dl->AddText(ImVec2(p.x - 6, a.hi.y + 2), kText, FormatTick(x, xstep).c_str());
  }
  const float unit_w = ImGui::CalcTextSize(unit.c_str()).x;
  dl->AddText(ImVec2(a.hi.x - unit_w - 4, a.hi.y - 16), kText, unit.c_str());
  dl->AddRect(a.lo, a.hi, IM_COL32(255, 255, 255, 60));
}

void DrawLimit(ImDrawList* dl, const Axes& a, double y) {
  const ImVec2 p = a.At(a.x0, y);
  for (float x = a.lo.x; x < a.hi.x; x += 8) {  // dashed
    dl->AddLine(ImVec2(x, p.y), ImVec2(std::min(x + 4, a.hi.x), p.y), kLimit, 1.5f);
  }
}

// The point under the mouse (index), or -1.
int Hovered(const TrendSeries& t, const Axes& a) {
  if (!ImGui::IsItemHovered()) return -1;
  const ImVec2 m = ImGui::GetIO().MousePos;
  int best = -1;
  float best_d = 8;
  for (size_t i = 0; i < t.cycle.size(); ++i) {
    const ImVec2 p = a.At(t.cycle[i], t.value[i]);
    const float d = std::abs(p.x - m.x);
    if (d < best_d) best_d = d, best = static_cast<int>(i);
  }
  return best;
}

void ZoomToCycle(DashState& s, const rollrig::v1::CycleStats& c) {
  s.view.t0 = c.start_s();
  s.view.t1 = std::max(c.end_s(), c.start_s() + 1e-3);
  s.view.follow_latest = false;
  s.whole_run = false;
}

void DrawTrend(DashState& s, const TrendSeries& t) {
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  const ImVec2 size(std::max(120.0f, ImGui::GetContentRegionAvail().x), kPlotHeight);
  ImGui::InvisibleButton("trend", size);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  if (t.cycle.empty()) {
    dl->AddText(ImVec2(origin.x + 8, origin.y + size.y / 2 - 7), kText,
                "no cycle has completed yet");
    return;
  }
  const Axes a = AxesFor(t, origin, size);
  DrawAxes(dl, a, t.unit);
  if (t.limit_min) DrawLimit(dl, a, *t.limit_min);
  if (t.limit_max) DrawLimit(dl, a, *t.limit_max);
  std::vector<ImVec2> points;
  points.reserve(t.cycle.size());
  for (size_t i = 0; i < t.cycle.size(); ++i) points.push_back(a.At(t.cycle[i], t.value[i]));
  AddPolylineChunked(dl, points.data(), points.size(), kPoint, 1.5f);
  if (points.size() <= 400) {  // dots while they stay apart
    for (const ImVec2& p : points) dl->AddCircleFilled(p, 2.5f, kPoint);
  }
  const int h = Hovered(t, a);
  if (h < 0) return;
  dl->AddCircle(points[h], 5, IM_COL32(255, 255, 255, 255));
  ImGui::SetTooltip("cycle %.0f: %s %.4g %s%s", t.cycle[h], t.name.c_str(), t.value[h],
                    t.unit.c_str(), "\nclick: show this cycle on the time plots");
  if (ImGui::IsItemClicked()) {
    if (const rollrig::v1::CycleStats* c = s.trends.FindCycle(t.cycle[h])) ZoomToCycle(s, *c);
  }
}

}  // namespace

void DrawTrendsPanel(DashState& s) {
  const std::vector<TrendSeries>& series = s.trends.series;
  if (series.empty()) {
    ImGui::TextDisabled("no run with cycles shown");
    return;
  }
  s.trend_stat = std::clamp(s.trend_stat, 0, static_cast<int>(series.size()) - 1);
  std::vector<const char*> names;
  for (const TrendSeries& t : series) names.push_back(t.name.c_str());
  ImGui::SetNextItemWidth(220);
  ImGui::Combo("statistic", &s.trend_stat, names.data(), static_cast<int>(names.size()));
  const TrendSeries& t = series[s.trend_stat];
  ImGui::SameLine();
  ImGui::TextDisabled("%zu cycles", t.cycle.size());
  if (t.limit_min || t.limit_max) {
    ImGui::TextColored(ImVec4(1, 0.4f, 0.4f, 1), "limit '%s':%s%s", t.limit_name.c_str(),
                       t.limit_min ? absl::StrFormat(" min %.4g", *t.limit_min).c_str() : "",
                       t.limit_max ? absl::StrFormat(" max %.4g", *t.limit_max).c_str() : "");
  }
  DrawTrend(s, t);
}

}  // namespace rollrig::gui
