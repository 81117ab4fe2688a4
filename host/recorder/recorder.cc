#include "host/recorder/recorder.h"

#include <algorithm>
#include <iostream>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "boost/lockfree/spsc_queue.hpp"
#include "google/protobuf/util/json_util.h"
#include "host/device/host_time.h"
#include "host/recording/mcap_recovery.h"

namespace rollrig::recorder {
namespace {

constexpr size_t kWriteBatch = 4096;
constexpr char kPartSuffix[] = ".part";

std::string ToJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

std::string MiB(uint64_t bytes) {
  return absl::StrFormat("%.1f MiB", static_cast<double>(bytes) / (1 << 20));
}

}  // namespace

struct RunRecorder::SampleQueue {
  explicit SampleQueue(size_t capacity) : queue(capacity), capacity(capacity) {}
  boost::lockfree::spsc_queue<host::Sample> queue;
  const size_t capacity;
  std::atomic<size_t> max_depth{0};  // producer's view
  std::atomic<size_t> depth{0};      // producer's view after its last push
};

// The writer thread's state: the open file and what the next message needs.
struct RunRecorder::Writer {
  RecordingStart start;
  std::unique_ptr<recording::McapWriter> mcap;
  RecordingChannels channels;
  uint32_t file_index = 0;
  std::string part_path, final_path;
  uint64_t file_first_log_time = 0;
  bool io_broken = false;  // a write failed: the file's tail is unknown, recover it
  bool recovery_pending = false;
  bool closed = true;

  std::optional<int64_t> clock_offset_ns;
  std::optional<OverviewBuilder> overview;
  uint32_t event_sequence = 0;
  uint32_t overview_sequence = 0;
  uint32_t coarse_overview_sequence = 0;
  rollrig::v1::TelemetryRecord record;
  std::string scratch;
  std::vector<host::Sample> batch;
  std::deque<rollrig::v1::RigEvent> events;  // taken from the producer, not yet written
  std::deque<std::pair<rollrig::v1::CycleStats, int64_t>> cycles;
  int64_t next_free_check_ns = 0;
  uint64_t bytes_at_free_check = 0;

