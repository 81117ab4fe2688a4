// A run shown from its start: its history fetched from rigd (GetRunHistory) on a background
// thread, and the live rows joined at its right edge while it is recorded.
//
// RunHistoryStore holds, for one run and every channel, the whole run at overview resolution
// (about 2000 envelope points, refetched when told the run changed and every few seconds
// while it is recorded) and one zoomed window at the resolution the plot asked for (fetched
// after the view has stayed still for a debounce interval, kept until another window is
// wanted). Memory is bounded by the fetch sizes (at most 100000 points a window), whatever
// the run's length. RunHistorySource is one channel of it, as a plot's SeriesSource.
//
// Thread safety: every public method may be called from any thread; the store locks its own
// mutex, and QueryView also locks the live SeriesSet's mutex: call it WITHOUT holding that
// mutex. Nothing here waits for the network except WaitForOverview.
#pragma once

#include <array>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "gui/dash/history_fetcher.h"
#include "gui/dash/history_window.h"
#include "gui/dash/series_set.h"
#include "gui/plot/series_source.h"

namespace rollrig::gui {

struct HistoryStoreOptions {
  uint32_t overview_points = 2000;
  double debounce_s = 0.15;           // a zoomed window is fetched once the view stays still
  double refresh_s = 5;               // overview refetched this often while the run is recorded
  double retry_s = 5;                 // after a refused fetch
  double zoom_margin = 0.25;          // fetched beyond each side of the view, as a fraction of it
  uint32_t max_zoom_points = 100000;  // GetRunHistory's limit
};

// What the store knows about the run besides its samples (copied out for the frame).
struct RunHistorySummary {
  bool have = false;   // an overview has arrived
  std::string run_id;  // as rigd named it
  double recorded_end_s = 0;
  int64_t run_start_unix_ns = 0;
  bool recording = false;  // the run is still being recorded
  double live_device_to_run_s = 0;
  uint32_t sample_rate_hz = 0;
  std::vector<rollrig::v1::RigEvent> events;  // the whole run's, oldest first
  uint32_t events_omitted = 0;
  std::vector<rollrig::v1::CycleStats> cycles;
  std::vector<std::string> files;
  // What rigd could not read (a damaged file, naming it and where); the history stops there.
  std::string damage;
  bool have_run = false;  // GetRun's description: state, profile text (limits), verdict
  rollrig::v1::RunInfo run;
  uint64_t generation = 0;  // grows with every overview stored
};

class RunHistoryStore {
 public:
  // run_id "" = the active run, or else the latest (as rigd resolves it).
  RunHistoryStore(std::unique_ptr<HistoryFetcher> fetcher, std::string run_id,
                  HistoryStoreOptions options = {});
  ~RunHistoryStore();  // stops the fetch thread
  RunHistoryStore(const RunHistoryStore&) = delete;
  RunHistoryStore& operator=(const RunHistoryStore&) = delete;

  void Start();
  const std::string& requested_run() const { return requested_run_; }

  // Live rows to join at the right edge: `live` (may be null: none) on its ingest axis, whose
  // zero is device time `live_device_t0_s`. Used while the history says the run is recorded.
  void SetLive(const SeriesSet* live, bool live_t0_known, double live_device_t0_s);
  // The run changed (state, a cycle ended, an event): refetch the overview now.
  void Refresh();

  // Blocks up to timeout_s until the first overview arrived (true) or a fetch failed.
  bool WaitForOverview(double timeout_s) const;
  absl::Status status() const;  // the last fetch's outcome
  RunHistorySummary Summary() const;
  uint64_t generation() const;
  uint64_t fetches() const;

  // The view of one channel (see SeriesSource); asks for a zoomed window when the held data
  // is coarser than the view.
  void Query(size_t channel, double t0, double t1, int columns, SeriesView* out) const;
  bool ChannelEmpty(size_t channel) const;
  double t_begin(size_t channel) const;
  double t_end(size_t channel) const;
  size_t memory_bytes() const;

 private:
  struct ZoomWanted {
    double t0 = 0, t1 = 0;
    int columns = 0;
    double since_s = 0;  // steady clock when first wanted
    bool pending = false;
  };
  void FetchLoop();
  void FetchOverview();
  rollrig::v1::GetRunHistoryRequest ZoomRequestLocked(const ZoomWanted& w) const;
  void FetchZoom(const rollrig::v1::GetRunHistoryRequest& req);
  LiveJoin LiveLocked() const;
  double HistoryEndLocked() const;
  const HistoryWindow* PickLocked(double t0, double t1, int columns) const;
  void WantZoomLocked(double t0, double t1, int columns) const;

  std::unique_ptr<HistoryFetcher> fetcher_;
  const std::string requested_run_;
  const HistoryStoreOptions options_;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  bool running_ = false, stop_ = false;
  bool refresh_ = true;
  bool failed_ = false;
  absl::Status status_;
  RunHistorySummary summary_;
  HistoryWindow overview_, zoom_;
  bool have_zoom_ = false;
  mutable ZoomWanted wanted_;
  double zoom_asked_t0_ = 0, zoom_asked_t1_ = 0;  // the last zoom window requested
  int zoom_asked_columns_ = 0;
  const SeriesSet* live_ = nullptr;
  bool live_t0_known_ = false;
  double live_device_t0_s_ = 0;
  uint64_t fetches_ = 0;
  std::thread thread_;
};

// One channel of a RunHistoryStore as a plot's series source. The store must outlive it.
class RunHistorySource : public SeriesSource {
 public:
  RunHistorySource(const RunHistoryStore* store, size_t channel)
      : store_(store), channel_(channel) {}
  void QueryView(double t0, double t1, int columns, SeriesView* out) const override {
    store_->Query(channel_, t0, t1, columns, out);
  }
  bool empty() const override { return store_->ChannelEmpty(channel_); }
  double t_begin() const override { return store_->t_begin(channel_); }
  double t_end() const override { return store_->t_end(channel_); }

 private:
  const RunHistoryStore* store_;
  size_t channel_;
};

}  // namespace rollrig::gui
