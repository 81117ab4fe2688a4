// Reads MCAP files written by McapWriter or anyone else: the summary (via the Footer), or,
// for a file without one, a bounds-checked scan of the data section. Every record is
// length-checked; unknown opcodes and unknown trailing bytes of known records are
// skipped; chunk CRCs are verified. A corrupt file gives a clear error (offset and what
// was wrong), never a crash.
//
// Not thread-safe; one reader per thread (the file may be shared).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "host/recording/file_system.h"

namespace rollrig::recording {

struct McapSchema {
  uint16_t id = 0;
  std::string name, encoding, data;
};

struct McapChannel {
  uint16_t id = 0;
  uint16_t schema_id = 0;
  std::string topic, message_encoding;
  std::map<std::string, std::string> metadata;
};

struct McapMessage {
  uint16_t channel_id = 0;
  uint32_t sequence = 0;
  uint64_t log_time = 0;
  uint64_t publish_time = 0;
  std::string data;
};

struct McapMetadata {
  std::string name;
  std::map<std::string, std::string> metadata;
};

struct McapStatistics {
  uint64_t message_count = 0;
  uint64_t chunk_count = 0;
  uint64_t message_start_time = 0;
  uint64_t message_end_time = 0;
  std::map<uint16_t, uint64_t> channel_message_counts;
};

struct McapReadOptions {
  std::vector<std::string> topics;  // empty = all
  uint64_t start_time = 0;          // log_time >= start_time
  uint64_t end_time = UINT64_MAX;   // log_time < end_time
};

class McapReader {
 public:
  // Opens and reads the summary (or scans a file that has none). `file` must outlive it.
  static absl::StatusOr<std::unique_ptr<McapReader>> Open(const RandomAccessFile* file);

  const std::map<uint16_t, McapSchema>& schemas() const;
  const std::map<uint16_t, McapChannel>& channels() const;
  const std::vector<McapMetadata>& metadata() const;
  const McapStatistics& statistics() const;
  bool has_summary() const;  // false: the file was scanned (no footer / summary)

  // Calls `on_message` for every message matching `options`, in log-time order within
  // each chunk and chunk-index order across chunks (chunks whose time range cannot match
  // are not read). Stops early, returning OK, if on_message returns false. Errors: a chunk
  // whose CRC does not match (DATA_LOSS naming its offset), a malformed record.
  absl::Status ReadMessages(const McapReadOptions& options,
                            const std::function<bool(const McapMessage&)>& on_message) const;

 private:
  McapReader() = default;
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace rollrig::recording