  uint64_t samples_written = 0, events_written = 0, cycles_written = 0;
  uint64_t bytes_in_closed_files = 0;
  uint64_t bytes_written() const {
    return bytes_in_closed_files + (mcap ? mcap->bytes_written() : 0);
  }
};

std::string RunRecorder::FileName(const std::string& run_id, uint32_t index, uint32_t part) {
  const std::string stem = part > 1 ? absl::StrCat(run_id, "-r", part) : run_id;
  return index == 0 ? absl::StrCat(stem, ".mcap") : absl::StrFormat("%s-%04d.mcap", stem, index);
}

RunRecorder::RunRecorder(recording::FileSystem* fs, std::string dir, RecordingStart start,
                         RecorderOptions options)
    : fs_(fs),
      dir_(std::move(dir)),
      options_(std::move(options)),
      writer_(std::make_unique<Writer>()),
      samples_(
          std::make_unique<SampleQueue>(std::max<size_t>(16, options_.sample_queue_capacity))) {
  writer_->start = std::move(start);
  writer_->clock_offset_ns = writer_->start.device_clock_offset_ns;
  if (writer_->clock_offset_ns) writer_->overview.emplace(*writer_->clock_offset_ns);
  writer_->batch.reserve(kWriteBatch);
}

namespace {

// The run's, the device's and the host's metadata at the start of file `index`.
absl::Status WriteStartMetadata(recording::McapWriter& mcap, const RecordingStart& start,
                                uint32_t index, int64_t now_ns,
                                const std::optional<int64_t>& clock_offset_ns) {
  const rollrig::v1::RunInfo& run = start.run;
  std::map<std::string, std::string> run_meta = {
      {kRunIdKey, run.id()},
      {kRunSpecKey, ToJson(run.spec())},
      {kProfileTextKey, run.spec().profile().text()},
      {kProfileNameKey, run.profile_name()},
      {kProfileHashKey, run.profile_hash()},
      {kStartedUnixNsKey, absl::StrCat(run.started_unix_ns())},
  };
  if (!run.resumed_from().empty()) run_meta[kResumedFromKey] = run.resumed_from();
  if (!run.started_by().empty()) run_meta[kStartedByKey] = run.started_by();
  if (start.part > 1) run_meta[kRunPartKey] = absl::StrCat(start.part);
  if (absl::Status s = mcap.WriteMetadata(kRunMetadata, run_meta); !s.ok()) return s;

  std::map<std::string, std::string> device_meta = {
      {kDeviceSerialKey, run.device_serial()},
      {kFirmwareVersionKey, run.firmware_version()},
  };
  if (start.device) device_meta[kDeviceInfoKey] = ToJson(*start.device);
  if (absl::Status s = mcap.WriteMetadata(kDeviceMetadata, device_meta); !s.ok()) return s;

  std::map<std::string, std::string> host_meta = {
      {kHostVersionKey, start.host_version},
      {kFileIndexKey, absl::StrCat(index)},
      {kRecordingStartKey, absl::StrCat(now_ns)},
  };
  if (clock_offset_ns) host_meta[kClockOffsetKey] = absl::StrCat(*clock_offset_ns);
  return mcap.WriteMetadata(kHostMetadata, host_meta);
}

// Opens file `index` of the run and writes its Header, channels and metadata, synced.
absl::Status OpenFile(recording::FileSystem* fs, const std::string& dir,
                      const recording::McapWriterOptions& writer_options, uint32_t index,
                      int64_t now_ns, RecordingStart& start,
                      std::unique_ptr<recording::McapWriter>* mcap, RecordingChannels* channels,
                      std::string* part_path, std::string* final_path,
                      const std::optional<int64_t>& clock_offset_ns) {
  *final_path = absl::StrCat(dir, "/", RunRecorder::FileName(start.run.id(), index, start.part));
  *part_path = *final_path + kPartSuffix;
  absl::StatusOr<std::unique_ptr<recording::WritableFile>> file = fs->NewWritableFile(*part_path);
  if (!file.ok()) return file.status();
  if (absl::Status s = fs->SyncDir(dir); !s.ok()) return s;
  recording::McapWriterOptions options = writer_options;
  SetOverviewChunkSpans(&options);
  *mcap = std::make_unique<recording::McapWriter>(*std::move(file), options);
  if (absl::Status s = (*mcap)->Open(); !s.ok()) return s;
  absl::StatusOr<RecordingChannels> ch = AddRunChannels(**mcap);
  if (!ch.ok()) return ch.status();
  *channels = *ch;

  if (absl::Status s = WriteStartMetadata(**mcap, start, index, now_ns, clock_offset_ns); !s.ok()) {
    return s;
  }
  // Everything a reader needs to make sense of the samples is durable before the first.
  return (*mcap)->Flush();
}

}  // namespace

absl::StatusOr<std::unique_ptr<RunRecorder>> RunRecorder::Start(recording::FileSystem* fs,
                                                                const std::string& dir,
                                                                RecordingStart start,
                                                                RecorderOptions options) {
  if (!options.now_ns) options.now_ns = [] { return host::HostTimeNanos(); };
  absl::StatusOr<uint64_t> free_bytes = fs->FreeBytes(dir);
  if (!free_bytes.ok()) {
    return absl::Status(
        free_bytes.status().code(),
        absl::StrCat("cannot check the free space in ", dir, ": ", free_bytes.status().message()));
  }
  const uint64_t estimate =
      static_cast<uint64_t>(options.bytes_per_sample * static_cast<double>(start.planned_samples)) +
      options.estimate_margin_bytes;
  if (*free_bytes < estimate + options.reserve_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("not enough free space in ", dir, " to record the run: ", MiB(*free_bytes),
                     " free, the recording needs about ", MiB(estimate), " (",
                     start.planned_samples, " samples) plus a reserve of ",
                     MiB(options.reserve_bytes), "; free some space or record fewer cycles"));
  }

