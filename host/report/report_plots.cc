#include "host/report/report_plots.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "host/report/cycle_columns.h"
#include "host/report/html_text.h"
#include "host/report/report_style.h"
#include "host/report/svg_plot.h"

namespace rollrig::report {
namespace {

namespace v1 = rollrig::v1;

constexpr size_t kDottedCycles = 500;

const char* MarkColor(EventKind kind) {
  switch (kind) {
    case EventKind::kPause:
    case EventKind::kResume:
      return kPauseColor;
    case EventKind::kFault:
      return kFaultColor;
    case EventKind::kLimit:
      return kLimitColor;
    case EventKind::kEStop:
      return kEStopColor;
    case EventKind::kGap:
    case EventKind::kDisconnect:
      return kGapColor;
    default:
      return kRunColor;
  }
}

std::vector<SvgMark> EventMarks(const RunRecord& r) {
  std::vector<SvgMark> marks;
  for (const RecordEvent& e : r.events) {
    if (e.kind == EventKind::kOther) continue;
    marks.push_back({e.t_s, EventKindName(e.kind),
                     absl::StrCat(EventKindName(e.kind), " at ", Number(e.t_s, 6), " s: ", e.text),
                     MarkColor(e.kind)});
  }
  return marks;
}

// The bounds of the profile's live limits on `signal`, as lines.
std::vector<SvgLevel> SignalLevels(const RunRecord& r, v1::Signal signal) {
  std::vector<SvgLevel> levels;
  for (const v1::Limit& l : r.profile.limits()) {
    if (l.signal() != signal || l.measurement_case() != v1::Limit::kSignal) continue;
    if (l.has_max()) levels.push_back({l.max(), absl::StrCat(l.name(), " max"), kLimitLineColor});
    if (l.has_min()) levels.push_back({l.min(), absl::StrCat(l.name(), " min"), kLimitLineColor});
  }
  return levels;
}

SvgPlotSpec OverviewSpec(const RunRecord& r, const std::string& title, const std::string& unit) {
  SvgPlotSpec spec;
  spec.title = title;
  spec.x_label = "run time (s)";
  spec.y_label = unit;
  spec.marks = EventMarks(r);
  return spec;
}

std::string BandPlot(const RunRecord& r, const std::string& title, const std::string& unit,
                     const std::vector<double>& lo, const std::vector<double>& hi,
                     v1::Signal signal) {
  SvgPlotSpec spec = OverviewSpec(r, title, unit);
  spec.bands.push_back({absl::StrCat(title, " min/max"), kSeriesColors[0], r.overview.t, lo, hi});
  spec.levels = SignalLevels(r, signal);
  return RenderSvgPlot(spec);
}

// "peak torque (N·m)" -> "N·m": the axis of a plot holding several statistics.
std::string UnitOf(const std::string& title) {
  const size_t open = title.find('('), close = title.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return title;
  return title.substr(open + 1, close - open - 1);
}

}  // namespace

std::vector<std::string> OverviewPlots(const RunRecord& r) {
  const Envelope& e = r.overview;
  std::vector<std::string> plots;
  plots.push_back(
      BandPlot(r, "roller torque", "N·m", e.torque_min, e.torque_max, v1::SIGNAL_TORQUE_NM));
  plots.push_back(
      BandPlot(r, "roller speed", "rpm", e.speed_min, e.speed_max, v1::SIGNAL_UNSPECIFIED));
  plots.push_back(BandPlot(r, "contact force", "N", e.force_min, e.force_max, v1::SIGNAL_FORCE_N));
  SvgPlotSpec temp = OverviewSpec(r, "winding temperature", "°C");
  temp.lines.push_back({"winding temperature max", kSeriesColors[1], e.t, e.temp_max, false});
  temp.levels = SignalLevels(r, v1::SIGNAL_TEMPERATURE_C);
  plots.push_back(RenderSvgPlot(temp));
  plots.push_back(BandPlot(r, "head angle", "deg", e.head_min, e.head_max, v1::SIGNAL_UNSPECIFIED));
  return plots;
}

std::vector<std::string> TrendPlots(const RunRecord& r) {
  std::vector<std::string> plots;
  if (r.cycles.empty()) return plots;
  std::vector<double> x;
  for (const v1::CycleStats& c : r.cycles) x.push_back(c.cycle());
  std::vector<std::string> order;
  std::map<std::string, SvgPlotSpec> specs;
  for (const CycleColumn& column : CycleColumns()) {
    if (*column.plot == '\0') continue;
    auto [it, added] = specs.try_emplace(column.plot);
    SvgPlotSpec& spec = it->second;
    if (added) {
      order.push_back(column.plot);
      spec.title = absl::StrCat("per-cycle ", column.plot);
      spec.x_label = "cycle";
      spec.height = 200;
    }
    spec.y_label = spec.lines.empty() ? column.title : UnitOf(column.title);
    std::vector<double> y;
    for (const v1::CycleStats& c : r.cycles) y.push_back(column.get(c));
    // A dot per cycle while they can be told apart; a long run's trend is its line.
    const bool dots = r.cycles.size() <= kDottedCycles;
    spec.lines.push_back({column.title, kSeriesColors[spec.lines.size() % 4], x, y, dots});
    for (const v1::Limit& l : r.profile.limits()) {
      if (l.measurement_case() != v1::Limit::kCycleStatistic ||
          l.cycle_statistic() != column.statistic) {
        continue;
      }
      if (l.has_max())
        spec.levels.push_back({l.max(), absl::StrCat(l.name(), " max"), kLimitLineColor});
      if (l.has_min())
        spec.levels.push_back({l.min(), absl::StrCat(l.name(), " min"), kLimitLineColor});
    }
  }
  for (const std::string& name : order) {
    plots.push_back(RenderSvgPlot(specs[name]));
  }
  return plots;
}

}  // namespace rollrig::report
