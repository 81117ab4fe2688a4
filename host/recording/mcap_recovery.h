// Finalizes a recording that was cut short (a crash, power cut or full disk left a
// NAME.mcap.part without summary): scans its records with bounds checks, keeps every
// complete chunk whose CRC matches (rebuilding missing message indexes), drops the torn
// tail and a last chunk that fails its CRC, and appends Data End, the summary, Footer and
// magic. The result passes any MCAP reader. Idempotent on an already finished file.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "host/recording/file_system.h"

namespace rollrig::recording {

struct RecoveryReport {
  uint64_t bytes_before = 0;
  uint64_t bytes_kept = 0;     // the valid prefix kept
  uint64_t bytes_dropped = 0;  // the torn tail dropped
  uint64_t chunks_kept = 0;
  uint64_t chunks_dropped = 0;  // CRC failures or cut off
  uint64_t messages_kept = 0;
  uint64_t last_log_time = 0;    // of the last message kept (Unix-epoch ns)
  bool was_complete = false;     // the file already had a valid summary and footer
  std::string ToString() const;  // one line for people
};

// Finalizes `part_path` in place, then renames it to `final_path` (and syncs the
// directory). `final_path` == `part_path` finalizes without renaming.
absl::StatusOr<RecoveryReport> FinalizeRecording(FileSystem* fs, const std::string& part_path,
                                                 const std::string& final_path);

}  // namespace rollrig::recording
