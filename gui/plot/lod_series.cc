#include "gui/plot/lod_series.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>

namespace rollrig::gui {
namespace {

constexpr int kMaxLevels = 12;  // fanout^12 samples per bucket: far beyond any run

// Fixed-size chunks indexed by a global position that keeps counting after the oldest chunks
// are dropped. A dropped chunk is kept as a spare for the next append, so a store at its
// budget allocates nothing.
template <class Chunk>
class ChunkStore {
 public:
  static constexpr uint64_t kSize = Chunk::kSize;

  uint64_t begin() const { return first_chunk_ * kSize; }
  uint64_t end() const { return end_; }

  // The chunk and slot the next element goes to; call Commit after filling it.
  Chunk& Next(size_t* slot) {
    *slot = static_cast<size_t>(end_ % kSize);
    if (*slot == 0) {
      if (spare_) {
        chunks_.push_back(std::move(spare_));
      } else {
        chunks_.push_back(std::make_unique<Chunk>());
      }
    }
    return *chunks_.back();
  }
  void Commit() { ++end_; }

  const Chunk& At(uint64_t i, size_t* slot) const {
    *slot = static_cast<size_t>(i % kSize);
    return *chunks_[static_cast<size_t>(i / kSize - first_chunk_)];
  }

  // Drops the oldest whole chunks while at least `keep` elements would remain.
  void DropFrontKeeping(uint64_t keep) {
    while (chunks_.size() > 1 && end_ - (begin() + kSize) >= keep) {
      spare_ = std::move(chunks_.front());
      chunks_.pop_front();
      ++first_chunk_;
    }
  }

  size_t memory_bytes() const {
    const size_t chunks = chunks_.size() + (spare_ ? 1 : 0);
    return chunks * (sizeof(Chunk) + sizeof(void*)) + sizeof(*this);
  }

 private:
  std::deque<std::unique_ptr<Chunk>> chunks_;
  std::unique_ptr<Chunk> spare_;
  uint64_t first_chunk_ = 0;
  uint64_t end_ = 0;
};

struct RawChunk {
  static constexpr size_t kSize = 8192;
  double t[kSize];
  float v[kSize];
  uint8_t gap[kSize];
};

struct BucketChunk {
  static constexpr size_t kSize = 4096;
  double t[kSize];
  float min[kSize];
  float max[kSize];
  float mean[kSize];
  uint8_t gap[kSize];
};

size_t ChunkedBytes(uint64_t held, uint64_t budget, size_t chunk_elems, size_t chunk_bytes) {
  // A store holds between budget and budget + one chunk once it has reached its budget.
  const uint64_t kept = std::min<uint64_t>(held, budget + chunk_elems - 1);
  const uint64_t chunks = (kept + chunk_elems - 1) / chunk_elems + (held > kept ? 1 : 0);
  return static_cast<size_t>(chunks * (chunk_bytes + sizeof(void*)));
}

// One time-ordered input of ColumnBuilder: a sample or a bucket of `samples` samples.
struct ColumnEntry {
  double t;
  float min, max;
  double mean;
  uint64_t samples;
  bool gap;  // the line breaks before this entry
  // The entry holds a gap that may not be at its start (a bucket, or a sample in the middle
  // of a column), so the line also breaks after its column: it never bridges a gap.
  bool gap_inside;
};

// Turns time-ordered entries into at most one entry per pixel column, each with the min, max
// and mean of the samples inside it.
class ColumnBuilder {
 public:
  ColumnBuilder(double t0, double t1, int columns, SeriesView* out)
      : t0_(t0), scale_(columns / (t1 - t0)), columns_(columns), out_(out) {}
  ~ColumnBuilder() { FinishColumn(); }

  void Add(const ColumnEntry& e) {
    double c = std::floor((e.t - t0_) * scale_);
    c = std::clamp(c, 0.0, static_cast<double>(columns_ - 1));
    const int column = static_cast<int>(c);
    if (column != column_ || out_->t.empty()) {
      FinishColumn();
      column_ = column;
      out_->t.push_back(e.t);
      out_->min.push_back(e.min);
      out_->max.push_back(e.max);
      out_->gap_before.push_back(e.gap || break_next_ ? 1 : 0);
      break_next_ = e.gap_inside;
      sum_ = e.mean * static_cast<double>(e.samples);
      samples_ = e.samples;
      return;
    }
    out_->min.back() = std::min(out_->min.back(), e.min);
    out_->max.back() = std::max(out_->max.back(), e.max);
    if (e.gap) out_->gap_before.back() = 1;
    break_next_ = break_next_ || e.gap_inside;
    sum_ += e.mean * static_cast<double>(e.samples);
    samples_ += e.samples;
  }

