#include "gui/plot/plot_widget.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "gui/plot/plot_marks_draw.h"

namespace rollrig::gui {
namespace {

constexpr ImU32 kBackground = IM_COL32(22, 24, 28, 255);
constexpr ImU32 kBorder = IM_COL32(90, 94, 102, 255);
constexpr ImU32 kGrid = IM_COL32(60, 64, 72, 255);
constexpr ImU32 kText = IM_COL32(220, 222, 226, 255);
constexpr ImU32 kDimText = IM_COL32(150, 154, 162, 255);
constexpr ImU32 kGapText = IM_COL32(255, 110, 100, 255);
constexpr ImU32 kCursor = IM_COL32(200, 200, 200, 140);

ImU32 WithAlpha(ImU32 color, int alpha) {
  return (color & ~IM_COL32_A_MASK) | (static_cast<ImU32>(alpha) << IM_COL32_A_SHIFT);
}

// Maps time and value to screen pixels of the data area.
struct Mapping {
  double t0, t1, y0, y1;
  float x0, x1, top, bottom;
  float X(double t) const {
    const double x = x0 + (t - t0) / (t1 - t0) * (x1 - x0);
    return static_cast<float>(std::clamp(x, x0 - 1e4, x1 + 1e4));
  }
  float Y(double v) const {
    const double y = bottom - (v - y0) / (y1 - y0) * (bottom - top);
    return static_cast<float>(std::clamp(y, top - 1e4, bottom + 1e4));
  }
  double T(float x) const { return t0 + (x - x0) / (x1 - x0) * (t1 - t0); }
  double V(float y) const { return y0 + (bottom - y) / (bottom - top) * (y1 - y0); }
};

// Scratch buffers reused frame to frame: the widget allocates nothing in steady state.
struct Scratch {
  std::vector<SeriesView> views;
  std::vector<ImVec2> points;
};
Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

// Draws one unbroken run; a lone sample becomes a dot so it stays visible.
void FlushRun(ImDrawList* dl, std::vector<ImVec2>* run, ImU32 color, bool markers) {
  if (run->size() == 1 || (markers && !run->empty())) {
    for (const ImVec2& p : *run) {
      dl->AddRectFilled(ImVec2(p.x - 1.5f, p.y - 1.5f), ImVec2(p.x + 1.5f, p.y + 1.5f), color);
    }
  }
  if (run->size() >= 2) AddPolylineChunked(dl, run->data(), run->size(), color, 1.0f);
  run->clear();
}

// Draws raw samples as lines broken at gaps, with a marker on each sample when they are sparse;
// returns the samples submitted.
size_t DrawRawSamples(ImDrawList* dl, const Mapping& m, const SeriesView& view, ImU32 color,
                      std::vector<ImVec2>* run) {
  const size_t n = view.t.size();
  size_t points = 0;
  const bool markers = static_cast<double>(n) < (m.x1 - m.x0) / 8.0;
  for (size_t i = 0; i < n; ++i) {
    if (view.gap_before[i] && !run->empty()) {
      points += run->size();
      FlushRun(dl, run, color, markers);
    }
    run->emplace_back(m.X(view.t[i]), m.Y(view.min[i]));
  }
  points += run->size();
  FlushRun(dl, run, color, markers);
  return points;
}

// The mean of each column as a line over the band, broken at gaps.
void DrawMeanLine(ImDrawList* dl, const Mapping& m, const SeriesView& view, ImU32 color,
                  std::vector<ImVec2>* run) {
  run->clear();
  for (size_t i = 0; i < view.t.size(); ++i) {
    if (view.gap_before[i] && !run->empty()) FlushRun(dl, run, color, false);
    run->emplace_back(std::floor(m.X(view.t[i])) + 0.5f, m.Y(view.mean[i]));
  }
  FlushRun(dl, run, color, false);
}

// The envelope is a 1-px bar per column from min to max, stretched to touch the previous
// column's range so the band stays continuous: a polyline would fold back on itself at every
// spike and ImGui's anti-aliased joins break up such hairpins. With the columns' means known
// the band is translucent and the mean is drawn over it as a line, so noise reads as a band
// around the signal, not as a solid block. Returns two points per column.
size_t DrawEnvelope(ImDrawList* dl, const Mapping& m, const SeriesView& view, ImU32 color,
                    std::vector<ImVec2>* run) {
  const size_t n = view.t.size();
  const bool has_mean = view.mean.size() == n;
  const ImU32 band = has_mean ? WithAlpha(color, 90) : color;
  bool have_previous = false;
  float prev_x = 0, prev_mid = 0;
  double prev_min = 0, prev_max = 0;
  for (size_t i = 0; i < n; ++i) {
    const float x = std::floor(m.X(view.t[i]));
    double lo = view.min[i], hi = view.max[i];
    const bool connect = have_previous && !view.gap_before[i];
    if (connect && x - prev_x <= 1.5f) {
      lo = std::min(lo, prev_max);
      hi = std::max(hi, prev_min);
    }
    const float y_top = m.Y(hi), y_bottom = std::max(m.Y(lo), y_top + 1.0f);
    const float mid = 0.5f * (m.Y(view.min[i]) + m.Y(view.max[i]));
    if (!has_mean && connect && x - prev_x > 1.5f) {  // sparse columns: join their middles
      dl->AddLine(ImVec2(prev_x + 0.5f, prev_mid), ImVec2(x + 0.5f, mid), color);
    }
    dl->AddRectFilled(ImVec2(x, y_top), ImVec2(x + 1.0f, y_bottom), band);
    have_previous = true;
    prev_x = x;
    prev_mid = mid;
    prev_min = view.min[i];
    prev_max = view.max[i];
  }
  if (has_mean) DrawMeanLine(dl, m, view, color, run);
  return 2 * n;
}

// Draws a series view; returns the points submitted (raw: samples; envelope: two per column).
size_t DrawSeriesView(ImDrawList* dl, const Mapping& m, const SeriesView& view, ImU32 color,
                      std::vector<ImVec2>* run) {
  run->clear();
  return view.raw ? DrawRawSamples(dl, m, view, color, run) : DrawEnvelope(dl, m, view, color, run);
}

// The value of a view at time t, as text ("1.23" or "1.1 .. 1.4").
bool ValueAt(const SeriesView& view, double t, std::string* text) {
  if (view.t.empty() || t < view.t.front()) return false;
  const size_t i =
      static_cast<size_t>(std::upper_bound(view.t.begin(), view.t.end(), t) - view.t.begin()) - 1;
  char buf[96];
  if (view.raw || view.min[i] == view.max[i]) {
    std::snprintf(buf, sizeof(buf), "%.6g", static_cast<double>(view.min[i]));
  } else if (view.mean.size() == view.t.size()) {
    std::snprintf(buf, sizeof(buf), "%.5g (%.5g .. %.5g)", static_cast<double>(view.mean[i]),
                  static_cast<double>(view.min[i]), static_cast<double>(view.max[i]));
  } else {
    std::snprintf(buf, sizeof(buf), "%.5g .. %.5g", static_cast<double>(view.min[i]),
                  static_cast<double>(view.max[i]));
  }
  *text = buf;
  return true;
}

}  // namespace

void AddPolylineChunked(ImDrawList* draw_list, const ImVec2* points, size_t n, ImU32 color,
                        float thickness) {
  if (n < 2) return;
  const size_t step = kMaxPolylinePoints - 1;  // pieces share their end point
  for (size_t i = 0; i + 1 < n; i += step) {
    const size_t count = std::min<size_t>(kMaxPolylinePoints, n - i);
    draw_list->AddPolyline(points + i, static_cast<int>(count), color, ImDrawFlags_None, thickness);
  }
}

double NiceStep(double span, int max_ticks) {
  if (!(span > 0) || !std::isfinite(span)) return 1.0;
  const double raw = span / std::max(1, max_ticks);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / magnitude;
  const double nice = norm <= 1.0 ? 1.0 : norm <= 2.0 ? 2.0 : norm <= 5.0 ? 5.0 : 10.0;
  return nice * magnitude;
}

double NiceTimeStep(double span, int max_ticks) {
  const double step = NiceStep(span, max_ticks);
  if (step < 60.0) return step;
  const double raw = span / std::max(1, max_ticks);
  static constexpr double kSteps[] = {60,   120,  300,   600,   900,   1800,
                                      3600, 7200, 10800, 21600, 43200, 86400};
  for (double s : kSteps) {
    if (s >= raw) return s;
  }
  return NiceStep(raw, 1) <= 1 ? 86400.0 : NiceStep(raw / 86400.0, 1) * 86400.0;
}

std::vector<double> TicksFor(double lo, double hi, double step) {
  std::vector<double> ticks;
  if (!(step > 0) || !(hi >= lo) || !std::isfinite(lo) || !std::isfinite(hi)) return ticks;
  const double first = std::ceil(lo / step - 1e-9);
  for (int i = 0; i < 1000; ++i) {
    double v = (first + i) * step;
    if (v > hi + step * 1e-9) break;
    if (std::fabs(v) < step * 1e-9) v = 0;  // no "-0"
    ticks.push_back(v);
  }
  return ticks;
}

std::string FormatTick(double value, double step) {
  char buf[64];
  if (std::fabs(value) < step * 1e-9) value = 0;
  const int decimals = step > 0 ? static_cast<int>(std::ceil(-std::log10(step) - 1e-9)) : 3;
  if (std::fabs(value) >= 1e7 || decimals > 7) {
    std::snprintf(buf, sizeof(buf), "%.4g", value);
  } else {
    std::snprintf(buf, sizeof(buf), "%.*f", std::max(0, decimals), value);
  }
  return buf;
}

std::string FormatWallClock(int64_t unix_ns) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ns / 1'000'000'000);
  const int ms = static_cast<int>((unix_ns % 1'000'000'000) / 1'000'000);
  std::tm local{};
  if (localtime_r(&seconds, &local) == nullptr) return "?";
  char date[64], zone[16];
  std::strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &local);
  std::strftime(zone, sizeof(zone), "%Z", &local);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%s.%03d %s", date, ms, zone);
  return buf;
}

std::string FormatTimeTick(double seconds, double step) {
  if (step < 60.0) return FormatTick(seconds, step) + " s";
  const bool negative = seconds < 0;
  const long long total = std::llround(std::fabs(seconds));
  const long long h = total / 3600, m = (total / 60) % 60, s = total % 60;
  char buf[64];
  if (h > 0) {
    std::snprintf(buf, sizeof(buf), "%s%lld:%02lld:%02lld", negative ? "-" : "", h, m, s);
  } else {
    std::snprintf(buf, sizeof(buf), "%s%lld:%02lld", negative ? "-" : "", m, s);
  }
  return buf;
}

namespace {

// What one frame's drawing needs: where the plot is, how the mouse is on it, the draw list.
struct PlotFrame {
  ImVec2 origin;
  float w = 0, h = 0;
  bool hovered = false, active = false;
  float font = 0;
  Mapping m{};
  float plot_w = 0;
  ImDrawList* dl = nullptr;
};

// Claims the plot's rectangle as an ImGui item and lays out the data area inside the axes.
PlotFrame LayOutPlot(ImVec2 size, PlotDrawStats* stats) {
  PlotFrame f;
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  f.w = size.x > 0 ? size.x : std::max(avail.x, 100.0f);
  f.h = size.y > 0 ? size.y : std::max(avail.y, 120.0f);
  f.origin = ImGui::GetCursorScreenPos();
  stats->x = f.origin.x;
  stats->y = f.origin.y;
  stats->w = f.w;
  stats->h = f.h;

  ImGui::PushID(stats->title.c_str());
  ImGui::InvisibleButton("##plot", ImVec2(f.w, f.h));
  f.hovered = ImGui::IsItemHovered();
  f.active = ImGui::IsItemActive();
  ImGui::PopID();
  stats->hovered = f.hovered;

  f.font = ImGui::GetFontSize();
  const float title_h = f.font + 6.0f;
  const float bottom_h = f.font + 8.0f;
  const float y_label_w = ImGui::CalcTextSize("-00000.00").x + 8.0f;
  Mapping& m = f.m;
  m.x0 = f.origin.x + y_label_w;
  m.x1 = f.origin.x + f.w - 8.0f;
  m.top = f.origin.y + title_h;
  m.bottom = f.origin.y + f.h - bottom_h;
  if (m.x1 - m.x0 < 10.0f) m.x1 = m.x0 + 10.0f;
  if (m.bottom - m.top < 10.0f) m.bottom = m.top + 10.0f;
  f.plot_w = m.x1 - m.x0;
  return f;
}

// Wheel zooms time around the mouse; Ctrl + wheel zooms the value axis around the mouse.
void ApplyWheelZoom(const PlotFrame& f, PlotView* view) {
  const ImGuiIO& io = ImGui::GetIO();
  const Mapping& m = f.m;
  const double factor = std::pow(0.8, static_cast<double>(io.MouseWheel));
  if (io.KeyCtrl) {
    const double span_y = view->y1 - view->y0;
    const double vy = view->y0 + (m.bottom - io.MousePos.y) / (m.bottom - m.top) * span_y;
    view->y0 = vy - (vy - view->y0) * factor;
    view->y1 = vy + (view->y1 - vy) * factor;
    view->auto_y = false;
  } else {
    const double span = view->t1 - view->t0;
    const double tm = view->t0 + (io.MousePos.x - m.x0) / f.plot_w * span;
    const double new_span = std::clamp(span * factor, 1e-6, 1e9);
    const double k = new_span / span;
    view->t0 = tm - (tm - view->t0) * k;
    view->t1 = view->t0 + new_span;
    view->follow_latest = false;
  }
}

// Drag pans time; it pans the values too once the y axis is manual.
void ApplyDragPan(const PlotFrame& f, PlotView* view) {
  const ImGuiIO& io = ImGui::GetIO();
  const double dt = -static_cast<double>(io.MouseDelta.x) / f.plot_w * (view->t1 - view->t0);
  if (dt != 0.0) {
    view->t0 += dt;
    view->t1 += dt;
    view->follow_latest = false;
  }
  if (!view->auto_y && io.MouseDelta.y != 0.0f) {
    const double dy =
        static_cast<double>(io.MouseDelta.y) / (f.m.bottom - f.m.top) * (view->y1 - view->y0);
    view->y0 += dy;
    view->y1 += dy;
  }
}

// Sanitises the view the caller keeps, then applies this frame's input to it.
void ApplyInput(const PlotFrame& f, PlotView* view) {
  if (!(view->t1 > view->t0) || !std::isfinite(view->t0) || !std::isfinite(view->t1)) {
    view->t0 = 0;
    view->t1 = 10;
  }
  if (f.hovered && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) {
    view->follow_latest = true;
    view->auto_y = true;
    view->paused = false;
  }
  if (f.hovered && ImGui::GetIO().MouseWheel != 0.0f) ApplyWheelZoom(f, view);
  if (f.active && ImGui::IsMouseDragging(ImGuiMouseButton_Left, 0.0f)) ApplyDragPan(f, view);
}

// Live: the window slides so it ends at the newest sample of any series.
void FollowLatest(const std::vector<PlotSeries>& series, PlotView* view) {
  double latest = -INFINITY;
  for (const PlotSeries& s : series) {
    if (s.data != nullptr && !s.data->empty()) latest = std::max(latest, s.data->t_end());
  }
  if (view->follow_latest && !view->paused && std::isfinite(latest)) {
    const double span = view->t1 - view->t0;
    view->t1 = latest;
    view->t0 = latest - span;
  }
}

struct ValueRange {
  double min = INFINITY, max = -INFINITY;
};

// Queries every series at one entry per pixel column into scratch.views; returns the range of
// the values inside the time window.
ValueRange QuerySeries(const std::vector<PlotSeries>& series, const PlotView& view, int columns,
                       Scratch* scratch, PlotDrawStats* stats) {
  ValueRange range;
  scratch->views.resize(std::max(scratch->views.size(), series.size()));
  for (size_t i = 0; i < series.size(); ++i) {
    SeriesView& sv = scratch->views[i];
    if (series[i].data == nullptr) {
      sv.Clear();
      continue;
    }
    series[i].data->QueryView(view.t0, view.t1, columns, &sv);
    if (sv.needs_raw_fetch) {
      stats->raw_fetches.push_back({static_cast<int>(i), sv.fetch_t0, sv.fetch_t1});
    }
    stats->dropped_in_view += sv.dropped_in_view;
    for (size_t j = 0; j < sv.t.size(); ++j) {
      if (sv.t[j] < view.t0 || sv.t[j] > view.t1) continue;  // raw neighbours off-screen
      range.min = std::min(range.min, static_cast<double>(sv.min[j]));
      range.max = std::max(range.max, static_cast<double>(sv.max[j]));
    }
  }
  return range;
}

// Auto y: the data and the limits in sight with a 5% margin. Any y range left unusable
// falls back to [0, 1].
void FitValueAxis(ValueRange r, const std::vector<LimitBand>& bands, PlotView* view) {
  if (view->auto_y) {
    for (const LimitBand& b : bands) {
      if (b.has_min) r.min = std::min(r.min, b.min), r.max = std::max(r.max, b.min);
      if (b.has_max) r.min = std::min(r.min, b.max), r.max = std::max(r.max, b.max);
    }
    if (!std::isfinite(r.min) || !std::isfinite(r.max)) {
      r.min = 0;
      r.max = 1;
    }
    if (r.max - r.min < 1e-9) {
      const double pad = std::max(1e-3, std::fabs(r.max) * 0.1);
      r.min -= pad;
      r.max += pad;
    }
    const double pad = (r.max - r.min) * 0.05;
    view->y0 = r.min - pad;
    view->y1 = r.max + pad;
  }
  if (!(view->y1 > view->y0) || !std::isfinite(view->y0) || !std::isfinite(view->y1)) {
    view->y0 = 0;
    view->y1 = 1;
  }
}

// Title, unit and state (LIVE, PAUSED, loading detail) above the data area.
void DrawHeader(const PlotFrame& f, const std::string& title, const char* y_unit,
                const PlotView& view, bool loading_detail) {
  f.dl->AddText(ImVec2(f.m.x0, f.origin.y + 2.0f), kText, title.c_str());
  if (y_unit != nullptr && y_unit[0] != '\0') {
    const std::string unit = std::string("[") + y_unit + "]";
    f.dl->AddText(ImVec2(f.origin.x + 2.0f, f.origin.y + 2.0f), kDimText, unit.c_str());
  }
  std::string state = view.paused ? "PAUSED" : view.follow_latest ? "LIVE" : "";
  if (loading_detail) state = "loading detail  " + state;
  const float tw = ImGui::CalcTextSize(state.c_str()).x;
  f.dl->AddText(ImVec2(f.m.x1 - tw, f.origin.y + 2.0f), view.paused ? kGapText : kDimText,
                state.c_str());
}

// Value grid lines with their labels left of the data area.
void DrawValueAxis(const PlotFrame& f) {
  const Mapping& m = f.m;
  const double y_step =
      NiceStep(m.y1 - m.y0, std::max(2, static_cast<int>((m.bottom - m.top) / 40)));
  for (double v : TicksFor(m.y0, m.y1, y_step)) {
    const float y = m.Y(v);
    f.dl->AddLine(ImVec2(m.x0, y), ImVec2(m.x1, y), kGrid);
    const std::string label = FormatTick(v, y_step);
    const ImVec2 ts = ImGui::CalcTextSize(label.c_str());
    f.dl->AddText(ImVec2(m.x0 - ts.x - 4.0f, y - ts.y * 0.5f), kText, label.c_str());
  }
}

// Time grid lines with their labels below the data area, kept inside the plot's rectangle.
void DrawTimeAxis(const PlotFrame& f) {
  const Mapping& m = f.m;
  const double t_step = NiceTimeStep(m.t1 - m.t0, std::max(2, static_cast<int>(f.plot_w / 110)));
  for (double t : TicksFor(m.t0, m.t1, t_step)) {
    const float x = m.X(t);
    f.dl->AddLine(ImVec2(x, m.top), ImVec2(x, m.bottom), kGrid);
    const std::string label = FormatTimeTick(t, t_step);
    const ImVec2 ts = ImGui::CalcTextSize(label.c_str());
    const float lx = std::clamp(x - ts.x * 0.5f, f.origin.x, f.origin.x + f.w - ts.x);
    f.dl->AddText(ImVec2(lx, m.bottom + 3.0f), kText, label.c_str());
  }
}

// The limits as lines, the region beyond them shaded, so what is out of bounds reads as such
// at a glance.
void DrawLimitBand(const PlotFrame& f, const LimitBand& b) {
  const Mapping& m = f.m;
  ImDrawList* dl = f.dl;
  const float y_hi = b.has_max ? m.Y(b.max) : m.top;
  const float y_lo = b.has_min ? m.Y(b.min) : m.bottom;
  if (b.has_max && y_hi > m.top)
    dl->AddRectFilled(ImVec2(m.x0, m.top), ImVec2(m.x1, y_hi), WithAlpha(b.color, 36));
  if (b.has_min && y_lo < m.bottom)
    dl->AddRectFilled(ImVec2(m.x0, y_lo), ImVec2(m.x1, m.bottom), WithAlpha(b.color, 36));
  if (b.has_max) dl->AddLine(ImVec2(m.x0, y_hi), ImVec2(m.x1, y_hi), WithAlpha(b.color, 200));
  if (b.has_min) dl->AddLine(ImVec2(m.x0, y_lo), ImVec2(m.x1, y_lo), WithAlpha(b.color, 200));
  if (!b.label.empty()) {
    const float tw = ImGui::CalcTextSize(b.label.c_str()).x;
    const float ly = b.has_max ? y_hi + 2.0f : y_lo - f.font - 2.0f;
    dl->AddText(ImVec2(m.x1 - tw - 4.0f, ly), WithAlpha(b.color, 230), b.label.c_str());
  }
}

// The times of the first and last entries of `view` inside [t0, t1] (raw views carry a
// neighbour beyond each edge so the line reaches it).
PlotDrawStats::SeriesExtent ExtentOf(const std::string& name, size_t points, const SeriesView& view,
                                     double t0, double t1) {
  PlotDrawStats::SeriesExtent e{name, points, 0, 0};
  const auto first = std::lower_bound(view.t.begin(), view.t.end(), t0);
  const auto last = std::upper_bound(first, view.t.end(), t1);
  if (first != last) {
    e.first_t = *first;
    e.last_t = *(last - 1);
  } else if (!view.t.empty()) {  // one column or sample covers the window
    e.first_t = e.last_t = std::clamp(view.t.front(), t0, t1);
  }
  return e;
}

// Every series from its view; records the points each submitted and their extent.
void DrawSeries(const PlotFrame& f, const std::vector<PlotSeries>& series, Scratch* scratch,
                PlotDrawStats* stats) {
  for (size_t i = 0; i < series.size(); ++i) {
    const SeriesView& view = scratch->views[i];
    const size_t points = series[i].data != nullptr
                              ? DrawSeriesView(f.dl, f.m, view, series[i].color, &scratch->points)
                              : 0;
    stats->points_per_series.emplace_back(series[i].name, points);
    stats->series_extents.push_back(ExtentOf(series[i].name, points, view, f.m.t0, f.m.t1));
  }
}

// A dashed line where samples were lost, with the count when there is room.
void DrawGaps(const PlotFrame& f, size_t series_count, const Scratch& scratch) {
  const Mapping& m = f.m;
  float last_label_end = -INFINITY;
  for (size_t i = 0; i < series_count; ++i) {
    for (const GapMark& g : scratch.views[i].gaps) {
      const float x = std::floor(m.X(g.t)) + 0.5f;
      for (float y = m.top; y < m.bottom; y += 8.0f) {
        f.dl->AddLine(ImVec2(x, y), ImVec2(x, std::min(y + 4.0f, m.bottom)),
                      WithAlpha(kGapText, 170));
      }
      char label[48];
      std::snprintf(label, sizeof(label), "%llu lost", static_cast<unsigned long long>(g.dropped));
      const float tw = ImGui::CalcTextSize(label).x;
      if (x + 3.0f > last_label_end + 6.0f && x + 3.0f + tw < m.x1) {
        f.dl->AddText(ImVec2(x + 3.0f, m.bottom - f.font - 2.0f), kGapText, label);
        last_label_end = x + 3.0f + tw;
      }
    }
  }
}

// Where the cursor is on this plot this frame: at the mouse when it is over this plot's data
// area (which then sets the shared cursor), else where the shared cursor was last frame.
struct CursorAt {
  bool shown = false, here = false;
  double t = 0;
};
CursorAt CursorFor(const PlotFrame& f, PlotCursor* shared) {
  const ImGuiIO& io = ImGui::GetIO();
  if (f.hovered && io.MousePos.x >= f.m.x0 && io.MousePos.x <= f.m.x1) {
    const double t = f.m.T(io.MousePos.x);
    if (shared != nullptr) {
      shared->next_shown = true;
      shared->next_t = t;
    }
    return {true, true, t};
  }
  if (shared != nullptr && shared->shown && shared->t >= f.m.t0 && shared->t <= f.m.t1) {
    return {true, false, shared->t};
  }
  return {};
}

// The hovered plot's tooltip: the time (run time, and wall-clock time when known), the
// events under the mouse, each series' value and the value under the mouse.
void CursorTooltip(const PlotFrame& f, double t, const std::vector<PlotSeries>& series,
                   const Scratch& scratch, const char* y_unit, const PlotMarks* marks,
                   const MarksArea& area) {
  const ImGuiIO& io = ImGui::GetIO();
  ImGui::BeginTooltip();
  ImGui::Text("t = %.6g s", t);
  if (marks != nullptr && marks->time_zero_unix_ns != 0) {
    const int64_t ns = marks->time_zero_unix_ns + static_cast<int64_t>(std::llround(t * 1e9));
    ImGui::TextUnformatted(FormatWallClock(ns).c_str());
  }
  if (marks != nullptr) {
    for (const PlotMarker* mk : MarkersNear(area, marks->markers, io.MousePos.x, 4.0f, 6)) {
      ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(MarkerColor(mk->kind)), "%s at %.3f s: %s",
                         mk->kind.c_str(), mk->t, mk->text.c_str());
    }
  }
  std::string value;
  for (size_t i = 0; i < series.size(); ++i) {
    if (!ValueAt(scratch.views[i], t, &value)) continue;
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(series[i].color), "%s: %s %s",
                       series[i].name.c_str(), value.c_str(), series[i].unit.c_str());
  }
  ImGui::Text("%s = %.5g %s", "y", f.m.V(io.MousePos.y), y_unit != nullptr ? y_unit : "");
  ImGui::EndTooltip();
}

