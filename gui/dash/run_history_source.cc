#include "gui/dash/run_history_source.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

namespace rollrig::gui {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

double SteadyNow() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

bool Near(double a, double b, double span) { return std::abs(a - b) <= 0.01 * span; }

}  // namespace

RunHistoryStore::RunHistoryStore(std::unique_ptr<HistoryFetcher> fetcher, std::string run_id,
                                 HistoryStoreOptions options)
    : fetcher_(std::move(fetcher)), requested_run_(std::move(run_id)), options_(options) {}

RunHistoryStore::~RunHistoryStore() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  fetcher_->Cancel();
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RunHistoryStore::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (running_) return;
  running_ = true;
  thread_ = std::thread([this] { FetchLoop(); });
}

void RunHistoryStore::SetLive(const SeriesSet* live, bool live_t0_known, double live_device_t0_s) {
  std::lock_guard<std::mutex> lock(mu_);
  live_ = live;
  live_t0_known_ = live_t0_known;
  live_device_t0_s_ = live_device_t0_s;
}

void RunHistoryStore::Refresh() {
  std::lock_guard<std::mutex> lock(mu_);
  refresh_ = true;
  cv_.notify_all();
}

bool RunHistoryStore::WaitForOverview(double timeout_s) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, std::chrono::duration<double>(timeout_s), [&] {
    return summary_.have || failed_ || stop_;
  }) && summary_.have;
}

absl::Status RunHistoryStore::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

RunHistorySummary RunHistoryStore::Summary() const {
  std::lock_guard<std::mutex> lock(mu_);
  return summary_;
}

uint64_t RunHistoryStore::generation() const {
  std::lock_guard<std::mutex> lock(mu_);
  return summary_.generation;
}

uint64_t RunHistoryStore::fetches() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fetches_;
}

size_t RunHistoryStore::memory_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return overview_.memory_bytes() + zoom_.memory_bytes();
}

// ---- The fetch thread ----

void RunHistoryStore::FetchLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  double next_refresh = kInf, retry_at = kInf;
  while (!stop_) {
    const double now = SteadyNow();
    if (refresh_ || now >= next_refresh || now >= retry_at) {
      refresh_ = false;
      lock.unlock();
      FetchOverview();
      lock.lock();
      const double after = SteadyNow();
      next_refresh = summary_.recording ? after + options_.refresh_s : kInf;
      retry_at = failed_ ? after + options_.retry_s : kInf;
      continue;
    }
    if (wanted_.pending && now - wanted_.since_s >= options_.debounce_s) {
      const rollrig::v1::GetRunHistoryRequest req = ZoomRequestLocked(wanted_);
      wanted_.pending = false;
      // Marked as asked before the answer arrives, so that the frames drawn meanwhile do
      // not ask for the same window again.
      zoom_asked_t0_ = req.t0_s();
      zoom_asked_t1_ = req.t1_s();
      zoom_asked_columns_ = wanted_.columns;
      lock.unlock();
      FetchZoom(req);
      lock.lock();
      continue;
    }
    double wake = std::min(next_refresh, retry_at);
    if (wanted_.pending) wake = std::min(wake, wanted_.since_s + options_.debounce_s);
    if (wake == kInf) {
      cv_.wait(lock);
    } else {
      cv_.wait_for(lock, std::chrono::duration<double>(std::max(0.0, wake - now)));
    }
  }
}

void RunHistoryStore::FetchOverview() {
  rollrig::v1::GetRunHistoryRequest req;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Once rigd has named the run, keep asking for that one (not whatever is active now).
    req.set_run_id(summary_.run_id.empty() ? requested_run_ : summary_.run_id);
  }
  req.set_max_points(options_.overview_points);
  req.set_max_events(10000);
  absl::StatusOr<rollrig::v1::RunHistory> h = fetcher_->History(req);
  absl::StatusOr<HistoryWindow> w =
      h.ok() ? WindowFromHistory(*h) : absl::StatusOr<HistoryWindow>(h.status());
  // The run's description (its state and profile, hence its per-cycle limits).
  absl::StatusOr<rollrig::v1::RunInfo> run =
      h.ok() ? fetcher_->Run(h->run_id()) : absl::StatusOr<rollrig::v1::RunInfo>(h.status());
  std::lock_guard<std::mutex> lock(mu_);
  ++fetches_;
  status_ = w.status();
  if (run.ok()) {
    summary_.have_run = true;
    summary_.run = *std::move(run);
  }
  failed_ = !w.ok();
  if (w.ok()) {
    overview_ = *std::move(w);
    RunHistorySummary& s = summary_;
    s.have = true;
    s.run_id = h->run_id();
    s.recorded_end_s = h->recorded_end_s();
    s.run_start_unix_ns = h->run_start_unix_ns();
    s.recording = h->recording();
    s.live_device_to_run_s = h->live_device_to_run_s();
    s.sample_rate_hz = h->sample_rate_hz();
    s.events.assign(h->events().begin(), h->events().end());
    s.events_omitted = h->events_omitted();
    s.cycles.assign(h->cycles().begin(), h->cycles().end());
    s.files.assign(h->files().begin(), h->files().end());
    s.damage = h->damage();
    ++s.generation;
  }
  cv_.notify_all();
}

