// The plotted channels of one source (the live rig, an opened recording, a golden
// reference) as level-of-detail series, behind one mutex.
//
// Thread safety: one writer (the source's thread) appends in batches under the lock; the
// render loop reads under the same lock. A batch is decoded before the lock is taken, so
// the render loop only ever waits for in-memory appends, never for the network.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "gui/dash/telemetry_ingest.h"
#include "gui/plot/lod_series.h"

namespace rollrig::gui {

class SeriesSet {
 public:
  explicit SeriesSet(LodOptions options = {});

  // Appends points (times non-decreasing across calls); a point with samples lost before
  // it breaks every channel's line there. A channel absent from a point gets no value
  // there: a channel the source never carried stays empty and is not drawn.
  void Append(const std::vector<TelemetryPoint>& points);
  // Drops everything (a new recording, a reference re-aligned).
  void Clear();

  std::mutex& mutex() const { return mu_; }
  // Under mutex():
  const LodSeries& series(Channel c) const { return *series_[c]; }
  uint64_t dropped_total() const { return dropped_total_; }
  // The first channel (the roller command) is in every source, so it measures the set.
  size_t points() const { return series_[0]->size(); }
  double t_begin() const { return series_[0]->t_begin(); }
  double t_end() const { return series_[0]->t_end(); }

 private:
  LodOptions options_;
  mutable std::mutex mu_;
  std::array<std::unique_ptr<LodSeries>, kChannelCount> series_;
  uint64_t dropped_total_ = 0;
};

}  // namespace rollrig::gui
