#include "gui/dash/difference_source.h"

#include <algorithm>

namespace rollrig::gui {
namespace {

// The two answers cover the same points: same kind, same times.
bool LineUp(const SeriesView& a, const SeriesView& b) { return a.raw == b.raw && a.t == b.t; }

}  // namespace

void DifferenceSource::QueryView(double t0, double t1, int columns, SeriesView* out) const {
  out->Clear();
  SeriesView a, b;
  a_->QueryView(t0, t1, columns, &a);
  b_->QueryView(t0, t1, columns, &b);
  if (!LineUp(a, b)) return;
  const size_t n = a.t.size();
  out->raw = a.raw;
  out->t = a.t;
  out->level = std::max(a.level, b.level);
  out->needs_raw_fetch = a.needs_raw_fetch || b.needs_raw_fetch;
  out->fetch_t0 = t0;
  out->fetch_t1 = t1;
  out->min.resize(n);
  out->max.resize(n);
  out->gap_before.resize(n);
  const bool means = !a.raw && a.mean.size() == n && b.mean.size() == n;
  if (means) out->mean.resize(n);
  for (size_t i = 0; i < n; ++i) {
    out->min[i] = a.min[i] - b.max[i];
    out->max[i] = a.max[i] - b.min[i];
    out->gap_before[i] = (i < a.gap_before.size() && a.gap_before[i] != 0) ||
                         (i < b.gap_before.size() && b.gap_before[i] != 0);
    if (means) out->mean[i] = a.mean[i] - b.mean[i];
  }
  // Samples lost on either channel are lost for the error: the larger count is a lower bound.
  out->dropped_in_view = std::max(a.dropped_in_view, b.dropped_in_view);
  out->gaps = a.gaps.size() >= b.gaps.size() ? a.gaps : b.gaps;
}

double DifferenceSource::t_begin() const { return std::max(a_->t_begin(), b_->t_begin()); }
double DifferenceSource::t_end() const { return std::min(a_->t_end(), b_->t_end()); }

}  // namespace rollrig::gui
