#include "gui/dash/history_window.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"

namespace rollrig::gui {
namespace {

struct Entry {
  double t = 0;
  float min = 0, max = 0, mean = 0;
  bool gap = false, has_mean = true, raw = true;
};

// The history's points of `channel` in [t0, t1] plus one neighbour on each side (so the
// line reaches the window's edges), with the gaps before them.
void HistoryEntries(const HistoryWindow& h, size_t channel, double t0, double t1,
                    std::vector<Entry>* out) {
  const HistoryWindow::ChannelData& d = h.channels[channel];
  if (!d.present || h.t.empty() || t1 < t0) return;
  size_t lo = static_cast<size_t>(std::lower_bound(h.t.begin(), h.t.end(), t0) - h.t.begin());
  size_t hi = static_cast<size_t>(std::upper_bound(h.t.begin(), h.t.end(), t1) - h.t.begin());
  if (lo > 0) --lo;
  if (hi < h.t.size()) ++hi;
  const double before_lo = lo > 0 ? h.t[lo - 1] : -std::numeric_limits<double>::infinity();
  size_t g = 0;
  while (g < h.gaps.size() && h.gaps[g].t_s() <= before_lo) ++g;
  for (size_t i = lo; i < hi; ++i) {
    Entry e{h.t[i], d.min[i], d.max[i], d.mean[i], false, true, h.raw};
    while (g < h.gaps.size() && h.gaps[g].t_s() <= h.t[i]) {
      e.gap = i > 0;  // a gap before the first point breaks nothing
      ++g;
    }
    out->push_back(e);
  }
}

void LiveEntries(const LiveJoin& live, size_t channel, bool after_history, double t0, double t1,
                 int columns, std::vector<Entry>* out, SeriesView* view) {
  if (!live.series || live.series->size() == 0) return;
  const double from = after_history ? std::max(t0, live.after_s) : t0;
  if (t1 <= from) return;
  const int cols =
      std::max(1, static_cast<int>(std::lround(columns * (t1 - from) / std::max(1e-12, t1 - t0))));
  SeriesView part;
  live.series->Query(from - live.offset_s, t1 - live.offset_s, cols, &part);
  (void)channel;
  for (size_t k = 0; k < part.t.size(); ++k) {
    const double t = part.t[k] + live.offset_s;
    if (after_history && t <= live.after_s) continue;
    Entry e{t, part.min[k], part.max[k], 0, part.gap_before[k] != 0, false, part.raw};
    if (part.raw) {
      e.mean = part.min[k];
      e.has_mean = true;
    } else if (part.mean.size() == part.t.size()) {
      e.mean = part.mean[k];
      e.has_mean = true;
    }
    out->push_back(e);
  }
  view->dropped_in_view += part.dropped_in_view;
  for (const GapMark& m : part.gaps) {
    if (view->gaps.size() < SeriesView::kMaxGapMarks) {
      view->gaps.push_back({m.t + live.offset_s, m.dropped});
    }
  }
}

void MarkHistoryGaps(const HistoryWindow& h, double t0, double t1, SeriesView* out) {
  for (const rollrig::v1::HistoryGap& g : h.gaps) {
    if (g.t_s() < t0 || g.t_s() > t1) continue;
    out->dropped_in_view += g.samples();
    if (out->gaps.size() < SeriesView::kMaxGapMarks) out->gaps.push_back({g.t_s(), g.samples()});
  }
}

void Emit(const Entry& e, bool with_mean, SeriesView* out) {
  out->t.push_back(e.t);
  out->min.push_back(e.min);
  out->max.push_back(e.max);
  out->gap_before.push_back(e.gap ? 1 : 0);
  if (with_mean) out->mean.push_back(e.mean);
}

// One entry per pixel column (neighbours outside the window keep their own).
void MergePerColumn(const std::vector<Entry>& entries, double t0, double t1, int columns,
                    bool with_mean, SeriesView* out) {
  const double dt = (t1 - t0) / columns;
  Entry acc;
  int acc_col = 0, count = 0;
  for (const Entry& e : entries) {
    const double x = std::floor((e.t - t0) / dt);
    const int col = static_cast<int>(std::clamp(x, -1.0, static_cast<double>(columns)));
    if (count > 0 && col == acc_col) {
      acc.min = std::min(acc.min, e.min);
      acc.max = std::max(acc.max, e.max);
      acc.mean += (e.mean - acc.mean) / static_cast<float>(count + 1);
      acc.gap = acc.gap || e.gap;
      ++count;
      continue;
    }
    if (count > 0) Emit(acc, with_mean, out);
    acc = e;
    acc_col = col;
    count = 1;
  }
  if (count > 0) Emit(acc, with_mean, out);
}

}  // namespace

size_t HistoryWindow::memory_bytes() const {
  size_t bytes = t.capacity() * sizeof(double);
  for (const ChannelData& c : channels) {
    bytes += (c.min.capacity() + c.max.capacity() + c.mean.capacity()) * sizeof(float);
  }
  return bytes + gaps.size() * sizeof(rollrig::v1::HistoryGap);
}

absl::StatusOr<HistoryWindow> WindowFromHistory(const rollrig::v1::RunHistory& history) {
  HistoryWindow w;
  w.t0 = history.t0_s();
  w.t1 = history.t1_s();
  w.raw = history.raw();
  w.t.assign(history.t_s().begin(), history.t_s().end());
  const size_t n = w.t.size();
  for (const rollrig::v1::HistorySeries& s : history.series()) {
    const std::optional<size_t> c = FindChannel(s.channel());
    if (!c) continue;  // a channel newer than this dashboard
    HistoryWindow::ChannelData& d = w.channels[*c];
    d.mean.assign(s.mean().begin(), s.mean().end());
    if (s.min_size() == 0 && s.max_size() == 0) {  // raw samples: the value is in mean
      d.min = d.mean;
      d.max = d.mean;
    } else {
      d.min.assign(s.min().begin(), s.min().end());
      d.max.assign(s.max().begin(), s.max().end());
    }
    if (d.mean.size() != n || d.min.size() != n || d.max.size() != n) {
      return absl::DataLossError(absl::StrCat(
          "history of run '", history.run_id(), "': channel ", s.channel(), " has ", d.mean.size(),
          " means, ", d.min.size(), " minima and ", d.max.size(), " maxima for ", n, " points"));
    }
    d.present = true;
  }
  w.gaps.assign(history.gaps().begin(), history.gaps().end());
  std::sort(w.gaps.begin(), w.gaps.end(),
            [](const auto& a, const auto& b) { return a.t_s() < b.t_s(); });
  return w;
}

size_t PointsInside(const HistoryWindow& w, double t0, double t1) {
  if (t1 < t0) return 0;
  return static_cast<size_t>(std::upper_bound(w.t.begin(), w.t.end(), t1) -
                             std::lower_bound(w.t.begin(), w.t.end(), t0));
}

void QueryJoined(const HistoryWindow* history, size_t channel, double history_end_s,
                 const LiveJoin& live, double t0, double t1, int columns, SeriesView* out) {
  out->Clear();
  out->fetch_t0 = t0;
  out->fetch_t1 = t1;
  if (!(t1 > t0) || columns <= 0) return;
  std::vector<Entry> entries;
  const bool have_history = history && history->channels[channel].present && !history->empty();
  if (have_history) {
    const double end = std::min(t1, history_end_s);
    HistoryEntries(*history, channel, t0, end, &entries);
    MarkHistoryGaps(*history, t0, end, out);
    // The neighbour past the history's end belongs to live rows when they join there.
    while (live.series && !entries.empty() && entries.back().t > history_end_s) entries.pop_back();
  }
  LiveEntries(live, channel, have_history, t0, t1, columns, &entries, out);
  const bool all_raw =
      std::all_of(entries.begin(), entries.end(), [](const Entry& e) { return e.raw; });
  const bool with_mean =
      std::all_of(entries.begin(), entries.end(), [](const Entry& e) { return e.has_mean; });
  if (all_raw && entries.size() <= static_cast<size_t>(2 * columns + 2)) {
    out->raw = true;
    for (const Entry& e : entries) Emit(e, false, out);
    return;
  }
  out->level = 1;
  MergePerColumn(entries, t0, t1, columns, with_mean, out);
}

}  // namespace rollrig::gui