  std::unique_ptr<RunRecorder> r(new RunRecorder(fs, dir, std::move(start), std::move(options)));
  Writer& w = *r->writer_;
  if (absl::Status s =
          OpenFile(fs, dir, r->options_.writer, 0, r->options_.now_ns(), w.start, &w.mcap,
                   &w.channels, &w.part_path, &w.final_path, w.clock_offset_ns);
      !s.ok()) {
    return absl::Status(
        s.code(), absl::StrCat("cannot start the recording ", w.part_path, ": ", s.message()));
  }
  w.closed = false;
  r->files_.push_back(w.part_path);
  r->stats_.files = 1;
  r->thread_ = std::thread([raw = r.get()] { raw->Loop(); });
  return r;
}

RunRecorder::~RunRecorder() {
  if (!finished_) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      finish_requested_ = true;
    }
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void RunRecorder::Fail(absl::Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  if (status_.ok()) status_ = std::move(status);
  failed_.store(true);
}

absl::Status RunRecorder::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

std::vector<std::string> RunRecorder::files() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> all = writer_->start.earlier_files;
  all.insert(all.end(), files_.begin(), files_.end());
  return all;
}

RecorderStats RunRecorder::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  RecorderStats s = stats_;
  s.max_sample_queue = samples_->max_depth.load();
  s.sample_queue = samples_->depth.load(std::memory_order_relaxed);
  return s;
}

absl::Status RunRecorder::AddSamples(const host::Sample* samples, size_t n) {
  if (failed_.load()) return status();
  const size_t pushed = samples_->queue.push(samples, n);
  const size_t depth = samples_->capacity - samples_->queue.write_available();
  samples_->depth.store(depth, std::memory_order_relaxed);
  if (depth > samples_->max_depth.load(std::memory_order_relaxed)) {
    samples_->max_depth.store(depth, std::memory_order_relaxed);
  }
  if (pushed < n) {
    Fail(absl::ResourceExhaustedError(absl::StrCat(
        "recording failed: the recorder could not keep up: its queue of ", samples_->capacity,
        " samples was full at sample ", samples[pushed].seq,
        " (the disk is too slow or stalled); the recording was finalized up to there")));
    return status();
  }
  return absl::OkStatus();
}

absl::Status RunRecorder::AddEvent(const rollrig::v1::RigEvent& event) {
  if (failed_.load()) return status();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (events_.size() < options_.event_queue_capacity) {
      events_.push_back(event);
      return absl::OkStatus();
    }
  }
  Fail(absl::ResourceExhaustedError(absl::StrCat(
      "recording failed: the recorder could not keep up: its queue of ",
      options_.event_queue_capacity, " events was full; the recording was finalized up to there")));
  return status();
}

absl::Status RunRecorder::AddCycle(const rollrig::v1::CycleStats& cycle, int64_t log_time_ns) {
  if (failed_.load()) return status();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (cycles_.size() < options_.cycle_queue_capacity) {
      cycles_.emplace_back(cycle, log_time_ns);
      return absl::OkStatus();
    }
  }
  Fail(absl::ResourceExhaustedError(absl::StrCat(
      "recording failed: the recorder could not keep up: its queue of ",
      options_.cycle_queue_capacity, " cycles was full; the recording was finalized up to there")));
  return status();
}

absl::Status RunRecorder::Finish(const RecordingEnd& end) {
  if (finished_) return status();
  finished_ = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    end_ = end;
    finish_requested_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  return status();
}

namespace {

// Finishes the open file (with `verdict` metadata if given) and renames it.
absl::Status CloseFile(recording::FileSystem* fs, const std::string& dir,
                       recording::McapWriter& mcap, const std::string& part_path,
                       const std::string& final_path,
                       const std::map<std::string, std::string>* verdict) {
  if (verdict) {
    if (absl::Status s = mcap.WriteMetadata(kVerdictMetadata, *verdict); !s.ok()) return s;
  }
  if (absl::Status s = mcap.Finish(); !s.ok()) return s;
  if (absl::Status s = fs->Rename(part_path, final_path); !s.ok()) return s;
  return fs->SyncDir(dir);
}

}  // namespace

