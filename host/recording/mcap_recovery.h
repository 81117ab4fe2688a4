// Finalizes or salvages a recording: the one implementation behind `rigctl recover`, rigd's
// start-up finalizing of NAME.mcap.part files and the recorder's own finalizing after a
// write failed.
//
// The file is first checked in full (ValidateMcap: every chunk decompressed and
// CRC-checked, records bounds-checked, message indexes, chunk indexes, statistics, summary
// and footer compared with the data). Then:
//  - a valid finished file is left untouched ("already complete", validated);
//  - a crash's NAME.mcap.part whose damage is all at its end (torn tail, a last chunk that
//    fails its CRC, missing indexes or summary) is finalized in place: the torn tail is cut
//    and Data End, the summary, Footer and magic are appended (no second copy: this must
//    work on a nearly full disk);
//  - any other damaged file is rewritten with every intact chunk, schema, channel, metadata
//    record, attachment and message outside chunks kept, each damaged chunk dropped and
//    reported (offset, time range, messages lost), message indexes and the summary
//    regenerated. The new file is written beside it, synced, validated, and renamed over
//    it; the damaged original is kept as FINAL.damaged; the directory is synced.
// The result always passes ValidateMcap before OK is returned. Nothing is changed when
// nothing can be salvaged (every chunk damaged): DATA_LOSS saying so.
//
// Every file operation goes through the FileSystem seam (a MemoryFileSystem drives it on a
// buffer, e.g. from a fuzzer; the fault-injecting one tests failures). Not thread-safe for
// the same path.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "host/recording/file_system.h"

namespace rollrig::recording {

// A chunk left out of the result.
struct DroppedChunk {
  uint64_t offset = 0;  // of the Chunk record in the original
  uint64_t start_time = 0, end_time = 0;
  bool times_known = false;
  uint64_t messages = 0;
  bool messages_known = false;
  std::string reason;
};

struct RecoveryReport {
  uint64_t bytes_before = 0;
  uint64_t bytes_kept = 0;     // bytes of the original carried into the result
  uint64_t bytes_dropped = 0;  // bytes_before - bytes_kept (damage, torn tail, old summary)
  uint64_t chunks_kept = 0;
  uint64_t chunks_dropped = 0;  // damaged or cut off
  uint64_t messages_kept = 0;
  uint64_t last_log_time = 0;  // of the last message kept (Unix-epoch ns)
  bool was_complete = false;   // the file was valid and finished: left untouched
  bool rewritten = false;      // written anew beside it (damage before its end)
  bool validated = false;      // the result passed ValidateMcap
  std::vector<DroppedChunk> dropped;
  std::vector<std::string> problems;  // what the check found ("byte N: what")
  std::string damaged_copy;           // where the damaged original was kept, if it was
  std::string ToString() const;       // for people; first line a summary
};

// Checks `part_path` and finalizes or salvages it as above; the result ends at
// `final_path` (== `part_path`: in place, keeping the original as FINAL.damaged when it
// must be rewritten).
absl::StatusOr<RecoveryReport> FinalizeRecording(FileSystem* fs, const std::string& part_path,
                                                 const std::string& final_path);

}  // namespace rollrig::recording
