// Writes MCAP files (https://mcap.dev spec, written from the specification) with protobuf
// messages, built for crash safety: Header, schemas, channels and metadata first and
// synced; messages in zstd chunks with a non-zero CRC, each followed by its message
// indexes and an fdatasync; on Finish: Data End, the summary (schemas, channels,
// statistics, chunk indexes, metadata indexes, summary offsets), Footer and magic.
// A file cut short anywhere is recoverable by FinalizeRecording (mcap_recovery.h).
//
// Chunk groups: each channel belongs to a group and every chunk holds one group only, so
// a low-rate overview can be read across a day without touching the raw samples.
//
// Not thread-safe: one writer thread. Allocates per chunk, not per message (buffers are
// reused).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "host/recording/file_system.h"

namespace google::protobuf {
class Descriptor;
}  // namespace google::protobuf

namespace rollrig::recording {

struct McapWriterOptions {
  std::string profile = "rollrig";              // Header.profile
  std::string library = "rollrig";              // Header.library
  uint64_t chunk_max_bytes = 1 << 20;           // uncompressed; a chunk closes at this size
  int64_t chunk_max_duration_ns = 500'000'000;  // or when its log times span this long
  // Per chunk group, a span other than chunk_max_duration_ns (e.g. a low-rate overview
  // whose chunks would otherwise hold a handful of messages each).
  std::map<int, int64_t> group_chunk_max_duration_ns;
  int zstd_level = 1;           // 0 = no compression
  bool sync_each_chunk = true;  // fdatasync after each chunk + its indexes
};

class McapWriter {
 public:
  McapWriter(std::unique_ptr<WritableFile> file, McapWriterOptions options);
  ~McapWriter();

  // Writes magic and Header. Call first.
  absl::Status Open();
  // A protobuf schema: `name` the full message name, `data` a serialized
  // FileDescriptorSet with the file and its imports (see ProtobufSchemaData). Returns its id.
  absl::StatusOr<uint16_t> AddSchema(const std::string& name, const std::string& encoding,
                                     const std::string& data);
  // A channel on `topic` for messages of `schema_id`, in chunk group `group` (0 default).
  absl::StatusOr<uint16_t> AddChannel(const std::string& topic, uint16_t schema_id,
                                      const std::string& message_encoding, int group = 0,
                                      const std::map<std::string, std::string>& metadata = {});
  // A Metadata record (outside chunks), synced at the next chunk close or Sync().
  absl::Status WriteMetadata(const std::string& name,
                             const std::map<std::string, std::string>& metadata);
  // Buffers one message in its group's open chunk; closes the chunk when it is full or
  // spans chunk_max_duration_ns. log_time and publish_time in Unix-epoch ns.
  absl::Status WriteMessage(uint16_t channel_id, uint32_t sequence, uint64_t log_time,
                            uint64_t publish_time, const uint8_t* data, size_t size);
  // Closes every open chunk older than chunk_max_duration_ns at `now_ns` (call it
  // periodically: a quiet channel still reaches the disk within the bound).
  absl::Status CloseStaleChunks(uint64_t now_ns);
  // Closes all open chunks (with their indexes) and syncs.
  absl::Status Flush();
  // Flush, then Data End, summary, Footer, magic; syncs and closes the file.
  absl::Status Finish();

  uint64_t bytes_written() const;
  uint64_t message_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The serialized FileDescriptorSet for `descriptor`'s file and all its imports,
// dependencies first: what a protobuf Schema record holds.
std::string ProtobufSchemaData(const google::protobuf::Descriptor* descriptor);

}  // namespace rollrig::recording
