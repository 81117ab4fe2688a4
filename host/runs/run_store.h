// Where rigd keeps its runs: one JSON file per run (<id>.run.json, replaced atomically)
// and one line per completed cycle (<id>.cycles.jsonl), in the runs directory. The
// directory is locked while a rigd uses it: one rigd per runs directory.
//
// Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::host {

// $XDG_DATA_HOME/rollrig/runs, or ~/.local/share/rollrig/runs.
std::string DefaultRunsDir();

class RunStore {
 public:
  // Creates the directory if needed and locks it. FAILED_PRECONDITION if another rigd
  // holds it, naming that rigd's pid; other errors name the path.
  static absl::StatusOr<std::unique_ptr<RunStore>> Open(const std::string& dir);
  ~RunStore();

  // Writes the run's file atomically (temporary file, fsync, rename, directory fsync).
  absl::Status Save(const rollrig::v1::RunInfo& run);
  // Appends one completed cycle's statistics.
  absl::Status AppendCycle(const std::string& run_id, const rollrig::v1::CycleStats& cycle);
  absl::StatusOr<rollrig::v1::RunInfo> Load(const std::string& run_id) const;
  // Every run in the directory, newest first. Unreadable files are skipped and named in
  // `problems` (if given); they are never deleted.
  std::vector<rollrig::v1::RunInfo> LoadAll(std::vector<std::string>* problems = nullptr) const;
  absl::StatusOr<std::vector<rollrig::v1::CycleStats>> LoadCycles(const std::string& run_id) const;
  // When the run's file was last written (Unix ns; 0 if there is none): an active run's
  // record is saved each second, so this is when a run a crash ended was last known going.
  int64_t SavedAtNs(const std::string& run_id) const;
  const std::string& dir() const { return dir_; }

 private:
  RunStore(std::string dir, int lock_fd);
  std::string RunPath(const std::string& id) const;

  const std::string dir_;
  const int lock_fd_;
  mutable std::mutex mu_;
};

}  // namespace rollrig::host