// On the other plots: each series' value beside the cursor line, in the series' colour.
void CursorValues(const PlotFrame& f, double t, const std::vector<PlotSeries>& series,
                  const Scratch& scratch) {
  const float x = f.m.X(t);
  const float line_h = f.font + 2.0f;
  float y = f.m.top + line_h + 4.0f;  // below the marker labels
  std::string value;
  for (size_t i = 0; i < series.size(); ++i) {
    if (!ValueAt(scratch.views[i], t, &value)) continue;
    const std::string label = value + " " + series[i].unit;
    const ImVec2 ts = ImGui::CalcTextSize(label.c_str());
    // Right of the line, or left of it near the right edge.
    const float lx = x + 4.0f + ts.x < f.m.x1 ? x + 4.0f : x - 4.0f - ts.x;
    f.dl->AddRectFilled(ImVec2(lx - 2.0f, y), ImVec2(lx + ts.x + 2.0f, y + ts.y),
                        IM_COL32(15, 16, 20, 200));
    f.dl->AddText(ImVec2(lx, y), series[i].color, label.c_str());
    y += line_h;
  }
}

// The cursor line, with the tooltip on the hovered plot and the values on the others.
void DrawCursor(const PlotFrame& f, const CursorAt& cursor, const std::vector<PlotSeries>& series,
                const Scratch& scratch, const char* y_unit, const PlotOverlay& overlay,
                const MarksArea& area) {
  if (!cursor.shown) return;
  const float x = f.m.X(cursor.t);
  f.dl->AddLine(ImVec2(x, f.m.top), ImVec2(x, f.m.bottom), kCursor);
  if (cursor.here) {
    CursorTooltip(f, cursor.t, series, scratch, y_unit, overlay.marks, area);
  } else {
    CursorValues(f, cursor.t, series, scratch);
  }
}

