#include "gui/dash/series_set.h"

namespace rollrig::gui {

SeriesSet::SeriesSet(LodOptions options) : options_(options) { Clear(); }

void SeriesSet::Append(const std::vector<TelemetryPoint>& points) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const TelemetryPoint& p : points) {
    if (p.dropped_before > 0) {
      for (auto& s : series_) s->AppendGap(p.t, p.dropped_before);
      dropped_total_ += p.dropped_before;
    }
    for (Channel c = 0; c < kChannelCount; ++c) {
      if ((p.absent & ChannelBit(c)) == 0) series_[c]->Append(p.t, p.v[c]);
    }
  }
}

void SeriesSet::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& s : series_) s = std::make_unique<LodSeries>(options_);
  dropped_total_ = 0;
}

}  // namespace rollrig::gui
