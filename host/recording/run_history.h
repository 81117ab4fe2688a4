// A run's history from its recording files, in run time, at the resolution a view needs:
// what rigd's GetRunHistory answers and what rig-dash reads from local files.
//
// The run's files are read in order as one run: hourly rotations of a stretch, the
// stretches a resumed run continued into after each interruption, and a NAME.mcap.part
// still being written (as far as its last durable chunk). Run time is the analysis's
// (host/analysis/run_analyzer.h): seconds of device time since the stretch's first
// program sample, plus, for a resumed stretch, the run time it continued from
// (RunInterruption.run_time_s; from the files alone, the run time of the stretch before
// ended at).
//
// A window [t0, t1] with max_points answers raw samples when it holds no more than
// max_points of them; otherwise min/max/mean envelopes in at most max_points buckets, read
// from the coarsest level that still gives max_points buckets: the 10 s coarse overview
// (kept in memory per file), the 10 Hz overview, or the raw samples, each through the
// chunk index (only the chunks that may hold the window are read). Where a level stops
// short (a file cut by a crash, the newest seconds of a live file), the next finer level
// fills the rest. Recordings made before the per-channel overview read raw.
//
// Caching: a finished file (NAME.mcap) never changes, so its index is kept; a .part is
// indexed again on every read. Up to 96 files stay open for the zooms that follow. A run's
// first read indexes its files on a few threads at once (each file by one thread).
//
// Not thread-safe: one caller at a time (rigd serves it from one thread of its own).
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "host/recording/file_system.h"
#include "host/recording/history_file_index.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::recording {

// What the reader is told of the run, beyond its files.
struct HistoryRun {
  std::string run_id;
  std::vector<std::string> files;  // in order (RunInfo.recordings)
  // In order; when given, the run time each resumed stretch continues from.
  std::vector<rollrig::v1::RunInterruption> interruptions;
  bool recording = false;  // still being recorded
};

inline constexpr uint32_t kHistoryDefaultPoints = 2000;
inline constexpr uint32_t kHistoryMaxPoints = 100000;
inline constexpr uint32_t kHistoryDefaultEvents = 1000;
inline constexpr uint32_t kHistoryMaxEvents = 10000;

class RunHistoryReader {
 public:
  explicit RunHistoryReader(FileSystem* fs = RealFileSystem());

  // The history of `run` in the request's window (GetRunHistoryRequest's contract; its
  // run_id is not looked at). INVALID_ARGUMENT: an unknown channel (naming the known ones),
  // max_points above kHistoryMaxPoints, a window that does not intersect the recorded run
  // (naming its recorded end). DATA_LOSS naming the file when the first file cannot be
  // read; damage further on stops the answer there (RunHistory.damage says where).
  absl::StatusOr<rollrig::v1::RunHistory> Read(const HistoryRun& run,
                                               const rollrig::v1::GetRunHistoryRequest& request);

 private:
  struct LoadedFile {
    std::shared_ptr<const HistoryFileIndex> index;
    std::shared_ptr<OpenRecording> open;
  };
  absl::StatusOr<LoadedFile> Load(const std::string& path);
  void IndexFinishedFiles(const std::vector<std::string>& paths);
  std::shared_ptr<OpenRecording> KeepOpen(const std::string& path,
                                          std::shared_ptr<OpenRecording> open);

  FileSystem* fs_;
  std::map<std::string, std::shared_ptr<const HistoryFileIndex>> finished_;
  std::list<std::pair<std::string, std::shared_ptr<OpenRecording>>> open_;  // newest first
};

}  // namespace rollrig::recording
