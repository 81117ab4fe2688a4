#include "host/recording/run_history.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace rollrig::recording {
namespace {

using rollrig::v1::GetRunHistoryRequest;
using rollrig::v1::RunHistory;

// Files kept open for the zooms that follow a first picture: a 72 h run's hourly files,
// whose readers hold their chunk indexes (under 1 MB each).
constexpr size_t kOpenFilesKept = 96;
constexpr size_t kIndexThreads = 4;
constexpr double kCoarseWidthS = 10.0;
constexpr double kFineWidthS = 0.1;

std::string FileName(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// A stretch of the run: its files, and how its device times map onto run time.
struct Stretch {
  std::vector<const HistoryFileIndex*> files;
  std::vector<OpenRecording*> open;
  uint64_t origin_us = 0;  // device time at the stretch's run time offset_s
  double offset_s = 0;
  bool has_samples = false;
  uint64_t first_us = 0, last_us = 0;
  bool envelopes = true;  // every file carries per-channel envelopes

  double RunTime(uint64_t device_us) const {
    return offset_s +
           static_cast<double>(static_cast<int64_t>(device_us) - static_cast<int64_t>(origin_us)) /
               1e6;
  }
  uint64_t DeviceUs(double run_time_s) const {
    const double d = static_cast<double>(origin_us) + (run_time_s - offset_s) * 1e6;
    return d <= 0 ? 0 : static_cast<uint64_t>(std::llround(d));
  }
};

// Envelopes (or samples) in run-time order into at most max_points buckets, or kept as
// they are while they are no more than max_points samples (raw); gaps found on the way.
class PointSink {
 public:
  PointSink(double t0, double t1, uint32_t max_points, bool keep_raw)
      : t0_(t0), width_((t1 - t0) / max_points), max_points_(max_points), raw_(keep_raw) {
    if (!raw_) buckets_.resize(max_points_);
  }

  void NewStretch() { have_prev_ = false; }

  // `t`: the run time of e's first sample; an envelope that began before the window counts
  // from the window's start.
  void Add(double t, const Envelope& e, const Stretch& stretch, RunHistory* out) {
    t = std::max(t, t0_);
    NoteGaps(t, e, stretch, out);
    samples_ += e.samples;
    if (raw_) {
      raw_points_.emplace_back(t, e);
      if (raw_points_.size() > max_points_) ToBuckets();
      return;
    }
    Bucket(t, e);
  }

  uint64_t samples() const { return samples_; }

  void Write(const std::vector<size_t>& channels, RunHistory* out) const {
    out->set_raw(raw_);
    const auto& points = raw_ ? raw_points_ : buckets_;
    std::vector<size_t> present;
    for (size_t c : channels) {
      if (std::any_of(points.begin(), points.end(),
                      [&](const auto& p) { return p.second.count[c] > 0; })) {
        present.push_back(c);
      }
    }
    for (size_t c : present) {
      out->add_series()->set_channel(std::string(kTelemetryChannels[c].name));
    }
    const float nan = std::numeric_limits<float>::quiet_NaN();
    for (const auto& [t, e] : points) {
      if (e.samples == 0) continue;
      out->add_t_s(t);
      for (size_t i = 0; i < present.size(); ++i) {
        const size_t c = present[i];
        rollrig::v1::HistorySeries* s = out->mutable_series(static_cast<int>(i));
        const bool have = e.count[c] > 0;
        s->add_mean(have ? static_cast<float>(e.sum[c] / e.count[c]) : nan);
        if (raw_) continue;
        s->add_min(have ? e.min[c] : nan);
        s->add_max(have ? e.max[c] : nan);
      }
    }
  }

 private:
  void Bucket(double t, const Envelope& e) {
    const double i = std::floor((t - t0_) / width_);
    const size_t b = static_cast<size_t>(std::clamp(i, 0.0, static_cast<double>(max_points_ - 1)));
    auto& [bt, be] = buckets_[b];
    if (be.samples == 0) {
      bt = t;
      be = e;
      return;
    }
    be.last_time_us = e.last_time_us;
    be.last_seq = e.last_seq;
    be.samples += e.samples;
    for (size_t c = 0; c < kTelemetryChannelCount; ++c) {
      if (e.count[c] == 0) continue;
      be.min[c] = be.count[c] == 0 ? e.min[c] : std::min(be.min[c], e.min[c]);
      be.max[c] = be.count[c] == 0 ? e.max[c] : std::max(be.max[c], e.max[c]);
      be.sum[c] += e.sum[c];
      be.count[c] += e.count[c];
    }
  }

  void ToBuckets() {
    raw_ = false;
    buckets_.resize(max_points_);
    for (const auto& [t, e] : raw_points_) Bucket(t, e);
    raw_points_.clear();
    raw_points_.shrink_to_fit();
  }

  // Samples lost before or inside `e`: its counters do not follow on.
  void NoteGaps(double t, const Envelope& e, const Stretch& stretch, RunHistory* out) {
    if (have_prev_ && e.first_seq != prev_.last_seq + 1) {
      rollrig::v1::HistoryGap* gap = out->add_gaps();
      gap->set_t_s(t);
      gap->set_samples(e.first_seq > prev_.last_seq ? e.first_seq - prev_.last_seq - 1 : 0);
      gap->set_duration_s(stretch.RunTime(e.first_time_us) - stretch.RunTime(prev_.last_time_us));
    }
    const uint64_t span = e.last_seq >= e.first_seq ? e.last_seq - e.first_seq + 1 : 0;
    if (span > e.samples) {
      rollrig::v1::HistoryGap* gap = out->add_gaps();
      gap->set_t_s(t);
      gap->set_samples(span - e.samples);
    }
    prev_ = e;
    have_prev_ = true;
  }

  double t0_, width_;
  uint32_t max_points_;
  bool raw_;
  std::vector<std::pair<double, Envelope>> raw_points_;
  std::vector<std::pair<double, Envelope>> buckets_;
  uint64_t samples_ = 0;
  Envelope prev_;
  bool have_prev_ = false;
};

enum class Level { kRaw, kFine, kCoarse };

// Reads [from_us, to_us] of `stretch` at `level` into `sink`; where the level stops short,
// the next finer one fills the rest. The first error stops the reading.
absl::Status ReadLevel(Level level, const Stretch& stretch, uint64_t from_us, uint64_t to_us,
                       PointSink* sink, RunHistory* out) {
  if (from_us > to_us) return absl::OkStatus();
  if (!stretch.envelopes) level = Level::kRaw;
  std::optional<uint64_t> covered;
  auto add = [&](const Envelope& e) {
    sink->Add(stretch.RunTime(e.first_time_us), e, stretch, out);
    covered = e.last_time_us;
  };
  for (size_t i = 0; i < stretch.files.size(); ++i) {
    const HistoryFileIndex& f = *stretch.files[i];
    if (!f.has_samples || f.last_time_us < from_us || f.first_time_us > to_us) continue;
    absl::Status s;
    switch (level) {
      case Level::kCoarse:
        for (const Envelope& e : f.coarse) {
          if (e.last_time_us >= from_us && e.first_time_us <= to_us) add(e);
        }
        break;
      case Level::kFine:
        s = ReadFineEnvelopes(*stretch.open[i], f, from_us, to_us, add);
        break;
      case Level::kRaw:
        s = ReadRawSamples(*stretch.open[i], f, from_us, to_us,
                           [&](const host::Sample& sample) { add(Envelope::OfSample(sample)); });
        break;
    }
    if (!s.ok()) return s;
  }
  if (level == Level::kRaw) return absl::OkStatus();
  const uint64_t rest = covered ? *covered + 1 : from_us;
  return ReadLevel(level == Level::kCoarse ? Level::kFine : Level::kRaw, stretch,
                   std::max(rest, from_us), to_us, sink, out);
}

absl::StatusOr<std::vector<size_t>> ChannelsOf(const GetRunHistoryRequest& request) {
  std::vector<size_t> channels;
  for (const std::string& name : request.channels()) {
    std::optional<size_t> c = FindChannel(name);
    if (!c) {
      std::vector<std::string> known;
      for (const TelemetryChannel& k : kTelemetryChannels) known.emplace_back(k.name);
      return absl::InvalidArgumentError(absl::StrCat("unknown channel \"", name.substr(0, 200),
                                                     "\"; the channels are ",
                                                     absl::StrJoin(known, ", ")));
    }
    channels.push_back(*c);
  }
  if (channels.empty()) {
    for (size_t c = 0; c < kTelemetryChannelCount; ++c) channels.push_back(c);
  }
  return channels;
}

// Groups the files into stretches and places each on the run's time axis.
std::vector<Stretch> StretchesOf(const std::vector<const HistoryFileIndex*>& files,
                                 const std::vector<OpenRecording*>& open, const HistoryRun& run,
                                 RunHistory* out) {
  std::vector<Stretch> stretches;
  for (size_t i = 0; i < files.size(); ++i) {
    const HistoryFileIndex& f = *files[i];
    if (stretches.empty() || f.part != files[i - 1]->part) stretches.emplace_back();
    Stretch& s = stretches.back();
    s.files.push_back(&f);
    s.open.push_back(open[i]);
    s.envelopes = s.envelopes && (f.has_channel_envelopes || !f.has_samples);
    if (!f.has_samples) continue;
    if (!s.has_samples) {
      s.has_samples = true;
      s.first_us = f.first_time_us;
      s.origin_us = f.program_start_time_us.value_or(f.first_time_us);
    }
    s.last_us = std::max(s.last_us, f.last_time_us);
  }
  for (size_t k = 1; k < stretches.size(); ++k) {
    Stretch& s = stretches[k];
    const Stretch& before = stretches[k - 1];
    const bool told = k - 1 < run.interruptions.size();
    s.offset_s = told ? run.interruptions[k - 1].run_time_s() : before.RunTime(before.last_us);
    rollrig::v1::HistoryGap* gap = out->add_gaps();
    gap->set_t_s(s.offset_s);
    const double between =
        static_cast<double>(static_cast<int64_t>(s.files.front()->first_log_ns) -
                            static_cast<int64_t>(before.files.back()->last_log_ns)) /
        1e9;
    gap->set_duration_s(told ? run.interruptions[k - 1].duration_s() : std::max(0.0, between));
  }
  return stretches;
}

double EventRunTime(const rollrig::v1::RigEvent& e, const HistoryFileIndex& f, const Stretch& s) {
  if (e.kind() == rollrig::v1::RIG_EVENT_DEVICE && e.device().time_us() > 0) {
    return s.RunTime(e.device().time_us());
  }
  return s.RunTime(f.DeviceTimeUs(static_cast<uint64_t>(std::max<int64_t>(0, e.host_time_ns()))));
}

void AddEventsAndCycles(const std::vector<Stretch>& stretches, double t0, double t1,
                        uint32_t max_events, RunHistory* out) {
  std::map<uint32_t, rollrig::v1::CycleStats> cycles;
  for (const Stretch& s : stretches) {
    for (const HistoryFileIndex* f : s.files) {
      for (const rollrig::v1::RigEvent& e : f->events) {
        // A resumed stretch's arming comes before its program: at the interruption's end.
        const double t = &s == &stretches.front() ? EventRunTime(e, *f, s)
                                                  : std::max(s.offset_s, EventRunTime(e, *f, s));
        if (t > t1 || (t < t0 && t0 > 0)) continue;
        if (static_cast<uint32_t>(out->events_size()) >= max_events) {
          out->set_events_omitted(out->events_omitted() + 1);
          continue;
        }
        rollrig::v1::RigEvent* added = out->add_events();
        *added = e;
        added->set_run_time_s(t);
      }
      for (const rollrig::v1::CycleStats& c : f->cycles) {
        if (c.end_s() >= t0 && c.start_s() <= t1) cycles[c.cycle()] = c;
      }
    }
  }
  for (auto& [n, c] : cycles) *out->add_cycles() = std::move(c);
}

// Drops the gaps outside the window (the stretch gaps were added for all).
void KeepGapsIn(double t0, double t1, RunHistory* out) {
  google::protobuf::RepeatedPtrField<rollrig::v1::HistoryGap> kept;
  for (const rollrig::v1::HistoryGap& g : out->gaps()) {
    if (g.t_s() >= t0 && g.t_s() <= t1) *kept.Add() = g;
  }
  out->mutable_gaps()->Swap(&kept);
  std::stable_sort(out->mutable_gaps()->begin(), out->mutable_gaps()->end(),
                   [](const auto& a, const auto& b) { return a.t_s() < b.t_s(); });
}

uint32_t SampleRate(const std::vector<Stretch>& stretches) {
  for (const Stretch& s : stretches) {
    for (const HistoryFileIndex* f : s.files) {
      if (f->sample_rate_hz > 0) return f->sample_rate_hz;
    }
  }
  for (const Stretch& s : stretches) {
    for (const HistoryFileIndex* f : s.files) {
      if (f->samples > 1 && f->last_time_us > f->first_time_us) {
        return static_cast<uint32_t>(std::lround(
            (f->samples - 1) * 1e6 / static_cast<double>(f->last_time_us - f->first_time_us)));
      }
    }
  }
  return 0;
}

// The window asked for, clamped to what is recorded, or why it cannot be answered.
absl::Status ClampWindow(const GetRunHistoryRequest& request, double end_s, const std::string& id,
                         double* t0, double* t1) {
  const bool to_newest = request.t1_s() <= request.t0_s();
  *t0 = std::max(0.0, request.t0_s());
  *t1 = to_newest ? end_s : std::min(request.t1_s(), end_s);
  if (request.t0_s() > end_s || (!to_newest && request.t1_s() < 0)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "the window %.3f s to %s is beyond run %s's recorded end at %.3f s of run time",
        request.t0_s(), to_newest ? "its newest sample" : absl::StrFormat("%.3f s", request.t1_s()),
        id.substr(0, 200), end_s));
  }
  return absl::OkStatus();
}