// A write that failed: "disk full" when the disk had no room (ENOSPC, EDQUOT), else an
// I/O error; both name the file, what failed and the free space against the reserve.
absl::Status RunRecorder::DescribeWriteFailure(const absl::Status& error, const char* what,
                                               const std::string& path) {
  const bool full = error.code() == absl::StatusCode::kResourceExhausted;
  std::string space;
  if (absl::StatusOr<uint64_t> free_bytes = fs_->FreeBytes(dir_); free_bytes.ok()) {
    space = absl::StrCat("; ", MiB(*free_bytes), " free in ", dir_, ", the finalizing reserve is ",
                         MiB(options_.reserve_bytes));
  }
  return absl::Status(
      error.code(),
      absl::StrCat(full ? "disk full: " : "I/O error: ", "recording ", path, " failed (", what,
                   "): ", error.message(), space,
                   "; the recording was stopped and is finalized up to its last synced chunk"));
}

// Stops the recording when the free space falls below the reserve that finalizing needs.
// Checked before and after each round of writes whenever a chunk was written since the
// last check (the file grew), and at least every free_space_check_period, so another
// process filling the disk is seen before the recorder's own writes fail.
void RunRecorder::CheckFreeSpace() {
  Writer& w = *writer_;
  if (w.closed || failed_.load()) return;
  const int64_t now = options_.now_ns();
  const uint64_t bytes = w.bytes_written();
  if (now < w.next_free_check_ns && bytes == w.bytes_at_free_check) return;
  w.next_free_check_ns = now + absl::ToInt64Nanoseconds(options_.free_space_check_period);
  w.bytes_at_free_check = bytes;
  absl::StatusOr<uint64_t> free_bytes = fs_->FreeBytes(dir_);
  if (!free_bytes.ok() || *free_bytes >= options_.reserve_bytes) return;
  Fail(absl::ResourceExhaustedError(
      absl::StrCat("disk full: free space in ", dir_, " fell to ", MiB(*free_bytes),
                   ", below the recorder's finalizing reserve of ", MiB(options_.reserve_bytes),
                   "; the recording was stopped and finalized up to here")));
}

// Records an I/O failure: the file's tail is unknown, so it is recovered, not finished.
void RunRecorder::IoFailed(const absl::Status& error, const char* what) {
  writer_->io_broken = true;
  Fail(DescribeWriteFailure(error, what, writer_->part_path));
}

// Finalizes a file whose write failed (keeping every complete chunk, as rigd would after a
// crash). If even that fails (the disk is still full), it is tried again at the end, then
// left for rigd's next start.
void RunRecorder::Recover(bool last_try) {
  Writer& w = *writer_;
  absl::StatusOr<recording::RecoveryReport> report =
      recording::FinalizeRecording(fs_, w.part_path, w.final_path);
  std::lock_guard<std::mutex> lock(mu_);
  if (report.ok()) {
    w.recovery_pending = false;
    files_[w.file_index] = w.final_path;
    return;
  }
  if (!last_try) return;
  status_ =
      absl::Status(status_.code(),
                   absl::StrCat(status_.message(), "; finalizing it failed too (",
                                report.status().message(), "): it stays as ", w.part_path,
                                " for rigd to finalize once there is space (or rigctl recover)"));
}

// Finishes and renames the open file (with `verdict` metadata if given), or recovers it
// when its tail is torn.
void RunRecorder::FinalizeFile(const std::map<std::string, std::string>* verdict) {
  Writer& w = *writer_;
  if (w.closed) return;
  w.closed = true;
  if (!w.io_broken) {
    absl::Status s = CloseFile(fs_, dir_, *w.mcap, w.part_path, w.final_path, verdict);
    w.bytes_in_closed_files += w.mcap->bytes_written();
    w.mcap.reset();
    if (s.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      files_[w.file_index] = w.final_path;
      return;
    }
    IoFailed(s, "finishing");
  }
  // A torn tail: keep every complete chunk, as rigd would after a crash.
  if (w.mcap) w.bytes_in_closed_files += w.mcap->bytes_written();
  w.mcap.reset();
  w.recovery_pending = true;
  Recover(false);
}