// "name [unit]", with the samples lost in view when there are any.
std::string LegendLabel(const PlotSeries& s, const SeriesView& view) {
  std::string label = s.name;
  if (!s.unit.empty()) label += " [" + s.unit + "]";
  if (view.dropped_in_view > 0) label += "  " + std::to_string(view.dropped_in_view) + " lost";
  return label;
}

// The legend, top left inside the data area; returns its entries.
// `below_marks`: markers' labels take the top line of the data area; the legend goes under.
size_t DrawLegend(const PlotFrame& f, const std::vector<PlotSeries>& series, const Scratch& scratch,
                  bool below_marks) {
  float lw = 0;
  std::vector<std::string> labels;
  for (size_t i = 0; i < series.size(); ++i) {
    labels.push_back(LegendLabel(series[i], scratch.views[i]));
    lw = std::max(lw, ImGui::CalcTextSize(labels.back().c_str()).x);
  }
  if (labels.empty()) return 0;
  const float line_h = f.font + 2.0f;
  const ImVec2 box_min(f.m.x0 + 6.0f, f.m.top + 6.0f + (below_marks ? f.font + 2.0f : 0.0f));
  const ImVec2 box_max(box_min.x + lw + 30.0f,
                       box_min.y + line_h * static_cast<float>(labels.size()) + 6.0f);
  f.dl->AddRectFilled(box_min, box_max, IM_COL32(15, 16, 20, 200));
  for (size_t i = 0; i < labels.size(); ++i) {
    const float y = box_min.y + 3.0f + line_h * static_cast<float>(i);
    f.dl->AddLine(ImVec2(box_min.x + 4.0f, y + line_h * 0.5f),
                  ImVec2(box_min.x + 20.0f, y + line_h * 0.5f), series[i].color, 2.0f);
    f.dl->AddText(ImVec2(box_min.x + 25.0f, y),
                  scratch.views[i].dropped_in_view > 0 ? kGapText : kText, labels[i].c_str());
  }
  return labels.size();
}

