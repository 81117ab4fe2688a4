// The end of an MCAP file, shared by McapWriter::Finish and FinalizeRecording: Data End,
// the summary section (schemas, channels, statistics, chunk indexes, metadata and
// attachment indexes), one Summary Offset per group, the Footer with the summary CRC, and
// the closing magic.
// Internal to rollrig_recording.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "host/recording/mcap_format.h"

namespace rollrig::recording::mcap {

struct MetadataIndex {
  uint64_t offset = 0;
  uint64_t length = 0;
  std::string name;
};

// An Attachment Index record's fields.
struct AttachmentIndex {
  uint64_t offset = 0;
  uint64_t length = 0;
  uint64_t log_time = 0;
  uint64_t create_time = 0;
  uint64_t data_size = 0;
  std::string name;
  std::string media_type;
};

struct SummaryContent {
  std::vector<std::string> schema_records;   // whole records, as in the data section
  std::vector<std::string> channel_records;  // whole records
  std::vector<ChunkIndex> chunk_indexes;
  std::vector<MetadataIndex> metadata_indexes;
  std::vector<AttachmentIndex> attachment_indexes;
  // Statistics.
  uint64_t message_count = 0;
  uint64_t message_start_time = 0;  // 0 when there are no messages
  uint64_t message_end_time = 0;
  std::map<uint16_t, uint64_t> channel_message_counts;
};

// Appends the tail to `out`; its first byte lands at file offset `data_end_offset`.
// `data_section_crc` covers the file from its first byte up to Data End (0 = unknown).
void AppendFileTail(const SummaryContent& summary, uint64_t data_end_offset,
                    uint32_t data_section_crc, std::string* out);

}  // namespace rollrig::recording::mcap
