// One answer of GetRunHistory held per channel (the channel table's order), and the pure
// function that turns held history plus live rows into what a plot `columns` pixels wide
// draws of [t0, t1]: raw samples when few, else one min/max/mean entry per column, with the
// gaps marked so the lines break there.
//
// Plain values and pure functions; no locks, no I/O.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gui/dash/telemetry_ingest.h"
#include "gui/plot/lod_series.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::gui {

struct HistoryWindow {
  struct ChannelData {
    bool present = false;
    std::vector<float> min, max, mean;  // per point; raw: all three the sample's value
  };
  double t0 = 0, t1 = 0;  // the window answered (run time)
  bool raw = false;
  std::vector<double> t;  // per point, increasing
  std::array<ChannelData, kChannelCount> channels;
  std::vector<rollrig::v1::HistoryGap> gaps;

  bool empty() const { return t.empty(); }
  size_t memory_bytes() const;
};

// The channels of `history` that the channel table knows (others are ignored); series whose
// lengths do not match the points are refused, naming the channel.
absl::StatusOr<HistoryWindow> WindowFromHistory(const rollrig::v1::RunHistory& history);

// Live rows joined at the right edge: `series` (on the live ingest axis) plus `offset_s`
// gives run time; only its part after `after_s` (run time) is used.
struct LiveJoin {
  const LodSeries* series = nullptr;
  double offset_s = 0;
  double after_s = 0;
};

// Fills `out` (cleared first) for [t0, t1]: `history` (may be null) for its part up to
// `history_end_s`, then `live` (series may be null). Entries denser than 2 per column are
// merged per column (min of mins, max of maxes, mean of means); the mean is left empty when
// a part does not know it.
void QueryJoined(const HistoryWindow* history, size_t channel, double history_end_s,
                 const LiveJoin& live, double t0, double t1, int columns, SeriesView* out);

// Points of `w` inside [t0, t1] (binary search).
size_t PointsInside(const HistoryWindow& w, double t0, double t1);

}  // namespace rollrig::gui