// No sample was known at the start: the first one sets the device clock offset.
absl::Status RunRecorder::TakeClockOffsetFrom(const host::Sample& sample) {
  Writer& w = *writer_;
  w.clock_offset_ns = DeviceClockOffsetNs(sample.host_time_ns, sample.time_us);
  w.overview.emplace(*w.clock_offset_ns);
  return w.mcap->WriteMetadata(kHostMetadata,
                               {{kHostVersionKey, w.start.host_version},
                                {kFileIndexKey, absl::StrCat(w.file_index)},
                                {kClockOffsetKey, absl::StrCat(*w.clock_offset_ns)}});
}

// The next hour goes to a new file; the current one is complete (without a verdict).
absl::Status RunRecorder::RotateFile(uint64_t log_time) {
  Writer& w = *writer_;
  FinalizeFile(nullptr);
  if (w.io_broken) return absl::OkStatus();  // already failed
  ++w.file_index;
  w.file_first_log_time = log_time;
  absl::Status s = OpenFile(fs_, dir_, options_.writer, w.file_index, options_.now_ns(), w.start,
                            &w.mcap, &w.channels, &w.part_path, &w.final_path, w.clock_offset_ns);
  {
    std::lock_guard<std::mutex> lock(mu_);
    files_.push_back(w.part_path);
    stats_.files = files_.size();
  }
  w.closed = false;
  return s;
}

// Writes one sample (and the overview entry it completes), rotating first when the file
// has its hour.
absl::Status RunRecorder::RecordSample(const host::Sample& sample) {
  Writer& w = *writer_;
  const uint64_t log_time = LogTimeNs(sample);
  if (!w.clock_offset_ns) {
    if (absl::Status s = TakeClockOffsetFrom(sample); !s.ok()) return s;
  }
  if (w.file_first_log_time == 0) w.file_first_log_time = log_time;
  if (log_time >= w.file_first_log_time + RotateAfterNs()) {
    if (absl::Status s = RotateFile(log_time); !s.ok() || w.io_broken) return s;
  }
  if (absl::Status s =
          WriteSample(*w.mcap, w.channels, sample, *w.clock_offset_ns, &w.record, &w.scratch);
      !s.ok())
    return s;
  ++w.samples_written;
  OverviewEntry entry;
  if (!w.overview->Add(sample, &entry)) return absl::OkStatus();
  if (absl::Status s = WriteOverview(*w.mcap, w.channels, entry, w.overview_sequence++, &w.scratch);
      !s.ok()) {
    return s;
  }
  return WriteCoarseOverviewIfDone();
}

// The coarse overview window the last fine one completed, if it did.
absl::Status RunRecorder::WriteCoarseOverviewIfDone() {
  Writer& w = *writer_;
  OverviewEntry coarse;
  if (!w.overview->TakeCoarse(&coarse)) return absl::OkStatus();
  return WriteCoarseOverview(*w.mcap, w.channels, coarse, w.coarse_overview_sequence++, &w.scratch);
}

uint64_t RunRecorder::RotateAfterNs() const {
  return static_cast<uint64_t>(
      std::max<int64_t>(1, absl::ToInt64Nanoseconds(options_.rotate_after)));
}

// Writes the samples queued so far, a batch at a time; stops at the first failure.
absl::Status RunRecorder::WriteQueuedSamples() {
  Writer& w = *writer_;
  for (;;) {
    w.batch.resize(kWriteBatch);
    const size_t n = samples_->queue.pop(w.batch.data(), kWriteBatch);
    w.batch.resize(n);
    for (const host::Sample& s : w.batch) {
      if (absl::Status st = RecordSample(s); !st.ok()) return st;
      if (w.io_broken) return absl::OkStatus();
    }
    if (n < kWriteBatch) return absl::OkStatus();
  }
}

// Writes the events and cycles taken from the producer, then forgets them.
absl::Status RunRecorder::WriteTakenEventsAndCycles() {
  Writer& w = *writer_;
  for (const rollrig::v1::RigEvent& e : w.events) {
    if (absl::Status st = WriteEvent(*w.mcap, w.channels, e, w.event_sequence++, &w.scratch);
        !st.ok())
      return st;
    ++w.events_written;
  }
  w.events.clear();
  for (const auto& [cycle, log_time] : w.cycles) {
    if (absl::Status st =
            WriteCycle(*w.mcap, w.channels, cycle,
                       static_cast<uint64_t>(std::max<int64_t>(0, log_time)), &w.scratch);
        !st.ok())
      return st;
    ++w.cycles_written;
  }
  w.cycles.clear();
  return absl::OkStatus();
}

