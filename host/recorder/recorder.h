// RunRecorder: the recording of one run, written by a thread of its own so that the run
// thread never waits for the disk.
//
// Files: DIR/NAME.mcap.part while written (NAME = the run id), renamed to NAME.mcap when
// finished; a long run rotates to NAME-0001.mcap, NAME-0002.mcap, ... (each a complete
// MCAP file with the run's metadata), listed together as one run. Every file goes
// through a recording::FileSystem.
//
// Crash safety: Header, schemas, channels and the run's metadata are synced before the
// first sample; chunks close at 0.5 s or 1 MiB with an fdatasync (CloseStaleChunks runs
// at least every 100 ms, so events and cycles reach the disk with them); the directory is
// fsynced after every create and rename. A crash loses at most about a second, and the
// .part left behind is finalized by FinalizeRecording (rigd does it at start).
//
// Failure: the producer never blocks. A full queue (the disk or the thread cannot keep
// up), a write error or free space below the reserve make the recorder fail: every Add
// then returns the error, the writer finalizes the file up to that point, and the run
// manager stops the run safely with the error as its reason. A full disk (free space
// below the reserve, or a write failing with ENOSPC) is reported as "disk full: ...", any
// other write or sync failure as "I/O error: ...", each naming the file or directory and
// the free space against the reserve; a full queue as "recording failed: ...". The
// message is the run's reason as it stands.
//
// Thread safety: Add* from one producer thread (the run thread); status(), files() and
// stats() from any thread; Finish from the producer thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "host/recording/file_system.h"
#include "host/recording/mcap_writer.h"
#include "host/recording/recording_layout.h"
#include "host/recording/sample.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::recorder {

struct RecorderOptions {
  // Queues between the producer and the writer thread. 2^17 samples are 13 s at 10 kHz.
  size_t sample_queue_capacity = size_t{1} << 17;
  size_t event_queue_capacity = 4096;
  size_t cycle_queue_capacity = 4096;
  // A new file after this much log time.
  absl::Duration rotate_after = absl::Hours(1);
  // Free space that must remain for finalizing; below it the recording stops. Checked
  // after every chunk written and at least this often.
  uint64_t reserve_bytes = uint64_t{64} << 20;
  absl::Duration free_space_check_period = absl::Milliseconds(500);
  // The start-of-run estimate: bytes per sample times the planned samples, plus a margin.
  double bytes_per_sample = 50;
  uint64_t estimate_margin_bytes = uint64_t{16} << 20;
  // How often the writer wakes to write what is queued and close stale chunks.
  absl::Duration writer_period = absl::Milliseconds(20);
  recording::McapWriterOptions writer;
  // The host clock, Unix-epoch ns like the samples' host_time_ns (tests inject theirs).
  std::function<int64_t()> now_ns;
};

// What the recording says about its run; written as its metadata.
struct RecordingStart {
  rollrig::v1::RunInfo run;  // id, spec (with the profile text), profile, start time
  std::optional<rollrig::v1::DeviceInfo> device;
  std::string host_version;
  // Device time -> host epoch (DeviceClockOffsetNs); unset: taken from the first sample.
  std::optional<int64_t> device_clock_offset_ns;
  uint64_t planned_samples = 0;  // for the free-space estimate; 0 = unknown
  // A resumed run records each stretch after an interruption into new files: this one's
  // number (1 = the first; later ones are named ID-rN.mcap) and the files of the stretches
  // before, which files() lists first.
  uint32_t part = 1;
  std::vector<std::string> earlier_files;
};

// How the run ended, for the "rollrig.verdict" metadata.
struct RecordingEnd {
  rollrig::v1::RunState state = rollrig::v1::RUN_STATE_UNSPECIFIED;
  std::string reason;
  rollrig::v1::RunVerdict verdict;
};

struct RecorderStats {
  uint64_t samples_written = 0;
  uint64_t events_written = 0;
  uint64_t cycles_written = 0;
  uint64_t bytes_written = 0;  // all files
  uint64_t files = 0;
  size_t max_sample_queue = 0;  // the deepest the sample queue got
  size_t sample_queue = 0;      // samples queued for the writer when last added (backlog)
};