// Everything inside the data area, clipped to it: bands, cycle lines, series, markers, gaps,
// cursor, legend.
void DrawDataArea(const PlotFrame& f, const char* y_unit, const std::vector<PlotSeries>& series,
                  const std::vector<LimitBand>& bands, const PlotOverlay& overlay, Scratch* scratch,
                  PlotDrawStats* stats) {
  const ImVec2 area_min(f.m.x0, f.m.top), area_max(f.m.x1, f.m.bottom);
  const MarksArea area{f.m.t0, f.m.t1, f.m.x0, f.m.x1, f.m.top, f.m.bottom};
  const CursorAt cursor = CursorFor(f, overlay.cursor);
  f.dl->PushClipRect(area_min, area_max, true);
  for (const LimitBand& b : bands) {
    if (b.has_min || b.has_max) DrawLimitBand(f, b);
  }
  MarksDrawn marks;
  if (overlay.marks != nullptr) DrawCycleLines(f.dl, area, overlay.marks->cycle_lines, &marks);
  DrawSeries(f, series, scratch, stats);
  if (overlay.marks != nullptr) DrawMarkers(f.dl, area, overlay.marks->markers, &marks);
  stats->markers_drawn = marks.markers;
  stats->marker_kinds = std::move(marks.kinds);
  stats->cycle_lines_drawn = marks.cycle_lines;
  DrawGaps(f, series.size(), *scratch);
  DrawCursor(f, cursor, series, *scratch, y_unit, overlay, area);
  stats->legend_entries = DrawLegend(f, series, *scratch, stats->markers_drawn > 0);
  f.dl->PopClipRect();
  f.dl->AddRect(area_min, area_max, kBorder);
}

}  // namespace