// Samples first, then events and cycles, as long as the file is open and healthy.
absl::Status RunRecorder::WriteQueued() {
  if (absl::Status s = WriteQueuedSamples(); !s.ok()) return s;
  if (writer_->closed || writer_->io_broken) return absl::OkStatus();
  return WriteTakenEventsAndCycles();
}

// Waits up to a writer period for Finish, then takes the queued events and cycles and the
// run's end. True once Finish was called.
bool RunRecorder::TakeFromProducer(std::optional<RecordingEnd>* end) {
  Writer& w = *writer_;
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, absl::ToChronoNanoseconds(options_.writer_period),
               [this] { return finish_requested_; });
  w.events.swap(events_);
  w.cycles.swap(cycles_);
  *end = end_;
  return finish_requested_;
}

// One round of writes with the free space checked around it.
void RunRecorder::WriteRound() {
  Writer& w = *writer_;
  // Before writing, so nothing goes into the reserve once it is reached.
  CheckFreeSpace();
  if (!w.closed && !w.io_broken) {
    // What was queued before a failure is good: write it, then close.
    if (absl::Status s = WriteQueued(); !s.ok()) {
      IoFailed(s, "writing");
    } else if (absl::Status c = w.mcap->CloseStaleChunks(
                   static_cast<uint64_t>(std::max<int64_t>(0, options_.now_ns())));
               !c.ok()) {
      IoFailed(c, "closing a chunk");
    }
  }
  CheckFreeSpace();
  PublishStats();
}

void RunRecorder::PublishStats() {
  const Writer& w = *writer_;
  std::lock_guard<std::mutex> lock(mu_);
  stats_.samples_written = w.samples_written;
  stats_.events_written = w.events_written;
  stats_.cycles_written = w.cycles_written;
  stats_.bytes_written = w.bytes_written();
}

// The recording failed: what the producer queued after this round's write is still good.
void RunRecorder::FinalizeAfterFailure() {
  Writer& w = *writer_;
  if (!w.closed && !w.io_broken) {
    if (absl::Status s = WriteQueued(); !s.ok()) IoFailed(s, "writing");
  }
  FinalizeFile(nullptr);
}

// The overview's partial last entry, written at the end of the run.
void RunRecorder::WriteLastOverview() {
  Writer& w = *writer_;
  if (w.io_broken || !w.overview) return;
  OverviewEntry entry;
  if (!w.overview->Flush(&entry)) return;
  absl::Status s = WriteOverview(*w.mcap, w.channels, entry, w.overview_sequence++, &w.scratch);
  if (s.ok()) s = WriteCoarseOverviewIfDone();
  if (!s.ok()) IoFailed(s, "writing");
}

// The producer has stopped: the queues hold the last of the run; then the verdict.
void RunRecorder::FinalizeRun(const std::optional<RecordingEnd>& end) {
  Writer& w = *writer_;
  if (absl::Status s = WriteQueued(); !s.ok()) IoFailed(s, "writing");
  WriteLastOverview();
  std::map<std::string, std::string> verdict;
  if (end) {
    verdict = {
        {kVerdictKey, ToJson(end->verdict)},
        {kRunStateKey, rollrig::v1::RunState_Name(end->state)},
        {kStateReasonKey, end->reason},
        {kSamplesKey, absl::StrCat(w.samples_written)},
        {kCyclesKey, absl::StrCat(w.cycles_written)},
    };
  }
  FinalizeFile(end && !failed_.load() ? &verdict : nullptr);
}

void RunRecorder::Loop() {
  Writer& w = *writer_;
  for (;;) {
    std::optional<RecordingEnd> end;
    const bool finishing = TakeFromProducer(&end);
    WriteRound();
    if (failed_.load()) {
      FinalizeAfterFailure();
    } else if (finishing) {
      FinalizeRun(end);
    }
    if (finishing && w.recovery_pending) Recover(true);
    if (finishing || w.closed) {
      PublishStats();
      if (finishing) return;
    }
  }
}

}  // namespace rollrig::recorder
