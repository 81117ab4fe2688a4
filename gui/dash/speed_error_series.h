// The derived speed tracking error, roller_rpm_cmd - roller_rpm, as a series of its own: it
// catches up from the two channels' raw samples of a SeriesSet each frame, so its envelope
// and mean are those of the error itself (not a difference of two envelopes). Samples that
// the set no longer holds raw when they are first looked at (a recording longer than the raw
// budget, loaded at once) are not derived: the series shows a gap with their count there.
//
// Thread safety: none; render thread only. Call CatchUp while holding the SeriesSet's mutex;
// the series is this object's own and is read without it.
#pragma once

#include <cstdint>
#include <memory>

#include "gui/dash/series_set.h"
#include "gui/plot/lod_series.h"

namespace rollrig::gui {

class SpeedErrorSeries {
 public:
  // Appends what `set` gained since the last call; starts over for another set or when the
  // set was cleared.
  void CatchUp(const SeriesSet& set);
  const LodSeries& series() const { return *series_; }

 private:
  void Restart(const SeriesSet* set);

  const SeriesSet* set_ = nullptr;
  uint64_t next_ = 0;  // the next sample index of the two channels to derive
  std::unique_ptr<LodSeries> series_ = std::make_unique<LodSeries>();
  bool diverged_ = false;  // the channels' samples stopped pairing up: derive no further
};

}  // namespace rollrig::gui
