// A full check of an MCAP file, the one `rigctl recover` and rigd's start-up finalizing
// rely on: every record of the data section is walked with bounds checks; every chunk is
// decompressed, CRC-checked and its records bounds-checked; the message indexes after each
// chunk are compared with its messages; the summary (CRC, chunk indexes, statistics,
// metadata and attachment indexes, summary offsets), Data End and the Footer are compared
// with what the data section holds. It says what is intact and what is damaged, with byte
// offsets, so a salvage can keep the one and name the other.
//
// Reads through RandomAccessFile only (a MemoryFileSystem's file too, so a fuzzer can drive
// it on a buffer). Holds one chunk in memory at a time, plus a few bytes per record.
// Not thread-safe: one call per thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "host/recording/file_system.h"
#include "host/recording/mcap_summary.h"

namespace rollrig::recording {

// Message index entries per channel: (log_time, offset into the uncompressed records).
using MessageIndexEntries = std::map<uint16_t, std::vector<std::pair<uint64_t, uint64_t>>>;

// A whole record of the data section kept as it is (schema, channel, metadata, attachment,
// a message outside chunks, a private record).
struct McapRecordRef {
  uint64_t offset = 0;
  uint64_t length = 0;  // opcode and length prefix included
  uint8_t opcode = 0;
  uint16_t id = 0;                   // schema or channel id; a loose message's channel
  uint64_t log_time = 0;             // a loose message's
  bool from_summary = false;         // a damaged schema or channel: the summary's copy replaces it
  std::string name;                  // metadata
  mcap::AttachmentIndex attachment;  // an attachment's index fields (offsets unset)
};

// One Chunk record, as found.
struct McapChunkCheck {
  uint64_t offset = 0;
  uint64_t length = 0;        // the whole record; 0 when its length field is unusable
  bool intact = false;        // decompresses, CRC matches, records in bounds, channels known
  std::string problem;        // why it is not intact
  bool last_in_file = false;  // nothing valid follows it (a crash's torn tail)

  // The messages' time range when intact, else the header's or the summary's.
  uint64_t start_time = 0, end_time = 0;
  bool times_known = false;
  // Counted when intact; else from its message indexes (after it, or via the summary).
  uint64_t messages = 0;
  bool messages_known = false;
  std::map<uint16_t, uint64_t> channel_counts;  // intact only

  // Intact only: the header fields a chunk index needs, and whether the header's time
  // range is the messages' (a flipped bit in it is repaired, not dropped).
  std::string compression;
  uint64_t compressed_size = 0, uncompressed_size = 0;
  uint32_t uncompressed_crc = 0;
  uint64_t header_size = 0;  // bytes from the record start to the compressed records
  bool header_times_match = false;

  // The message indexes right after it: where they end, where each sits, and whether they
  // are exactly what its messages say. When not, `rebuilt` holds the right entries.
  uint64_t indexes_end = 0;
  std::map<uint16_t, uint64_t> index_offsets;
  bool indexes_match = false;
  MessageIndexEntries rebuilt;
};

struct McapProblem {
  uint64_t offset = 0;
  std::string what;
};

struct McapValidation {
  uint64_t file_size = 0;
  uint64_t header_end = 0;             // magic and Header
  std::vector<McapRecordRef> records;  // kept records of the data section, in file order
  std::vector<McapChunkCheck> chunks;  // in file order
  // Schema and Channel records (whole) by id: from the data section, then from a summary
  // that passed its CRC for ids the data section lacks.
  std::map<uint16_t, std::string> schemas, channels;
  std::vector<uint16_t> summary_only_schemas, summary_only_channels;
  bool has_footer = false;
  bool summary_intact = false;        // present, CRC matches, every record well formed
  std::vector<McapProblem> problems;  // empty: the file is valid

  bool valid() const { return problems.empty(); }
  // The problems, one per line ("byte N: what").
  std::string ProblemsText(size_t max_lines = 20) const;
};

// Checks the file. Errors: it is not an MCAP file (no magic and Header) or cannot be read;
// everything else is a problem in the result.
absl::StatusOr<McapValidation> ValidateMcap(const RandomAccessFile* file);

}  // namespace rollrig::recording
