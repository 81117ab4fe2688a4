#include "gui/dash/shown_run.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "enum_names.h"
#include "gui/dash/history_fetcher.h"
#include "gui/dash/run_marks.h"
#include "gui/dash/series_set_source.h"

namespace rollrig::gui {
namespace {

void SetSetSources(DashState& s, const SeriesSet* set, const void* owner) {
  if (s.sources_of == owner) return;
  for (Channel c = 0; c < kChannelCount; ++c)
    s.sources[c] = std::make_unique<SeriesSetSource>(set, c);
  s.sources_of = owner;
}

void ShowRecording(DashState& s) {
  const LoadedRecording& rec = *s.recording;
  if (s.sources_of == &rec) return;
  SetSetSources(s, rec.series.get(), &rec);
  s.run_time_axis = true;
  EventClock clock;
  clock.device_time_zero_s = rec.device_time_zero_s;
  clock.host_time_zero_ns = rec.host_time_zero_ns;
  s.marks.markers = MarkersFromEvents(rec.events, clock);
  s.marks.cycle_lines = CycleLines(rec.cycles, false);
  if (rec.cycles.empty() && rec.cycle_starts.size() > 1) {  // older files: from the samples
    s.marks.cycle_lines.assign(rec.cycle_starts.begin() + 1, rec.cycle_starts.end());
  }
  s.marks.time_zero_unix_ns = rec.host_time_zero_ns;
  s.trends = BuildTrends(rec.cycles, rec.profile_text);
}

// The run changed in a way the history shows (state, a cycle ended, an event): refetch.
void RefreshOnChange(DashState& s) {
  const RigSnapshot& snap = s.snap;
  const std::string& id = s.history_summary.run_id;
  if (id.empty() || !snap.have_run || snap.run.id() != id) return;
  size_t events = 0;
  for (const rollrig::v1::RigEvent& e : snap.events) events += e.run_id() == id;
  const std::string key =
      absl::StrCat(snap.run.state(), "/", snap.run.progress().cycles_completed(), "/", events, "/",
                   snap.run.progress().violations());
  if (key != s.history_state) {
    if (!s.history_state.empty()) s.history->Refresh();
    s.history_state = key;
  }
}

void ShowHistory(DashState& s) {
  RunHistoryStore& store = *s.history;
  store.SetLive(s.live.get(), s.snap.live_t0_known, s.snap.live_device_t0_s);
  if (s.sources_of != &store) {
    for (Channel c = 0; c < kChannelCount; ++c) {
      s.sources[c] = std::make_unique<RunHistorySource>(&store, c);
    }
    s.sources_of = &store;
    s.run_time_axis = true;
  }
  RefreshOnChange(s);
  const uint64_t generation = store.generation();
  if (generation == s.history_generation) return;
  s.history_generation = generation;
  s.history_summary = store.Summary();
  const RunHistorySummary& h = s.history_summary;
  EventClock clock;
  clock.host_time_zero_ns = h.run_start_unix_ns;
  s.marks.markers = MarkersFromEvents(h.events, clock);
  s.marks.cycle_lines = CycleLines(h.cycles, h.recording);
  s.marks.time_zero_unix_ns = h.run_start_unix_ns;
  if (h.have_run) s.history_run = h.run;
  s.trends = BuildTrends(h.cycles, ProfileTextOf(s.history_run, s.snap.presets));
}

void ShowLive(DashState& s) {
  if (s.sources_of == s.live.get()) return;
  SetSetSources(s, s.live.get(), s.live.get());
  s.run_time_axis = false;
  s.marks = {};
  s.trends = {};
}

// The plots' window on run time: the whole run from 0, or its newest window_s.
void ApplyWindow(DashState& s) {
  double b = 0, e = 0;
  if (!s.run_time_axis || !ShownExtent(s, &b, &e)) return;
  if (s.whole_run) {
    s.view.t0 = std::min(0.0, b);
    s.view.t1 = std::max(e, s.view.t0 + 1e-3);
    s.view.follow_latest = false;
  } else if (s.view.follow_latest && !s.view.paused) {
    // A window longer than the run shows the run from its start, not empty time before it.
    s.view.t1 = e;
    s.view.t0 = std::max(e - s.window_s, std::min(0.0, b));
  }
}

}  // namespace

std::string ProfileTextOf(const rollrig::v1::RunInfo& run,
                          const std::vector<rollrig::v1::Preset>& presets) {
  const std::string& text = run.spec().profile().text();
  if (!text.empty()) return text;
  for (const rollrig::v1::Preset& p : presets) {
    if (p.name() == run.spec().profile().preset()) return p.text();
  }
  return "";
}

void CloseShown(DashState& s) {
  for (auto& src : s.sources) src.reset();  // before what they read goes
  s.sources_of = nullptr;
  s.history.reset();
  s.history_pinned = false;
  s.history_generation = 0;
  s.history_summary = {};
  s.history_run = {};
  s.history_state.clear();
  s.marks = {};
  s.trends = {};
}

void OpenRunHistory(DashState& s, const std::string& run_id, bool pinned) {
  if (!s.client) return;
  CloseShown(s);
  s.recording.reset();
  s.history = std::make_unique<RunHistoryStore>(
      std::make_unique<GrpcHistoryFetcher>(s.client->channel()), run_id);
  s.history->Start();
  s.history_pinned = pinned;
}

void UpdateShownRun(DashState& s) {
  if (s.recording) {
    ShowRecording(s);
  } else {
    const RigSnapshot& snap = s.snap;
    // Attached to a run in progress: show it from its start.
    if (s.client && !s.history_pinned && snap.have_run &&
        rollrig::v1::RunIsActive(snap.run.state()) &&
        (!s.history || s.history_summary.run_id != snap.run.id()) &&
        (!s.history || s.history->requested_run() != snap.run.id())) {
      OpenRunHistory(s, snap.run.id(), false);
    }
    // Until the history has arrived (or when rigd cannot give one), the live rows.
    if (s.history && s.history->generation() > 0) {
      ShowHistory(s);
    } else if (s.live) {
      ShowLive(s);
    }
  }
  ApplyWindow(s);
}

bool ShownExtent(const DashState& s, double* t_begin, double* t_end) {
  double b = std::numeric_limits<double>::infinity(), e = -b;
  for (const auto& src : s.sources) {
    if (!src || src->empty()) continue;
    b = std::min(b, src->t_begin());
    e = std::max(e, src->t_end());
  }
  if (!(e >= b)) return false;
  *t_begin = b;
  *t_end = e;
  return true;
}

}  // namespace rollrig::gui
