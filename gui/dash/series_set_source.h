// One channel of a SeriesSet (live rows, a recording loaded whole) as a plot's SeriesSource,
// its times moved by `offset_s` onto the plots' axis.
//
// Thread safety: QueryView and the others lock the set's mutex themselves: call them WITHOUT
// holding it. The set must outlive the source.
#pragma once

#include <mutex>

#include "gui/dash/series_set.h"
#include "gui/plot/series_source.h"

namespace rollrig::gui {

class SeriesSetSource : public SeriesSource {
 public:
  SeriesSetSource(const SeriesSet* set, Channel channel, double offset_s = 0)
      : set_(set), channel_(channel), offset_s_(offset_s) {}

  void QueryView(double t0, double t1, int columns, SeriesView* out) const override;
  bool empty() const override;
  double t_begin() const override;
  double t_end() const override;
  const SeriesSet* set() const { return set_; }

 private:
  const SeriesSet* set_;
  Channel channel_;
  double offset_s_;
};

}  // namespace rollrig::gui