 private:
  void FinishColumn() {
    if (column_ >= 0 && out_->mean.size() < out_->t.size()) {
      out_->mean.push_back(static_cast<float>(samples_ > 0 ? sum_ / samples_ : 0.0));
    }
  }

  double t0_, scale_;
  int columns_;
  int column_ = -1;
  bool break_next_ = false;
  double sum_ = 0;
  uint64_t samples_ = 0;
  SeriesView* out_;
};

ColumnEntry SampleEntry(double t, float v, bool gap) { return {t, v, v, v, 1, gap, gap}; }

}  // namespace

struct LodSeries::Raw {
  ChunkStore<RawChunk> store;
};
struct LodSeries::Buckets {
  ChunkStore<BucketChunk> store;
};

void SeriesView::Clear() {
  raw = false;
  t.clear();
  min.clear();
  max.clear();
  gap_before.clear();
  mean.clear();
  dropped_in_view = 0;
  needs_raw_fetch = false;
  fetch_t0 = fetch_t1 = 0;
  level = 0;
  gaps.clear();
}

InMemoryRawSource::InMemoryRawSource(int series_count)
    : t_(static_cast<size_t>(std::max(series_count, 0))),
      v_(static_cast<size_t>(std::max(series_count, 0))) {}

void InMemoryRawSource::Add(int series, double t, float v) {
  if (series < 0 || static_cast<size_t>(series) >= t_.size()) return;
  t_[static_cast<size_t>(series)].push_back(t);
  v_[static_cast<size_t>(series)].push_back(v);
}

void InMemoryRawSource::Fetch(double t0, double t1, int series, std::vector<double>* t,
                              std::vector<float>* v) {
  ++fetch_count_;
  t->clear();
  v->clear();
  if (series < 0 || static_cast<size_t>(series) >= t_.size()) return;
  const auto& ts = t_[static_cast<size_t>(series)];
  const auto& vs = v_[static_cast<size_t>(series)];
  const auto lo = std::lower_bound(ts.begin(), ts.end(), t0) - ts.begin();
  const auto hi = std::upper_bound(ts.begin(), ts.end(), t1) - ts.begin();
  t->assign(ts.begin() + lo, ts.begin() + hi);
  v->assign(vs.begin() + lo, vs.begin() + hi);
}

void FetchRawWindow(RawWindowSource& source, int series, double t0, double t1, RawWindow* window) {
  window->t0 = t0;
  window->t1 = t1;
  source.Fetch(t0, t1, series, &window->t, &window->v);
  window->v.resize(window->t.size());
}

LodSeries::LodSeries(LodOptions options) : options_(options), raw_(std::make_unique<Raw>()) {
  options_.fanout = std::clamp(options_.fanout, 2, 256);
  options_.raw_budget_samples = std::max<size_t>(options_.raw_budget_samples, 1);
  options_.level_budget_buckets = std::max<size_t>(options_.level_budget_buckets, 1);
}

LodSeries::~LodSeries() = default;

size_t LodSeries::size() const { return size_; }
double LodSeries::t_begin() const { return t_begin_; }
double LodSeries::t_end() const { return t_end_; }

double LodSeries::raw_t_begin() const {
  if (raw_->store.end() == raw_->store.begin()) return t_end_;
  return TimeAt(0, raw_->store.begin());
}

int LodSeries::levels() const { return 1 + static_cast<int>(buckets_.size()); }

uint64_t LodSeries::level_begin(int level) const {
  return level == 0 ? raw_->store.begin() : buckets_[static_cast<size_t>(level - 1)]->store.begin();
}

uint64_t LodSeries::level_end(int level) const {
  return level == 0 ? raw_->store.end() : buckets_[static_cast<size_t>(level - 1)]->store.end();
}

LodSeries::Bucket LodSeries::bucket(int level, uint64_t i) const {
  size_t slot = 0;
  if (level == 0) {
    const RawChunk& c = raw_->store.At(i, &slot);
    return {c.t[slot], c.v[slot], c.v[slot], c.gap[slot] != 0, c.v[slot]};
  }
  const BucketChunk& c = buckets_[static_cast<size_t>(level - 1)]->store.At(i, &slot);
  return {c.t[slot], c.min[slot], c.max[slot], c.gap[slot] != 0, c.mean[slot]};
}

double LodSeries::TimeAt(int level, uint64_t i) const {
  size_t slot = 0;
  if (level == 0) return raw_->store.At(i, &slot).t[slot];
  return buckets_[static_cast<size_t>(level - 1)]->store.At(i, &slot).t[slot];
}

void LodSeries::Append(double t_s, float value) {
  if (!std::isfinite(t_s) || (size_ > 0 && t_s < t_end_)) {
    ++rejected_;
    return;
  }
  if (!std::isfinite(value)) {
    AppendGap(t_s, 1);
    return;
  }
  ChunkStore<RawChunk>& store = raw_->store;
  size_t slot = 0;
  RawChunk& chunk = store.Next(&slot);
  if (slot == 0) store.DropFrontKeeping(options_.raw_budget_samples);
  const bool gap = pending_gap_;
  pending_gap_ = false;
  chunk.t[slot] = t_s;
  chunk.v[slot] = value;
  chunk.gap[slot] = gap ? 1 : 0;
  store.Commit();
  if (size_ == 0) t_begin_ = t_s;
  t_end_ = t_s;
  ++size_;

  if (open_.empty()) {
    open_.emplace_back();
    buckets_.push_back(std::make_unique<Buckets>());
  }
  Accumulator& acc = open_[0];
  if (acc.count == 0) {
    acc.t_first = t_s;
    acc.min = acc.max = value;
    acc.gap = gap;
  } else {
    acc.min = std::min(acc.min, value);
    acc.max = std::max(acc.max, value);
    acc.gap = acc.gap || gap;
  }
  acc.sum += value;
  ++acc.samples;
  if (++acc.count == static_cast<uint32_t>(options_.fanout)) CloseInto(1, acc);
}

void LodSeries::CloseInto(int level, const Accumulator& closed) {
  const size_t k = static_cast<size_t>(level - 1);
  ChunkStore<BucketChunk>& store = buckets_[k]->store;
  size_t slot = 0;
  BucketChunk& chunk = store.Next(&slot);
  if (slot == 0) store.DropFrontKeeping(options_.level_budget_buckets);
  chunk.t[slot] = closed.t_first;
  chunk.min[slot] = closed.min;
  chunk.max[slot] = closed.max;
  chunk.mean[slot] = static_cast<float>(closed.sum / static_cast<double>(closed.samples));
  chunk.gap[slot] = closed.gap ? 1 : 0;
  store.Commit();
  const Accumulator copy = closed;  // `closed` may be open_[k], reset next
  open_[k] = Accumulator{};
  if (level >= kMaxLevels) return;
  if (open_.size() <= k + 1) {
    open_.emplace_back();
    buckets_.push_back(std::make_unique<Buckets>());
  }
  Accumulator& up = open_[k + 1];
  if (up.count == 0) {
    up = copy;
    up.count = 0;
  } else {
    up.min = std::min(up.min, copy.min);
    up.max = std::max(up.max, copy.max);
    up.gap = up.gap || copy.gap;
    up.sum += copy.sum;
    up.samples += copy.samples;
  }
  if (++up.count == static_cast<uint32_t>(options_.fanout)) CloseInto(level + 1, up);
}

void LodSeries::AppendGap(double t_s, uint64_t dropped) {
  if (!std::isfinite(t_s)) {
    ++rejected_;
    return;
  }
  // Gaps are often reported after the fact: keep the marks in time order.
  if (size_ > 0) t_s = std::max(t_s, t_end_);
  if (!gap_marks_.empty()) t_s = std::max(t_s, gap_marks_.back().t);
  pending_gap_ = true;
  dropped_total_ += dropped;
  gap_marks_.push_back({t_s, dropped});
  gap_cumulative_.push_back(dropped_total_);
}

LodSeries::Accumulator LodSeries::Tail(int level) const {
  Accumulator tail;
  for (int k = std::min<int>(level, static_cast<int>(open_.size())); k >= 1; --k) {
    const Accumulator& a = open_[static_cast<size_t>(k - 1)];
    if (a.count == 0) continue;
    if (tail.count == 0) {
      tail = a;
    } else {
      tail.min = std::min(tail.min, a.min);
      tail.max = std::max(tail.max, a.max);
      tail.gap = tail.gap || a.gap;
      tail.count += a.count;
      tail.sum += a.sum;
      tail.samples += a.samples;
    }
  }
  return tail;
}

void LodSeries::IndexRange(int level, double t0, double t1, uint64_t* i0, uint64_t* i1) const {
  const uint64_t begin = level_begin(level), end = level_end(level);
  // First element with t > t1.
  uint64_t lo = begin, hi = end;
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    if (TimeAt(level, mid) > t1) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  *i1 = lo;
  // Last element with t <= t0 (it extends into the window), else the first one.
  lo = begin;
  hi = *i1;
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    if (TimeAt(level, mid) > t0) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  *i0 = lo > begin ? lo - 1 : begin;
}

bool LodSeries::Covers(int level, double t0) const {
  const uint64_t begin = level_begin(level);
  if (begin == 0) return true;
  return TimeAt(level, begin) <= t0;
}

void LodSeries::FillGaps(double t0, double t1, SeriesView* out) const {
  const auto by_t = [](const GapMark& g, double t) { return g.t < t; };
  const size_t lo = static_cast<size_t>(
      std::lower_bound(gap_marks_.begin(), gap_marks_.end(), t0, by_t) - gap_marks_.begin());
  size_t hi = lo;
  while (hi < gap_marks_.size() && gap_marks_[hi].t <= t1) {
    if (out->gaps.size() < SeriesView::kMaxGapMarks) out->gaps.push_back(gap_marks_[hi]);
    ++hi;
    if (out->gaps.size() == SeriesView::kMaxGapMarks) break;
  }
  // The total over the window by prefix sums, however many marks were listed.
  const auto upper =
      std::upper_bound(gap_marks_.begin() + static_cast<std::ptrdiff_t>(lo), gap_marks_.end(), t1,
                       [](double t, const GapMark& g) { return t < g.t; });
  hi = static_cast<size_t>(upper - gap_marks_.begin());
  if (hi > lo) {
    out->dropped_in_view = gap_cumulative_[hi - 1] - (lo > 0 ? gap_cumulative_[lo - 1] : 0);
  }
}

void LodSeries::Query(double t0, double t1, int columns, SeriesView* out,
                      const RawWindow* fetched) const {
  out->Clear();
  out->fetch_t0 = t0;
  out->fetch_t1 = t1;
  if (columns <= 0 || !(t1 > t0) || !std::isfinite(t0) || !std::isfinite(t1) || size_ == 0) {
    return;
  }
  FillGaps(t0, t1, out);

  // From the coarsest level down: the first with at least one bucket per column.
  const int top = static_cast<int>(buckets_.size());
  int chosen = -1;
  bool missing = false;
  for (int k = top; k >= 0; --k) {
    if (!Covers(k, t0)) {
      missing = true;
      chosen = std::min(k + 1, top);
      break;
    }
    uint64_t i0 = 0, i1 = 0;
    IndexRange(k, t0, t1, &i0, &i1);
    const uint64_t n = i1 - i0 + (Tail(k).count > 0 ? 1 : 0);
    if (k == 0 || n >= static_cast<uint64_t>(columns)) {
      chosen = k;
      break;
    }
  }
  if (missing) {
    if (fetched != nullptr && fetched->Covers(t0, t1)) {
      QueryFetched(t0, t1, columns, *fetched, out);
      return;
    }
    out->needs_raw_fetch = true;
  }
  QueryLevel(chosen, t0, t1, columns, out);
}

void LodSeries::QueryLevel(int level, double t0, double t1, int columns, SeriesView* out) const {
  out->level = level;
  uint64_t i0 = 0, i1 = 0;
  IndexRange(level, t0, t1, &i0, &i1);
  if (level == 0 && i1 - i0 <= 2 * static_cast<uint64_t>(columns)) {
    // Few enough: the samples themselves, plus the next one so the line reaches the edge.
    out->raw = true;
    const uint64_t end = std::min(i1 + 1, level_end(0));
    for (uint64_t i = i0; i < end; ++i) {
      size_t slot = 0;
      const RawChunk& c = raw_->store.At(i, &slot);
      out->t.push_back(c.t[slot]);
      out->min.push_back(c.v[slot]);
      out->max.push_back(c.v[slot]);
      out->gap_before.push_back(c.gap[slot]);
    }
    return;
  }
  const size_t reserve = static_cast<size_t>(columns) + 1;
  out->t.reserve(reserve);
  out->min.reserve(reserve);
  out->max.reserve(reserve);
  out->gap_before.reserve(reserve);
  out->mean.reserve(reserve);
  ColumnBuilder columns_out(t0, t1, columns, out);
  if (level == 0) {
    for (uint64_t i = i0; i < i1; ++i) {
      size_t slot = 0;
      const RawChunk& c = raw_->store.At(i, &slot);
      columns_out.Add(SampleEntry(c.t[slot], c.v[slot], c.gap[slot] != 0));
    }
    return;
  }
  const ChunkStore<BucketChunk>& store = buckets_[static_cast<size_t>(level - 1)]->store;
  uint64_t per_bucket = 1;
  for (int k = 0; k < level; ++k) per_bucket *= static_cast<uint64_t>(options_.fanout);
  for (uint64_t i = i0; i < i1; ++i) {
    size_t slot = 0;
    const BucketChunk& c = store.At(i, &slot);
    const bool gap = c.gap[slot] != 0;
    columns_out.Add({c.t[slot], c.min[slot], c.max[slot], c.mean[slot], per_bucket, gap, gap});
  }
  const Accumulator tail = Tail(level);
  if (tail.count > 0 && tail.t_first <= t1) {
    columns_out.Add({tail.t_first, tail.min, tail.max, tail.sum / static_cast<double>(tail.samples),
                     tail.samples, tail.gap, tail.gap});
  }
}

void LodSeries::QueryFetched(double t0, double t1, int columns, const RawWindow& fetched,
                             SeriesView* out) const {
  out->level = 0;
  const auto& ts = fetched.t;
  const size_t n = std::min(ts.size(), fetched.v.size());
  // Samples in [t0, t1] plus one neighbour on each side.
  size_t lo = static_cast<size_t>(std::lower_bound(ts.begin(), ts.begin() + n, t0) - ts.begin());
  size_t hi = static_cast<size_t>(std::upper_bound(ts.begin(), ts.begin() + n, t1) - ts.begin());
  const bool raw = hi - lo <= 2 * static_cast<size_t>(columns);
  if (raw) {
    if (lo > 0) --lo;
    if (hi < n) ++hi;
  }
  out->raw = raw;
  // The recording has no gap flags: a sample follows a gap when a gap mark lies between it
  // and the previous sample.
  auto gap = std::lower_bound(gap_marks_.begin(), gap_marks_.end(), lo > 0 ? ts[lo - 1] : t0,
                              [](const GapMark& g, double t) { return g.t <= t; });
  ColumnBuilder columns_out(t0, t1, columns, out);
  for (size_t i = lo; i < hi; ++i) {
    bool gap_before = false;
    while (gap != gap_marks_.end() && gap->t <= ts[i]) {
      gap_before = i > 0;
      ++gap;
    }
    if (raw) {
      out->t.push_back(ts[i]);
      out->min.push_back(fetched.v[i]);
      out->max.push_back(fetched.v[i]);
      out->gap_before.push_back(gap_before ? 1 : 0);
    } else {
      columns_out.Add(SampleEntry(ts[i], fetched.v[i], gap_before));
    }
  }
}

size_t LodSeries::memory_bytes() const {
  size_t bytes = sizeof(*this) + sizeof(Raw) + raw_->store.memory_bytes();
  for (const auto& level : buckets_) bytes += sizeof(Buckets) + level->store.memory_bytes();
  bytes += open_.capacity() * sizeof(Accumulator);
  bytes += gap_marks_.capacity() * sizeof(GapMark) + gap_cumulative_.capacity() * sizeof(uint64_t);
  return bytes;
}

size_t LodSeries::ProjectMemoryBytes(const LodOptions& options, uint64_t samples) {
  const uint64_t fanout = static_cast<uint64_t>(std::clamp(options.fanout, 2, 256));
  size_t bytes =
      sizeof(LodSeries) + sizeof(Raw) +
      ChunkedBytes(samples, options.raw_budget_samples, RawChunk::kSize, sizeof(RawChunk));
  uint64_t per_bucket = fanout;
  for (int level = 1; level <= kMaxLevels && samples >= per_bucket / fanout; ++level) {
    const uint64_t closed = samples / per_bucket;
    bytes +=
        sizeof(Buckets) + sizeof(Accumulator) +
        ChunkedBytes(closed, options.level_budget_buckets, BucketChunk::kSize, sizeof(BucketChunk));
    if (per_bucket > std::numeric_limits<uint64_t>::max() / fanout) break;
    per_bucket *= fanout;
  }
  return bytes;
}

}  // namespace rollrig::gui
