// What a plot draws one series from: anything that answers "the view of [t0, t1] for a plot
// `columns` pixels wide" with raw samples or one min/max (and mean, where known) entry per
// column, with its gaps. LodSeries (live data, a recording loaded whole) and a run's history
// fetched from rigd at the resolution the view needs are two such sources.
//
// Thread safety: as the implementation says; the plot calls Query on the render thread,
// under whatever lock the implementation asks its caller to hold. Query never blocks on I/O:
// a source that must fetch finer data answers with what it has and fetches in the background.
#pragma once

#include "gui/plot/series_view.h"

namespace rollrig::gui {

class SeriesSource {
 public:
  virtual ~SeriesSource() = default;
  // Fills `out` (cleared first) for [t0, t1] (seconds on the plot's time axis).
  virtual void QueryView(double t0, double t1, int columns, SeriesView* out) const = 0;
  virtual bool empty() const = 0;
  virtual double t_begin() const = 0;  // the first point's time; meaningless when empty
  virtual double t_end() const = 0;    // the last point's time
};

}  // namespace rollrig::gui
