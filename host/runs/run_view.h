// The runs as clients see them: newest first, the active one included, and a version
// that grows on every change (for watchers). The run thread writes it; any thread reads.
// Thread-safe (one mutex, never held while calling out).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::host {

class RunView {
 public:
  // Replaces the whole list (at start, from the store).
  void Reset(std::vector<rollrig::v1::RunInfo> runs);
  // Puts `run` in place of the run with its id, or first if it is new; it is the active
  // run while its state is active.
  void Put(const rollrig::v1::RunInfo& run);
  // Replaces the run with `run`'s id, if listed.
  void Replace(const rollrig::v1::RunInfo& run);
  // Points run `run_id` at recording `to` instead of `from`.
  void RenameRecording(const std::string& run_id, const std::string& from, const std::string& to);
  std::optional<rollrig::v1::RunInfo> Find(const std::string& id) const;

  // "" = the active run, else the newest.
  absl::StatusOr<rollrig::v1::RunInfo> Get(const std::string& id) const;
  // Without the profiles' text.
  std::vector<rollrig::v1::RunInfo> List() const;
  std::string ActiveRunId() const;
  uint64_t version() const;

 private:
  mutable std::mutex mu_;
  std::vector<rollrig::v1::RunInfo> runs_;  // newest first; the active one included
  std::string active_id_;
  uint64_t version_ = 0;
};

}  // namespace rollrig::host
