#include "gui/dash/speed_error_series.h"

#include <algorithm>

namespace rollrig::gui {

void SpeedErrorSeries::Restart(const SeriesSet* set) {
  set_ = set;
  next_ = 0;
  diverged_ = false;
  series_ = std::make_unique<LodSeries>();
}

void SpeedErrorSeries::CatchUp(const SeriesSet& set) {
  const LodSeries& cmd = set.series(ChannelNamed("roller_rpm_cmd"));
  const LodSeries& actual = set.series(ChannelNamed("roller_rpm"));
  if (&set != set_ || cmd.size() < next_) Restart(&set);
  if (diverged_) return;
  const uint64_t end = std::min(cmd.level_end(0), actual.level_end(0));
  const uint64_t held = std::max(cmd.level_begin(0), actual.level_begin(0));
  if (next_ < held && held < end) {  // no longer held raw: a gap of that many samples
    series_->AppendGap(cmd.bucket(0, held).t_first, held - next_);
    next_ = held;
  }
  for (; next_ < end; ++next_) {
    const LodSeries::Bucket c = cmd.bucket(0, next_), a = actual.bucket(0, next_);
    if (c.t_first != a.t_first) {  // one channel missed samples the other has
      diverged_ = true;
      return;
    }
    if (c.gap || a.gap) series_->AppendGap(c.t_first, 0);  // break the line, count nothing new
    series_->Append(c.t_first, c.min - a.min);
  }
}

}  // namespace rollrig::gui