rollrig::v1::GetRunHistoryRequest RunHistoryStore::ZoomRequestLocked(const ZoomWanted& w) const {
  const double margin = options_.zoom_margin * (w.t1 - w.t0);
  rollrig::v1::GetRunHistoryRequest req;
  req.set_run_id(summary_.run_id.empty() ? requested_run_ : summary_.run_id);
  req.set_t0_s(std::max(0.0, w.t0 - margin));
  req.set_t1_s(w.t1 + margin);
  const double points = 2.0 * w.columns * (1 + 2 * options_.zoom_margin);
  req.set_max_points(static_cast<uint32_t>(
      std::clamp(points, 16.0, static_cast<double>(options_.max_zoom_points))));
  req.set_max_events(1);  // the overview carries the events
  return req;
}

void RunHistoryStore::FetchZoom(const rollrig::v1::GetRunHistoryRequest& req) {
  absl::StatusOr<rollrig::v1::RunHistory> h = fetcher_->History(req);
  absl::StatusOr<HistoryWindow> w =
      h.ok() ? WindowFromHistory(*h) : absl::StatusOr<HistoryWindow>(h.status());
  std::lock_guard<std::mutex> lock(mu_);
  ++fetches_;
  if (!w.ok()) {
    status_ = w.status();  // shown; the overview still answers the view
    return;
  }
  zoom_ = *std::move(w);
  have_zoom_ = true;
}

// ---- Queries ----

double RunHistoryStore::HistoryEndLocked() const {
  return LiveLocked().series ? summary_.recorded_end_s : kInf;
}

LiveJoin RunHistoryStore::LiveLocked() const {
  // Only for the recorded run's current stretch: its live rows map onto run time.
  if (!live_ || !live_t0_known_ || !summary_.have || !summary_.recording) return {};
  return LiveJoin{&live_->series(0), live_device_t0_s_ + summary_.live_device_to_run_s,
                  summary_.recorded_end_s};
}

const HistoryWindow* RunHistoryStore::PickLocked(double t0, double t1, int columns) const {
  if (!summary_.have) return nullptr;
  const double a = std::max(t0, overview_.t0);
  const double b = std::min({t1, HistoryEndLocked(), overview_.t1});
  if (b <= a) return &overview_;
  if (have_zoom_ && zoom_.t0 <= a + 1e-9 && zoom_.t1 >= b - 1e-9) return &zoom_;
  if (!overview_.raw && PointsInside(overview_, a, b) * 2 < static_cast<size_t>(columns)) {
    WantZoomLocked(t0, t1, columns);
  }
  return &overview_;
}

void RunHistoryStore::WantZoomLocked(double t0, double t1, int columns) const {
  const double span = t1 - t0;
  // Already asked for this view (in flight, or rigd holds no more there): do not ask again.
  if (zoom_asked_columns_ >= columns && zoom_asked_t0_ <= std::max(0.0, t0) + 1e-9 &&
      zoom_asked_t1_ >= t1 - 1e-9) {
    return;
  }
  if (wanted_.pending && Near(wanted_.t0, t0, span) && Near(wanted_.t1, t1, span) &&
      wanted_.columns == columns) {
    return;  // the same view: the debounce keeps running
  }
  wanted_ = ZoomWanted{t0, t1, columns, SteadyNow(), true};
  cv_.notify_all();
}

void RunHistoryStore::Query(size_t channel, double t0, double t1, int columns,
                            SeriesView* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  const HistoryWindow* h = PickLocked(t0, t1, columns);
  LiveJoin live = LiveLocked();
  if (!live.series) {
    QueryJoined(h, channel, kInf, {}, t0, t1, columns, out);
    return;
  }
  std::lock_guard<std::mutex> live_lock(live_->mutex());
  live.series = &live_->series(channel);
  QueryJoined(h, channel, summary_.recorded_end_s, live, t0, t1, columns, out);
}

bool RunHistoryStore::ChannelEmpty(size_t channel) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (summary_.have && overview_.channels[channel].present && !overview_.empty()) return false;
  const LiveJoin live = LiveLocked();
  if (!live.series) return true;
  std::lock_guard<std::mutex> live_lock(live_->mutex());
  return live_->series(channel).size() == 0;
}

double RunHistoryStore::t_begin(size_t channel) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (summary_.have && overview_.channels[channel].present && !overview_.empty()) {
    return overview_.t.front();
  }
  const LiveJoin live = LiveLocked();
  if (!live.series) return 0;
  std::lock_guard<std::mutex> live_lock(live_->mutex());
  return live_->series(channel).t_begin() + live.offset_s;
}

double RunHistoryStore::t_end(size_t channel) const {
  std::lock_guard<std::mutex> lock(mu_);
  double end = 0;
  if (summary_.have && overview_.channels[channel].present && !overview_.empty()) {
    end = std::max(overview_.t.back(), std::min(summary_.recorded_end_s, overview_.t1));
  }
  const LiveJoin live = LiveLocked();
  if (!live.series) return end;
  std::lock_guard<std::mutex> live_lock(live_->mutex());
  const LodSeries& s = live_->series(channel);
  return s.size() > 0 ? std::max(end, s.t_end() + live.offset_s) : end;
}

}  // namespace rollrig::gui