// Envelopes from the coarsest level whose buckets are no wider than the window's; raw
// samples when the window holds no more than max_points.
Level LevelFor(double window_s, uint32_t max_points) {
  const double width = window_s / max_points;
  if (width >= kCoarseWidthS) return Level::kCoarse;
  if (width >= kFineWidthS) return Level::kFine;
  return Level::kRaw;
}

// Whether the window's samples (at `sample_rate`) fit in max_points: then they go raw.
bool FitsRaw(double window_s, uint32_t sample_rate, uint32_t max_points) {
  return sample_rate > 0 && window_s * sample_rate + 1 <= max_points;
}

// Reads [t0, t1] of every stretch that overlaps it into `sink`, at `level`.
absl::Status ReadWindow(const std::vector<Stretch>& stretches, double t0, double t1, Level level,
                        PointSink* sink, RunHistory* out) {
  for (const Stretch& s : stretches) {
    // Samples before the stretch's program (arming) are not on the run's time axis.
    if (!s.has_samples || s.RunTime(s.last_us) < t0 || s.RunTime(s.origin_us) > t1) continue;
    sink->NewStretch();
    const uint64_t from = std::max(s.origin_us, s.DeviceUs(t0));
    const uint64_t to = std::min(s.last_us, s.DeviceUs(t1));
    if (absl::Status st = ReadLevel(level, s, from, to, sink, out); !st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::StatusOr<RunHistory> Answer(const std::vector<Stretch>& stretches,
                                  const std::vector<size_t>& channels,
                                  const GetRunHistoryRequest& request, RunHistory* out) {
  double end_s = 0;
  for (const Stretch& s : stretches) {
    if (s.has_samples) end_s = s.RunTime(s.last_us);
  }
  out->set_recorded_end_s(end_s);
  const uint32_t rate = SampleRate(stretches);
  out->set_sample_rate_hz(rate);
  if (!stretches.empty() && !stretches.front().files.empty()) {
    const HistoryFileIndex& first = *stretches.front().files.front();
    out->set_run_start_unix_ns(static_cast<int64_t>(
        first.program_start_time_us ? first.program_start_log_ns : first.first_log_ns));
  }
  if (out->recording() && !stretches.empty() && stretches.back().has_samples) {
    const Stretch& s = stretches.back();
    out->set_live_device_to_run_s(s.offset_s - static_cast<double>(s.origin_us) / 1e6);
  }
  double t0 = 0, t1 = 0;
  if (absl::Status s = ClampWindow(request, end_s, out->run_id(), &t0, &t1); !s.ok()) return s;
  out->set_t0_s(t0);
  out->set_t1_s(t1);
  const uint32_t max_points =
      request.max_points() == 0 ? kHistoryDefaultPoints : request.max_points();
  const bool raw = FitsRaw(t1 - t0, rate, max_points);
  PointSink sink(t0, std::max(t1, t0 + 1e-6), max_points, raw);
  const Level level = raw ? Level::kRaw : LevelFor(t1 - t0, max_points);
  if (absl::Status read = ReadWindow(stretches, t0, t1, level, &sink, out); !read.ok()) {
    if (sink.samples() == 0) return absl::DataLossError(read.message());
    if (out->damage().empty()) out->set_damage(std::string(read.message()));
  }
  sink.Write(channels, out);
  out->set_samples(sink.samples());
  const uint32_t max_events = std::min(
      kHistoryMaxEvents, request.max_events() == 0 ? kHistoryDefaultEvents : request.max_events());
  AddEventsAndCycles(stretches, t0, t1, max_events, out);
  KeepGapsIn(t0, t1, out);
  return std::move(*out);
}

}  // namespace

RunHistoryReader::RunHistoryReader(FileSystem* fs) : fs_(fs) {}

std::shared_ptr<OpenRecording> RunHistoryReader::KeepOpen(const std::string& path,
                                                          std::shared_ptr<OpenRecording> open) {
  // `open` is a copy: the entry it came from may go now.
  open_.remove_if([&](const auto& entry) { return entry.first == path; });
  open_.emplace_front(path, open);
  if (open_.size() > kOpenFilesKept) open_.pop_back();
  return open;
}

absl::StatusOr<RunHistoryReader::LoadedFile> RunHistoryReader::Load(const std::string& listed) {
  // A file renamed since the run was listed: NAME.mcap.part -> NAME.mcap.
  std::string path = listed;
  if (absl::EndsWith(path, ".part") && !fs_->Exists(path)) path.resize(path.size() - 5);
  const bool finished = !absl::EndsWith(path, ".part");
  LoadedFile loaded;
  if (finished) {
    auto kept = std::find_if(open_.begin(), open_.end(),
                             [&](const auto& entry) { return entry.first == path; });
    if (kept != open_.end()) loaded.open = KeepOpen(path, kept->second);
    if (auto it = finished_.find(path); it != finished_.end()) loaded.index = it->second;
  }
  if (!loaded.open) {
    absl::StatusOr<std::shared_ptr<OpenRecording>> open = OpenRecordingFile(fs_, path);
    if (!open.ok()) return open.status();
    loaded.open = finished ? KeepOpen(path, *open) : *open;
  }
  if (!loaded.index) {
    absl::StatusOr<HistoryFileIndex> index = IndexHistoryFile(*loaded.open, path);
    if (!index.ok()) return index.status();
    loaded.index = std::make_shared<const HistoryFileIndex>(*std::move(index));
    if (finished) finished_[path] = loaded.index;
  }
  return loaded;
}

// The finished files not indexed yet, indexed by a few threads at once: a long run's
// first read opens dozens of files. Failures are left for Load to report in order.
void RunHistoryReader::IndexFinishedFiles(const std::vector<std::string>& paths) {
  std::vector<std::string> todo;
  for (const std::string& p : paths) {
    if (!absl::EndsWith(p, ".part") && finished_.count(p) == 0) todo.push_back(p);
  }
  if (todo.size() < 2) return;
  std::vector<std::shared_ptr<const HistoryFileIndex>> done(todo.size());
  std::vector<std::shared_ptr<OpenRecording>> opened(todo.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < todo.size(); i = next++) {
      absl::StatusOr<std::shared_ptr<OpenRecording>> open = OpenRecordingFile(fs_, todo[i]);
      if (!open.ok()) continue;
      absl::StatusOr<HistoryFileIndex> index = IndexHistoryFile(**open, todo[i]);
      if (!index.ok()) continue;
      done[i] = std::make_shared<const HistoryFileIndex>(*std::move(index));
      opened[i] = *std::move(open);
    }
  };
  const size_t n = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, kIndexThreads);
  std::vector<std::thread> threads;
  for (size_t t = 1; t < n; ++t) threads.emplace_back(work);
  work();
  for (std::thread& t : threads) t.join();
  for (size_t i = 0; i < todo.size(); ++i) {
    if (!done[i]) continue;
    finished_[todo[i]] = done[i];
    KeepOpen(todo[i], opened[i]);
  }
}

