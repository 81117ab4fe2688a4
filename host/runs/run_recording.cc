// RunManager: every run is recorded (host/recorder): the recording started, fed and
// finished with the run, a recorder failure turned into a controlled stop; the .part files
// a crashed rigd left finalized at start, and what a full disk left undone retried.
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "host/recording/mcap_recovery.h"
#include "host/runs/run_manager.h"
#include "host/runs/run_resumption.h"

namespace rollrig::host {

using rollrig::v1::RunInfo;
using rollrig::v1::RunState;

namespace {

// How often what a full disk left undone is tried again.
constexpr absl::Duration kDiskRetryPeriod = absl::Seconds(2);

}  // namespace

recording::FileSystem* RunManager::file_system() const {
  return options_.file_system ? options_.file_system : recording::RealFileSystem();
}

absl::Status RunManager::StartRecording(ActiveRun& run, const DeviceSnapshot& snap) {
  recorder::RecordingStart start;
  start.run = run.info;
  start.device = snap.info;
  start.host_version = options_.host_version;
  if (snap.have_last && snap.last.host_time_ns > 0) {
    start.device_clock_offset_ns =
        recorder::DeviceClockOffsetNs(snap.last.host_time_ns, snap.last.time_us);
  }
  const rollrig::v1::RunSpec& spec = run.info.spec();
  const double planned_s = spec.cycles() > 0
                               ? (spec.cycles() - (run.first_cycle - 1)) * run.profile->cycle_s
                               : spec.duration_s() + run.profile->cycle_s;
  start.planned_samples = static_cast<uint64_t>(
      std::max(0.0, planned_s) * (snap.info ? snap.info->capabilities().telemetry_hz() : 0));
  NoteEarlierRecordings(run.info, &start);  // a resumed run's stretches before this one
  absl::StatusOr<std::unique_ptr<recorder::RunRecorder>> recorder = recorder::RunRecorder::Start(
      file_system(), store_->dir(), std::move(start), options_.recorder);
  if (!recorder.ok()) return recorder.status();
  run.recorder = *std::move(recorder);
  run.info.clear_recordings();
  for (const std::string& f : run.recorder->files()) run.info.add_recordings(f);
  return absl::OkStatus();
}

void RunManager::RecordSamples() {
  ActiveRun& run = *active_;
  if (run.recorder && !run.buffer.empty()) {
    (void)run.recorder->AddSamples(run.buffer.data(), run.buffer.size());
  }
}

void RunManager::RecordEvent(const rollrig::v1::RigEvent& event) {
  if (active_->recorder) (void)active_->recorder->AddEvent(event);
}

// Keeps the run's list of files current (a long run rotates) and turns a recorder failure
// into a controlled stop: a run is never left going unrecorded.
void RunManager::CheckRecorder() {
  ActiveRun& run = *active_;
  if (!run.recorder) return;
  PublishRecordingCounters(false);
  const std::vector<std::string> files = run.recorder->files();
  if (!std::equal(files.begin(), files.end(), run.info.recordings().begin(),
                  run.info.recordings().end())) {
    run.info.clear_recordings();
    for (const std::string& f : files) run.info.add_recordings(f);
  }
  if (run.recorder_failure_handled) return;
  const absl::Status status = run.recorder->status();
  if (status.ok()) return;
  run.recorder_failure_handled = true;
  // The recorder's message says what failed ("disk full: ...", "I/O error: ...").
  const std::string reason(status.message());
  LogProblem(absl::StrCat("run ", run.info.id(), ": ", reason));
  // The program ramps down and the device turns the bridge off; the run then ends FAULTED:
  // it cannot go on unrecorded (a HELD run ends at once).
  if (run.info.state() != rollrig::v1::RUN_STATE_HELD) {
    Publish(absl::StrCat("run ", run.info.id(), " stopping: ", reason));
  }
  Execute(run.model->RecorderFailed(reason, HostNow()));
}

// Writes the last events and the verdict, and finishes the files (blocks the run thread
// until they are durable and renamed).
void RunManager::FinishRecording(RunState state, const std::string& reason) {
  ActiveRun& run = *active_;
  if (!run.recorder) return;
  if (run.events) {
    std::vector<rollrig::v1::RigEvent> last;
    run.events->Drain(&last);
    for (const auto& e : last) (void)run.recorder->AddEvent(e);
  }
  rollrig::v1::RigEvent end_event;
  end_event.set_kind(rollrig::v1::RIG_EVENT_RUN_STATE);
  end_event.set_host_time_ns(HostNow());
  end_event.set_run_id(run.info.id());
  end_event.set_run_state(state);
  end_event.set_message(absl::StrCat("run ", run.info.id(), " ",
                                     rollrig::v1::RunStateDisplayName(state), ": ", reason));
  (void)run.recorder->AddEvent(end_event);
  recorder::RecordingEnd end;
  end.state = state;
  end.reason = reason;
  end.verdict = run.info.verdict();
  if (absl::Status s = run.recorder->Finish(end); !s.ok() && !run.recorder_failure_handled) {
    LogProblem(absl::StrCat("run ", run.info.id(), ": recording: ", s.message()));
  }
  run.info.clear_recordings();
  for (const std::string& f : run.recorder->files()) {
    run.info.add_recordings(f);
    // A file the recorder could not finalize (the disk still full): tried again later.
    if (absl::EndsWith(f, ".part")) unfinalized_.push_back({run.info.id(), f});
  }
  PublishRecordingCounters(true);
  run.recorder.reset();
}

void RunManager::PublishRecordingCounters(bool finished) {
  const recorder::RecorderStats stats = active_->recorder->stats();
  const uint64_t total = bytes_of_finished_recordings_ + stats.bytes_written;
  if (finished) bytes_of_finished_recordings_ = total;
  recorded_bytes_total_.store(total, std::memory_order_relaxed);
  recorder_samples_queued_.store(finished ? 0 : stats.sample_queue, std::memory_order_relaxed);
}

RecordingCounters RunManager::recording_counters() const {
  RecordingCounters c;
  c.bytes_written_total = recorded_bytes_total_.load(std::memory_order_relaxed);
  c.samples_queued = recorder_samples_queued_.load(std::memory_order_relaxed);
  return c;
}

// Every few seconds, what a full disk left undone, once space has come back: finalizes
// the recordings a failed recorder left as .part (no room for the summary then; the run
// then lists the final file) and saves the ended runs whose last save failed.
void RunManager::RetryWritesAfterDiskFull() {
  const int64_t now = ClockNow();
  if ((unfinalized_.empty() && unsaved_runs_.empty()) || now < next_disk_retry_ns_) return;
  next_disk_retry_ns_ = now + absl::ToInt64Nanoseconds(kDiskRetryPeriod);
  recording::FileSystem* fs = file_system();
  std::vector<UnfinalizedRecording> still;
  for (const UnfinalizedRecording& u : unfinalized_) {
    const std::string final_path = u.part.substr(0, u.part.size() - 5);
    if (!fs->Exists(u.part) || !recording::FinalizeRecording(fs, u.part, final_path).ok()) {
      if (fs->Exists(u.part)) still.push_back(u);
      continue;
    }
    LogProblem(absl::StrCat("run ", u.run_id, ": finalized its recording ", final_path,
                            " now that there is space"));
    RenameRecording(u.run_id, u.part, final_path);
  }
  unfinalized_ = std::move(still);
  const std::set<std::string> unsaved = unsaved_runs_;
  for (const std::string& id : unsaved) {
    if (unsaved_runs_.count(id) > 0) SaveEndedRun(id);  // not saved with its recording
  }
}

// Points run `run_id` (visible and stored) at `to` instead of `from`.
void RunManager::RenameRecording(const std::string& run_id, const std::string& from,
                                 const std::string& to) {
  auto rename = [&](RunInfo& run) {
    for (std::string& f : *run.mutable_recordings()) {
      if (f == from) f = to;
    }
  };
  if (active_ && active_->info.id() == run_id) rename(active_->info);
  view_.RenameRecording(run_id, from, to);
  SaveEndedRun(run_id);
}

// A rigd that crashed or lost power left NAME.mcap.part files: finalize each (the runs
// directory's lock means no other rigd is writing them) and point the runs at the results.
void RunManager::FinalizeLeftoverRecordings(std::vector<RunInfo>* runs) {
  recording::FileSystem* fs = file_system();
  std::vector<std::string> parts;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(store_->dir(), ec)) {
    const std::string path = entry.path().string();
    if (absl::EndsWith(path, ".mcap.part")) parts.push_back(path);
  }
  std::sort(parts.begin(), parts.end());
  for (const std::string& part : parts) {
    const std::string final_path = part.substr(0, part.size() - 5);
    absl::StatusOr<recording::RecoveryReport> report =
        recording::FinalizeRecording(fs, part, final_path);
    if (report.ok()) {
      std::cerr << "rigd: recordings: finalized " << final_path << ": " << report->ToString()
                << std::endl;
    } else {
      LogProblem(absl::StrCat("cannot finalize the recording ", part, ": ",
                              report.status().message(),
                              " (left as it is; rigctl recover tries it by hand)"));
    }
  }
  for (RunInfo& run : *runs) {
    bool changed = false;
    for (std::string& f : *run.mutable_recordings()) {
      if (!absl::EndsWith(f, ".part")) continue;
      const std::string final_path = f.substr(0, f.size() - 5);
      if (!fs->Exists(f) && fs->Exists(final_path)) {
        f = final_path;
        changed = true;
      }
    }
    if (changed && !rollrig::v1::RunIsActive(run.state())) {
      if (absl::Status s = store_->Save(run); !s.ok()) LogProblem(std::string(s.message()));
    }
  }
}

}  // namespace rollrig::host
