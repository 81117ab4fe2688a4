// One time series with a min/max level-of-detail pyramid, so a plot of days of 1 kHz data
// builds in microseconds and still zooms down to single samples.
//
// Level 0 holds the raw samples; level k >= 1 holds one bucket (first time, min, max, mean,
// "a gap is inside") per fanout^k consecutive samples (21 bytes a bucket). Every level lives in
// fixed-size chunks, so appending never copies old data and costs no allocation per sample (a chunk
// is allocated, or recycled, every few thousand samples). Raw samples are kept only for the newest
// raw_budget_samples and each level for its newest level_budget_buckets; older data of a
// fine level is dropped whole chunks at a time, while the coarse levels keep all time. When a
// query needs finer data than memory still holds, it answers from a coarser level and sets
// needs_raw_fetch; the caller fetches the raw window (RawWindowSource) and queries again with
// it.
//
// Thread safety: none inside. One writer (Append/AppendGap) and any number of readers (the
// const methods) must be serialised by the caller, e.g. one mutex held by the data thread
// around a batch of appends and by the render thread around Query. Const methods may run
// concurrently with each other. A Query of 1000 columns takes tens of microseconds, so the
// lock is held only briefly. Nothing here blocks or does I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "gui/plot/series_source.h"

namespace rollrig::gui {

struct LodOptions {
  // Raw samples kept in memory (the newest). 2M samples is about 35 minutes at 1 kHz and
  // ~26 MB per series; older raw data is fetched from a RawWindowSource when zoomed in deep.
  // With the buckets' means, this keeps every channel of a 72-hour run under 1 GB.
  size_t raw_budget_samples = size_t{1} << 21;
  // Buckets kept per level (the newest). With fanout 16, level 2 keeps 2^20 buckets, i.e.
  // 268M samples (74 hours at 1 kHz): the pyramid from level 2 up covers a 72-hour run.
  size_t level_budget_buckets = size_t{1} << 20;
  int fanout = 16;  // samples per bucket at level 1, x fanout per level; 2..256
};

class RawWindowSource {  // e.g. an MCAP recording read by time range
 public:
  virtual ~RawWindowSource() = default;
  // Fills t and v (cleared first) with the samples of `series` in [t0, t1]. May be served
  // from a cache filled asynchronously in the app; an empty answer means "not yet".
  virtual void Fetch(double t0, double t1, /*series index*/ int series, std::vector<double>* t,
                     std::vector<float>* v) = 0;
};

// Keeps every sample of several series in plain vectors: the source for tests and benchmarks,
// and for a recording small enough to load whole. Not thread-safe.
class InMemoryRawSource : public RawWindowSource {
 public:
  explicit InMemoryRawSource(int series_count);
  void Add(int series, double t, float v);  // t non-decreasing per series
  void Fetch(double t0, double t1, int series, std::vector<double>* t,
             std::vector<float>* v) override;
  int fetch_count() const { return fetch_count_; }

 private:
  std::vector<std::vector<double>> t_;
  std::vector<std::vector<float>> v_;
  int fetch_count_ = 0;
};

// Fetches [t0, t1] of `series` from `source` into `window` (synchronously).
void FetchRawWindow(RawWindowSource& source, int series, double t0, double t1, RawWindow* window);

class LodSeries : public SeriesSource {
 public:
  explicit LodSeries(LodOptions options = {});
  ~LodSeries();
  LodSeries(const LodSeries&) = delete;
  LodSeries& operator=(const LodSeries&) = delete;

  // t non-decreasing; amortised O(1), no per-sample allocation. A sample with a time that is
  // not finite or goes backwards is refused and counted (rejected_samples); a value that is
  // not finite (NaN, inf) is stored as a gap of one lost sample so it cannot poison min/max.
  void Append(double t_s, float value);
  // Lost samples: the line breaks before the next sample, and `dropped` is counted at t_s.
  void AppendGap(double t_s, uint64_t dropped);

  size_t size() const;  // samples appended (including ones no longer held raw)
  bool empty() const override { return size_ == 0; }
  double t_begin() const override;
  double t_end() const override;
  // [window_begin, size()) are held raw; raw_t_begin() is the time of the oldest held sample.
  double raw_t_begin() const;