PlotDrawStats DrawPlot(const char* title, const char* y_unit, PlotView* view,
                       const std::vector<PlotSeries>& series, const std::vector<LimitBand>& bands,
                       ImVec2 size, const PlotOverlay& overlay) {
  PlotDrawStats stats;
  stats.title = title != nullptr ? title : "";
  PlotFrame f = LayOutPlot(size, &stats);
  ApplyInput(f, view);
  FollowLatest(series, view);

  const int columns = std::max(1, static_cast<int>(f.plot_w));
  Scratch& scratch = ThreadScratch();
  FitValueAxis(QuerySeries(series, *view, columns, &scratch, &stats), bands, view);
  f.m.t0 = view->t0;
  f.m.t1 = view->t1;
  f.m.y0 = view->y0;
  f.m.y1 = view->y1;
  stats.area_x = f.m.x0;
  stats.area_y = f.m.top;
  stats.area_w = f.plot_w;
  stats.area_h = f.m.bottom - f.m.top;

  f.dl = ImGui::GetWindowDrawList();
  const int vertices_before = f.dl->VtxBuffer.Size;
  f.dl->AddRectFilled(ImVec2(f.m.x0, f.m.top), ImVec2(f.m.x1, f.m.bottom), kBackground);
  DrawHeader(f, stats.title, y_unit, *view, !stats.raw_fetches.empty());
  DrawValueAxis(f);
  DrawTimeAxis(f);
  DrawDataArea(f, y_unit, series, bands, overlay, &scratch, &stats);
  stats.draw_vertices = static_cast<size_t>(f.dl->VtxBuffer.Size - vertices_before);
  return stats;
}

}  // namespace rollrig::gui