absl::StatusOr<RunHistory> RunHistoryReader::Read(const HistoryRun& run,
                                                  const GetRunHistoryRequest& request) {
  if (request.max_points() > kHistoryMaxPoints) {
    return absl::InvalidArgumentError(absl::StrCat("max_points ", request.max_points(),
                                                   " is above the limit of ", kHistoryMaxPoints));
  }
  absl::StatusOr<std::vector<size_t>> channels = ChannelsOf(request);
  if (!channels.ok()) return channels.status();
  RunHistory out;
  out.set_run_id(run.run_id);
  out.set_recording(run.recording);

  IndexFinishedFiles(run.files);
  std::vector<LoadedFile> loaded;
  for (const std::string& path : run.files) {
    absl::StatusOr<LoadedFile> file = Load(path);
    if (!file.ok()) {
      if (loaded.empty()) return file.status();
      out.set_damage(std::string(file.status().message()));
      break;
    }
    loaded.push_back(*std::move(file));
    out.add_files(FileName(loaded.back().index->path));
    if (!loaded.back().index->damage.empty()) {
      out.set_damage(loaded.back().index->damage);
      break;
    }
  }
  std::vector<const HistoryFileIndex*> files;
  std::vector<OpenRecording*> open;
  for (const LoadedFile& f : loaded) {
    files.push_back(f.index.get());
    open.push_back(f.open.get());
  }
  std::vector<Stretch> stretches = StretchesOf(files, open, run, &out);
  return Answer(stretches, *channels, request, &out);
}

}  // namespace rollrig::recording