class RunRecorder {
 public:
  // Checks free space against the run's estimated size, creates the first file, writes
  // and syncs the metadata and starts the writer thread. RESOURCE_EXHAUSTED when the
  // estimate does not fit, with both figures; other errors name the file.
  static absl::StatusOr<std::unique_ptr<RunRecorder>> Start(recording::FileSystem* fs,
                                                            const std::string& dir,
                                                            RecordingStart start,
                                                            RecorderOptions options = {});
  ~RunRecorder();  // finishes without a verdict if Finish was not called

  RunRecorder(const RunRecorder&) = delete;
  RunRecorder& operator=(const RunRecorder&) = delete;

  // Producer side; never block. OK, or the error that ended the recording.
  absl::Status AddSamples(const host::Sample* samples, size_t n);
  absl::Status AddEvent(const rollrig::v1::RigEvent& event);
  // A completed cycle; `log_time_ns` = when the host closed it.
  absl::Status AddCycle(const rollrig::v1::CycleStats& cycle, int64_t log_time_ns);

  // Writes what is queued, the verdict (if the recording is healthy), finishes and
  // renames the file, syncs the directory. Blocks until done; idempotent. Returns the
  // recording's error if it failed earlier (its file is then finalized up to there).
  absl::Status Finish(const RecordingEnd& end);

  // OK while the recording is healthy.
  absl::Status status() const;
  // Every file of the run so far, in order: DIR/NAME.mcap, DIR/NAME-0001.mcap, ...; the
  // one being written ends in .part.
  std::vector<std::string> files() const;
  RecorderStats stats() const;

  // The file name of file `index` of run `run_id` (without ".part").
  static std::string FileName(const std::string& run_id, uint32_t index, uint32_t part = 1);

 private:
  struct Writer;
  RunRecorder(recording::FileSystem* fs, std::string dir, RecordingStart start,
              RecorderOptions options);

  void Fail(absl::Status status);
  absl::Status DescribeWriteFailure(const absl::Status& error, const char* what,
                                    const std::string& path);
  // The writer thread's steps (recorder.cc says what each does).
  void CheckFreeSpace();
  void Loop();
  bool TakeFromProducer(std::optional<RecordingEnd>* end);
  void WriteRound();
  void PublishStats();
  absl::Status WriteQueued();
  absl::Status WriteQueuedSamples();
  absl::Status WriteTakenEventsAndCycles();
  absl::Status RecordSample(const host::Sample& sample);
  absl::Status TakeClockOffsetFrom(const host::Sample& sample);
  absl::Status RotateFile(uint64_t log_time);
  absl::Status WriteCoarseOverviewIfDone();
  uint64_t RotateAfterNs() const;
  void WriteLastOverview();
  void FinalizeRun(const std::optional<RecordingEnd>& end);
  void FinalizeAfterFailure();
  void FinalizeFile(const std::map<std::string, std::string>* verdict);
  void IoFailed(const absl::Status& error, const char* what);
  void Recover(bool last_try);

  recording::FileSystem* const fs_;
  const std::string dir_;
  const RecorderOptions options_;
  std::unique_ptr<Writer> writer_;  // writer thread only after Start

  struct SampleQueue;
  std::unique_ptr<SampleQueue> samples_;

  mutable std::mutex mu_;  // guards everything below; never held during I/O
  std::condition_variable cv_;
  std::deque<rollrig::v1::RigEvent> events_;
  std::deque<std::pair<rollrig::v1::CycleStats, int64_t>> cycles_;
  absl::Status status_;
  std::optional<RecordingEnd> end_;  // set by Finish
  bool finish_requested_ = false;
  bool writer_done_ = false;
  std::vector<std::string> files_;
  RecorderStats stats_;

  std::atomic<bool> failed_{false};
  std::thread thread_;
  bool finished_ = false;  // producer thread
};

}  // namespace rollrig::recorder
