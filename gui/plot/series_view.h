// What a plot draws for one series over a time window: raw samples or one min/max (and mean)
// entry per pixel column, with the gaps inside the window; and raw samples fetched from a
// recording to stand in for data no longer held in memory. Plain data, no locking.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace rollrig::gui {

// A lost-samples mark: the line breaks at t, and `dropped` samples are known lost there.
struct GapMark {
  double t = 0;
  uint64_t dropped = 0;
};

struct SeriesView {                 // what to draw for one query
  bool raw = false;                 // true: points are samples; false: min/max per pixel column
  std::vector<double> t;            // sample time, or the first time within the column
  std::vector<float> min, max;      // raw: min == max == value
  std::vector<uint8_t> gap_before;  // 1 = break the line before this point (lost samples)
  uint64_t dropped_in_view = 0;     // samples known lost within [t0, t1]
  bool needs_raw_fetch = false;     // zoomed deeper than in-memory raw data: ask the source
  // Added: the window to fetch when needs_raw_fetch (the query's [t0, t1]), the level the
  // answer came from (0 = raw samples) and the gap marks inside the window (at most
  // kMaxGapMarks; dropped_in_view counts all of them).
  double fetch_t0 = 0, fetch_t1 = 0;
  int level = 0;
  std::vector<GapMark> gaps;
  static constexpr size_t kMaxGapMarks = 256;
  // Per entry, the mean of its samples where the source knows it (empty: not known; the
  // plot then draws no mean line). Raw entries need none: min == max == value.
  std::vector<float> mean;

  void Clear();
};

// Raw samples of one series over a time range, fetched from a recording. A query uses it
// instead of the dropped in-memory raw data when it covers the queried window.
struct RawWindow {
  double t0 = 0, t1 = 0;  // the range that was asked for; samples lie inside it
  std::vector<double> t;  // non-decreasing
  std::vector<float> v;
  bool Covers(double q0, double q1) const { return !t.empty() && t0 <= q0 && t1 >= q1; }
};

}  // namespace rollrig::gui
