// One series minus another, drawn from two sources on the same time axis (the speed
// tracking error of a run's history: roller_rpm_cmd - roller_rpm). Where both answer with
// raw samples at the same times the difference is exact. Where both answer with per-column
// entries over the same columns (a history's overview: both channels come from the same
// summaries), the mean is the difference of the means and the band is the bound
// [min_a - max_b, max_a - min_b]: it holds every value of the error, but may be wider than
// the error's own envelope. Answers that do not line up give nothing rather than a guess.
//
// Thread safety: as the two sources'; it holds no state of its own. Both must outlive it.
#pragma once

#include "gui/plot/series_source.h"

namespace rollrig::gui {

class DifferenceSource : public SeriesSource {
 public:
  DifferenceSource(const SeriesSource* a, const SeriesSource* b) : a_(a), b_(b) {}

  void QueryView(double t0, double t1, int columns, SeriesView* out) const override;
  bool empty() const override { return a_->empty() || b_->empty(); }
  double t_begin() const override;
  double t_end() const override;

 private:
  const SeriesSource* a_;
  const SeriesSource* b_;
};

}  // namespace rollrig::gui