  // The view of [t0, t1] for a plot `columns` pixels wide: raw samples (plus one neighbour on
  // each side, so the line reaches the edges) when the window holds at most 2 per column,
  // else one min/max entry per column from the coarsest level that still has at least one
  // bucket per column. `fetched` (may be null) stands in for dropped raw data when it covers
  // [t0, t1].
  // Non-raw entries carry the mean of their samples (SeriesView::mean).
  void Query(double t0, double t1, int columns, SeriesView* out,
             const RawWindow* fetched = nullptr) const;
  // SeriesSource: Query without a fetched window.
  void QueryView(double t0, double t1, int columns, SeriesView* out) const override {
    Query(t0, t1, columns, out);
  }

  size_t memory_bytes() const;
  // Memory a series of `samples` samples would take with these options (no gaps).
  static size_t ProjectMemoryBytes(const LodOptions& options, uint64_t samples);

  // Inspection (tests, diagnostics).
  struct Bucket {
    double t_first = 0;
    float min = 0, max = 0;
    bool gap = false;  // some sample inside this bucket has a break before it
    float mean = 0;    // of its samples (a raw sample: its value)
  };
  int levels() const;                          // 1 + number of bucket levels in use
  uint64_t level_begin(int level) const;       // first index still held at this level
  uint64_t level_end(int level) const;         // closed buckets (level 0: samples)
  Bucket bucket(int level, uint64_t i) const;  // level 0: the raw sample as a bucket
  uint64_t rejected_samples() const { return rejected_; }
  uint64_t dropped_total() const { return dropped_total_; }
  const LodOptions& options() const { return options_; }

 private:
  struct Raw;
  struct Buckets;
  struct Accumulator {
    double t_first = 0;
    float min = 0, max = 0;
    bool gap = false;
    uint32_t count = 0;    // children merged so far
    double sum = 0;        // of the samples inside, for the mean
    uint64_t samples = 0;  // samples inside
  };

  void CloseInto(int level, const Accumulator& acc);
  // The open bucket of `level` merged with the open buckets below it: everything appended
  // after the level's last closed bucket. count == 0 when there is nothing.
  Accumulator Tail(int level) const;
  double TimeAt(int level, uint64_t i) const;
  // Index range [*i0, *i1) at `level` of the closed buckets that intersect [t0, t1].
  void IndexRange(int level, double t0, double t1, uint64_t* i0, uint64_t* i1) const;
  bool Covers(int level, double t0) const;
  void FillGaps(double t0, double t1, SeriesView* out) const;
  void QueryLevel(int level, double t0, double t1, int columns, SeriesView* out) const;
  void QueryFetched(double t0, double t1, int columns, const RawWindow& fetched,
                    SeriesView* out) const;

  LodOptions options_;
  std::unique_ptr<Raw> raw_;                       // level 0
  std::vector<std::unique_ptr<Buckets>> buckets_;  // [k - 1]: level k, fanout^k samples each
  std::vector<Accumulator> open_;                  // [k - 1]: the unfinished bucket of level k
  std::vector<GapMark> gap_marks_;                 // all gaps, by time
  std::vector<uint64_t> gap_cumulative_;           // dropped in gaps [0, i]
  bool pending_gap_ = false;
  uint64_t size_ = 0, rejected_ = 0, dropped_total_ = 0;
  double t_begin_ = 0, t_end_ = 0;
};

// A LodSeries with raw samples fetched for it (after SeriesView::needs_raw_fetch): a plot
// draws the fetched samples where they cover the window. Holds pointers only; both must
// outlive it and are read under the series' lock.
class LodSeriesWithWindow : public SeriesSource {
 public:
  LodSeriesWithWindow(const LodSeries* series, const RawWindow* fetched)
      : series_(series), fetched_(fetched) {}
  void QueryView(double t0, double t1, int columns, SeriesView* out) const override {
    series_->Query(t0, t1, columns, out, fetched_);
  }
  bool empty() const override { return series_->empty(); }
  double t_begin() const override { return series_->t_begin(); }
  double t_end() const override { return series_->t_end(); }

 private:
  const LodSeries* series_;
  const RawWindow* fetched_;
};

}  // namespace rollrig::gui
