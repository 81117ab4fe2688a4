// The plots of the user's layout (gui/dash/plot_layout.h), their shared time axis and cursor,
// the time-window toolbar and the layout editor.
#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gui/dash/difference_source.h"
#include "gui/dash/golden_alignment.h"
#include "gui/dash/panels.h"
#include "gui/dash/plot_layout.h"
#include "gui/dash/plot_layout_editor.h"
#include "gui/dash/shown_run.h"
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
  } else if (s.run_time_axis && s.history) {  // a run of rigd's from its start: run time
    in.target_run_start = 0;
    in.target_cycle_starts = CycleStartsOf(s.history_summary.cycles, s.history_summary.recording);
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

// The run the plots show, as rigd last described it: the active run, or the run whose
// history is shown (a past one opened from the runs panel or --run); null: none.
const rollrig::v1::RunInfo* ShownRunInfo(const DashState& s) {
  const bool history = s.history && s.sources_of == s.history.get() && !s.history_run.id().empty();
  if (history && !(s.snap.have_run && s.snap.run.id() == s.history_run.id())) {
    return &s.history_run;
  }
  return s.snap.have_run ? &s.snap.run : nullptr;
}

const RunLimits& CurrentLimits(DashState& s) {
  if (s.recording) return s.recording->limits;
  const rollrig::v1::RunInfo* run = ShownRunInfo(s);
  if (run == nullptr) return s.live_limits;
  // Keyed on the text too: a run's profile text can arrive after the run was first seen.
  const std::string text = ProfileTextOf(*run, s.snap.presets);
  const std::string key = absl::StrCat(run->id(), "/", text.size());
  if (key != s.live_limits_run) {
    s.live_limits_run = key;
    s.live_limits = LimitsFromProfileText(text);
  }
  if (run->verdict().limits_size() > 0) {
    // What the run was held to wins over what its profile says.
    RunLimits v = LimitsFromVerdict(run->verdict());
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

// One shown plot: its series (the shown run's channels of the layout's plot that it
// carries) and the limit bands of its measured channels.
struct PlotDef {
  std::string title;
  std::string unit;  // its first channel's
  std::vector<PlotSeries> series;
  int golden_channel = -1;  // its first measured channel of the table, for the golden overlay
  std::vector<LimitBand> bands;
};

constexpr ImU32 kMore[] = {IM_COL32(120, 230, 140, 255), IM_COL32(230, 120, 220, 255),
                           IM_COL32(240, 230, 110, 255), IM_COL32(160, 160, 255, 255)};

// What the plots draw from: the shown run's sources (DashState::sources) and the derived
// speed tracking error; have_data: any of them holds a point.
struct ShownSeries {
  const DashState* s = nullptr;
  const SeriesSource* speed_error = nullptr;
  bool have_data = false;
};

// A series of the plot for `name`, or nothing when the shown run lacks that channel (a
// recording from before it existed); before any data, every channel is shown (empty).
bool AddChannel(const ShownSeries& shown, const RunLimits& limits, std::string_view name,
                PlotDef* d) {
  PlotSeries ps;
  ps.name = std::string(name);
  ps.unit = std::string(PlottableUnit(name));
  if (name == kSpeedErrorChannel) {
    if (shown.speed_error == nullptr) return false;
    ps.data = shown.speed_error;
  } else {
    const Channel c = ChannelNamed(name);
    const SeriesSource* source = shown.s->source(c);
    if (source == nullptr || (shown.have_data && source->empty())) return false;
    ps.data = source;
    if (!kTelemetryChannels[c].command) {
      for (LimitBand& b : Bands(limits.of(c))) d->bands.push_back(std::move(b));
      if (d->golden_channel < 0) d->golden_channel = static_cast<int>(c);
    }
  }
  const bool command = name != kSpeedErrorChannel && kTelemetryChannels[ChannelNamed(name)].command;
  // Commands in the reference colour; measurements in the actual colour, then others.
  const size_t measured = static_cast<size_t>(std::count_if(
      d->series.begin(), d->series.end(), [](const PlotSeries& p) { return p.color != kCommand; }));
  ps.color = command         ? kCommand
             : measured == 0 ? kActual
                             : kMore[(measured - 1) % std::size(kMore)];
  d->series.push_back(std::move(ps));
  return true;
}

// The layout's plots that have something to show.
std::vector<PlotDef> ShownPlots(const PlotLayoutSpec& layout, const ShownSeries& shown,
                                const RunLimits& limits) {
  std::vector<PlotDef> defs;
  for (const PlotSpec& spec : layout.plots) {
    PlotDef d;
    d.title = spec.title;
    for (const std::string& name : spec.channels) {
      if (AddChannel(shown, limits, name, &d) && d.unit.empty()) {
        d.unit = std::string(PlottableUnit(name));
      }
    }
    if (!d.series.empty()) defs.push_back(std::move(d));
  }
  return defs;
}

// A recording (local or rigd's) that broke off is drawn up to the break; say so above the
// plots, where it is seen, naming the file and the damage.
void ShowWhatCouldNotBeShown(const DashState& s) {
  std::string what;
  if (s.history && !s.history_summary.damage.empty()) {
    what = "shown up to the damage: " + s.history_summary.damage;
  } else if (s.recording) {
    what = s.recording->problem;  // already says what is shown and why
  }
  if (what.empty()) return;
  ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1, 0.7f, 0.2f, 1));
  ImGui::TextWrapped("%s", what.c_str());
  ImGui::PopStyleColor();
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
  if (ImGui::SmallButton("layout")) s.layout.editing = !s.layout.editing;
  ImGui::SameLine();
  ImGui::Text("%.1f s of data, %llu samples lost", t_end - t_begin,
              static_cast<unsigned long long>(dropped));
  ShowWhatCouldNotBeShown(s);
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

// The golden reference of the plot's measured channel, when one is loaded.
void AddGolden(const SeriesSet* golden, PlotDef* d) {
  if (golden == nullptr || d->golden_channel < 0) return;
  const LodSeries& g = golden->series(static_cast<Channel>(d->golden_channel));
  if (g.size() == 0) return;
  PlotSeries ps;
  ps.name = "golden " + std::string(ChannelName(static_cast<Channel>(d->golden_channel)));
  ps.unit = d->unit;
  ps.color = kGolden;
  ps.data = &g;
  d->series.push_back(std::move(ps));
}

// The shared time window before the plots draw: the whole run, or following the newest data
// (on run time, shown_run.cc keeps it).
void UpdateSharedWindow(DashState& s, bool have, double t_begin, double t_end) {
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
}

// Zoomed, panned or reset on one plot: every plot follows from the next frame.
void FollowPlot(DashState& s, const PlotView& v) {
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

// The plots in the layout's grid, on the shared time window, with `marks` over all of them.
void DrawPlotGrid(DashState& s, const std::vector<PlotDef>& defs, ImVec2 size,
                  const PlotMarks* marks) {
  PlotLayout& layout = s.layout;
  layout.views.resize(std::max(layout.views.size(), defs.size()));
  layout.cursor.NextFrame();
  const size_t columns = std::clamp<size_t>(layout.spec.columns, 1, kMaxLayoutColumns);
  const float spacing = ImGui::GetStyle().ItemSpacing.x;
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const int rows = static_cast<int>(std::max<size_t>(1, (defs.size() + columns - 1) / columns));
  const float h = std::max(60.0f, (std::min(size.y, avail.y) - spacing * (rows - 1)) / rows - 4);
  const float cols = static_cast<float>(columns);
  const float w = std::max(100.0f, (size.x - spacing * (cols - 1)) / cols);
  const PlotView master = s.view;
  bool changed = false;
  for (size_t i = 0; i < defs.size(); ++i) {
    const PlotDef& d = defs[i];
    PlotView& v = layout.views[i];
    v.t0 = master.t0;
    v.t1 = master.t1;
    v.follow_latest = master.follow_latest;
    v.paused = master.paused;
    if (i % columns != 0) ImGui::SameLine();
    ImGui::PushID(static_cast<int>(i));
    s.plot_stats.push_back(DrawPlot(d.title.c_str(), d.unit.c_str(), &v, d.series, d.bands,
                                    ImVec2(w, h), PlotOverlay{marks, &layout.cursor}));
    ImGui::PopID();
    if (!changed && (v.t0 != master.t0 || v.t1 != master.t1 ||
                     v.follow_latest != master.follow_latest || v.paused != master.paused)) {
      changed = true;
      FollowPlot(s, v);
    }
  }
}

// The speed tracking error of what is shown: derived sample by sample from a SeriesSet
// (live rows, a recording), or from the two channels' history of a run.
const SeriesSource* SpeedError(DashState& s, const SeriesSet& set,
                               std::unique_ptr<SeriesSource>* history_error) {
  if (s.history && s.sources_of == s.history.get()) {
    const SeriesSource* cmd = s.source(ChannelNamed("roller_rpm_cmd"));
    const SeriesSource* actual = s.source(ChannelNamed("roller_rpm"));
    if (cmd == nullptr || actual == nullptr) return nullptr;
    *history_error = std::make_unique<DifferenceSource>(cmd, actual);
    return history_error->get();
  }
  std::lock_guard<std::mutex> lock(set.mutex());
  s.layout.speed_error.CatchUp(set);
  return &s.layout.speed_error.series();
}

uint64_t DroppedTotal(const SeriesSet& set) {
  std::lock_guard<std::mutex> lock(set.mutex());
  return set.dropped_total();
}

void DrawPlots(DashState& s, ImVec2 size) {
  s.plot_stats.clear();
  s.layout.LoadOnce();
  const SeriesSet* set = s.shown();
  if (!set) return;
  UpdateGolden(s);
  const RunLimits& limits = CurrentLimits(s);

  // The sources lock what they read themselves: no SeriesSet lock is held while they answer.
  double t_begin = 0, t_end = 0;
  const bool have = ShownExtent(s, &t_begin, &t_end);
  Toolbar(s, t_begin, t_end, DroppedTotal(*set));
  DrawPlotLayoutEditor(&s.layout);
  UpdateSharedWindow(s, have, t_begin, t_end);
  std::unique_ptr<SeriesSource> history_error;
  const ShownSeries shown{&s, SpeedError(s, *set, &history_error), have};

  std::unique_lock<std::mutex> golden_lock;  // the golden set is no source's: safe to hold
  const SeriesSet* golden = nullptr;
  if (s.golden && s.golden->built) {
    golden_lock = std::unique_lock<std::mutex>(s.golden->shifted.mutex());
    golden = &s.golden->shifted;
  }
  std::vector<PlotDef> defs = ShownPlots(s.layout.spec, shown, limits);
  for (PlotDef& d : defs) AddGolden(golden, &d);
  DrawPlotGrid(s, defs, size, &s.marks);
}

}  // namespace

void DrawPlotsPanel(DashState& s, ImVec2 size) { DrawPlots(s, size); }

}  // namespace rollrig::gui
