#include "gui/dash/series_set_source.h"

namespace rollrig::gui {

void SeriesSetSource::QueryView(double t0, double t1, int columns, SeriesView* out) const {
  std::lock_guard<std::mutex> lock(set_->mutex());
  set_->series(channel_).Query(t0 - offset_s_, t1 - offset_s_, columns, out);
  for (double& t : out->t) t += offset_s_;
  for (GapMark& g : out->gaps) g.t += offset_s_;
  out->fetch_t0 += offset_s_;
  out->fetch_t1 += offset_s_;
}

bool SeriesSetSource::empty() const {
  std::lock_guard<std::mutex> lock(set_->mutex());
  return set_->series(channel_).size() == 0;
}

double SeriesSetSource::t_begin() const {
  std::lock_guard<std::mutex> lock(set_->mutex());
  return set_->series(channel_).t_begin() + offset_s_;
}

double SeriesSetSource::t_end() const {
  std::lock_guard<std::mutex> lock(set_->mutex());
  return set_->series(channel_).t_end() + offset_s_;
}

}  // namespace rollrig::gui
