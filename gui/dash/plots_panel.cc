// The live plots, one per plot group of the channel table, and their shared time axis.
#include <cmath>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "gui/dash/golden_alignment.h"
#include "gui/dash/panels.h"
#include "imgui.h"

namespace rollrig::gui {
namespace {

constexpr ImU32 kActual = IM_COL32(80, 200, 255, 255);
constexpr ImU32 kCommand = IM_COL32(255, 150, 40, 255);
constexpr ImU32 kGolden = IM_COL32(230, 230, 120, 170);
constexpr ImU32 kBand = IM_COL32(255, 80, 80, 255);

// Re-aligns the golden reference when what it lines up with has moved.
void UpdateGolden(DashState& s) {
  if (!s.golden) return;
  GoldenReference& g = *s.golden;
  AlignmentInput in;
  in.cycle = static_cast<uint32_t>(g.align_cycle);
  in.reference_cycle_starts = g.recording->cycle_starts;
  if (s.recording) {
    in.target_run_start = 0;
    in.target_cycle_starts = s.recording->cycle_starts;
  } else {
    in.target_run_start = std::max(0.0, s.snap.run_start_t);
    in.target_cycle_starts = s.snap.run_cycle_starts;
  }
  const double shift = GoldenShift(in);
  if (g.built && std::abs(shift - g.shift) < 1e-6) return;
  g.shifted.Clear();
  g.shifted.Append(ShiftedPoints(g.recording->points, shift));
  g.shift = shift;
  g.built = true;
}

const RunLimits& CurrentLimits(DashState& s) {
  if (s.recording) return s.recording->limits;
  const auto& run = s.snap.run;
  if (s.snap.have_run && run.id() != s.live_limits_run) {
    s.live_limits_run = run.id();
    std::string text = run.spec().profile().text();
    if (text.empty()) {  // run from a preset by name: its text is in rigd's preset list
      for (const auto& p : s.snap.presets) {
        if (p.name() == run.spec().profile().preset()) text = p.text();
      }
    }
    s.live_limits = LimitsFromProfileText(text);
  }
  if (s.snap.have_run && run.verdict().limits_size() > 0) {
    // What the run was held to wins over what its profile says.
    RunLimits v = LimitsFromVerdict(run.verdict());
    v.FillFrom(s.live_limits);
    s.live_limits = v;
  }
  return s.live_limits;
}

std::vector<LimitBand> Bands(const SignalLimit& l) {
  if (!l.has_min && !l.has_max) return {};
  LimitBand b;
  b.label = l.name.empty() ? "limit" : l.name;
  b.has_min = l.has_min;
  b.has_max = l.has_max;
  b.min = l.min;
  b.max = l.max;
  b.color = kBand;
  return {b};
}

struct PlotDef {
  std::string_view title;
  std::string_view unit;
  std::vector<std::pair<Channel, ImU32>> channels;
  Channel golden_channel = 0;  // the group's measured channel
  std::vector<LimitBand> bands;
};

// One plot per plot group whose channels the source carries (a recording from before a
// channel existed does not draw it; before any data, every plot shows, empty): commands
// as the reference colour, measurements as the actual, with the limit bands of the
// measured channels.
std::vector<PlotDef> ShownPlots(const SeriesSet& src, const RunLimits& limits) {
  const bool have_data = src.points() > 0;
  std::vector<PlotDef> defs;
  for (size_t g = 0; g < kPlotGroups.size(); ++g) {
    PlotDef d{kPlotGroups[g].title, kPlotGroups[g].unit, {}, 0, {}};
    bool have_measured = false;
    for (Channel c = 0; c < kChannelCount; ++c) {
      const TelemetryChannel& ch = kTelemetryChannels[c];
      if (ch.plot_group != static_cast<int>(g) || (have_data && src.series(c).size() == 0)) {
        continue;
      }
      d.channels.emplace_back(c, ch.command ? kCommand : kActual);
      if (!ch.command && !have_measured) {
        have_measured = true;
        d.golden_channel = c;
      }
      if (!ch.command) {
        for (LimitBand& b : Bands(limits.of(c))) d.bands.push_back(std::move(b));
      }
    }
    if (have_measured) defs.push_back(std::move(d));
  }
  return defs;
}

void Toolbar(DashState& s, double t_begin, double t_end, uint64_t dropped) {
  struct Span {
    const char* label;
    double seconds;
  };
  for (const Span& sp : {Span{"5 s", 5}, Span{"30 s", 30}, Span{"2 min", 120}, Span{"10 min", 600},
                         Span{"1 h", 3600}}) {
    if (ImGui::SmallButton(sp.label)) {
      s.window_s = sp.seconds;
      s.whole_run = false;
      s.view.follow_latest = true;
      s.view.paused = false;
    }
    ImGui::SameLine();
  }
  if (ImGui::SmallButton("whole run")) s.whole_run = true;
  ImGui::SameLine();
  if (ImGui::SmallButton(s.view.paused ? "resume" : "pause")) s.view.paused = !s.view.paused;
  ImGui::SameLine();
  if (ImGui::SmallButton("follow")) {
    s.view.follow_latest = true;
    s.view.paused = false;
    s.whole_run = false;
  }
  ImGui::SameLine();
  ImGui::Text("%.1f s of data, %llu samples lost", t_end - t_begin,
              static_cast<unsigned long long>(dropped));
  if (s.recording && t_end > t_begin) {
    // Scrub: move the window through the recording.
    float t = static_cast<float>(s.scrub_t);
    ImGui::SetNextItemWidth(-1);
    if (ImGui::SliderFloat("##scrub", &t, static_cast<float>(t_begin), static_cast<float>(t_end),
                           "scrub %.1f s")) {
      const double w = std::max(0.5, s.view.t1 - s.view.t0);
      s.scrub_t = t;
      s.view.t0 = t - w / 2;
      s.view.t1 = t + w / 2;
      s.view.follow_latest = false;
      s.whole_run = false;
    }
  }
}

}  // namespace

void DrawPlotsPanel(DashState& s, ImVec2 size) {
  s.plot_stats.clear();
  const SeriesSet* src = s.shown();
  if (!src) return;
  UpdateGolden(s);
  const RunLimits& limits = CurrentLimits(s);

  std::unique_lock<std::mutex> lock(src->mutex());
  const bool have = src->points() > 0;
  const double t_begin = have ? src->t_begin() : 0, t_end = have ? src->t_end() : 0;
  Toolbar(s, t_begin, t_end, src->dropped_total());

  // The shared time window (on run time, shown_run.cc keeps it).
  if (s.run_time_axis) {
  } else if (s.whole_run && have) {
    s.view.t0 = t_begin;
    s.view.t1 = std::max(t_end, t_begin + 1e-3);
    s.view.follow_latest = false;
  } else if (s.view.follow_latest && !s.view.paused && have) {
    s.view.t1 = t_end;
    s.view.t0 = t_end - s.window_s;
  }
  if (!s.recording) s.scrub_t = s.view.t1;

  std::unique_lock<std::mutex> golden_lock;
  const SeriesSet* golden = nullptr;
  if (s.golden && s.golden->built) {
    golden_lock = std::unique_lock<std::mutex>(s.golden->shifted.mutex());
    golden = &s.golden->shifted;
  }
  const std::vector<PlotDef> defs = ShownPlots(*src, limits);
  const float spacing = ImGui::GetStyle().ItemSpacing.x;
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const int rows = static_cast<int>(std::max<size_t>(1, (defs.size() + 1) / 2));
  const float h = std::max(60.0f, (std::min(size.y, avail.y) - spacing * (rows - 1)) / rows - 4);
  const float w = std::max(100.0f, (size.x - spacing) / 2);
  bool changed = false;
  PlotView master = s.view;
  for (size_t i = 0; i < defs.size(); ++i) {
    const PlotDef& d = defs[i];
    std::vector<PlotSeries> series;
    for (const auto& [c, color] : d.channels) {
      PlotSeries ps;
      ps.name = std::string(ChannelName(c));
      ps.unit = std::string(d.unit);
      ps.color = color;
      ps.data = &src->series(c);
      series.push_back(ps);
    }
    if (golden && golden->series(d.golden_channel).size() > 0) {
      PlotSeries ps;
      ps.name = "golden " + std::string(ChannelName(d.golden_channel));
      ps.unit = std::string(d.unit);
      ps.color = kGolden;
      ps.data = &golden->series(d.golden_channel);
      series.push_back(ps);
    }
    PlotView& v = s.plot_views[i];
    v.t0 = master.t0;
    v.t1 = master.t1;
    v.follow_latest = master.follow_latest;
    v.paused = master.paused;
    if (i % 2 == 1) ImGui::SameLine();
    ImGui::PushID(static_cast<int>(i));
    s.plot_stats.push_back(DrawPlot(std::string(d.title).c_str(), std::string(d.unit).c_str(), &v,
                                    series, d.bands, ImVec2(w, h)));
    ImGui::PopID();
    if (!changed && (v.t0 != master.t0 || v.t1 != master.t1 ||
                     v.follow_latest != master.follow_latest || v.paused != master.paused)) {
      // Zoomed, panned or reset on this plot: every plot follows.
      changed = true;
      s.view.t0 = v.t0;
      s.view.t1 = v.t1;
      s.view.follow_latest = v.follow_latest;
      s.view.paused = v.paused;
      if (v.follow_latest) {
        s.window_s = std::max(0.01, v.t1 - v.t0);
      } else {
        s.whole_run = false;
      }
    }
  }
}

}  // namespace rollrig::gui
