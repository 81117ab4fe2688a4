#include "host/recording/mcap_recovery.h"

#include <zstd.h>

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "host/recording/mcap_format.h"
#include "host/recording/mcap_reader.h"
#include "host/recording/mcap_summary.h"

namespace rollrig::recording {
namespace {

using mcap::ByteReader;

// A chunk found by the scan, with what its message indexes say.
struct ScannedChunk {
  mcap::ChunkIndex index;
  std::map<uint16_t, uint64_t> counts;  // messages per channel
  bool indexed = false;                 // message indexes followed it
};

// A record kept for the summary, with its offset (to drop it with a dropped chunk).
struct KeptRecord {
  uint64_t offset;
  std::string bytes;
};

struct ScanResult {
  std::vector<KeptRecord> schemas, channels;
  std::vector<mcap::MetadataIndex> metadata;
  std::vector<ScannedChunk> chunks;
  std::set<uint16_t> channel_ids;
  uint64_t valid_end = 0;              // end of the last valid record
  bool last_chunk_index_open = false;  // the scan stopped within the last chunk's indexes
  uint64_t chunks_cut_off = 0;         // a chunk record running past the end
  // Messages outside chunks (other writers): offset, channel, log time.
  struct LooseMessage {
    uint64_t offset;
    uint16_t channel;
    uint64_t log_time;
  };
  std::vector<LooseMessage> loose_messages;
};

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

class Scanner {
 public:
  Scanner(const RandomAccessFile* file, std::string path)
      : file_(file), path_(std::move(path)), size_(file->size()) {}

  absl::Status ReadAt(uint64_t offset, uint64_t n, std::string* out) {
    out->resize(n);
    auto got = file_->Read(offset, reinterpret_cast<uint8_t*>(out->data()), n);
    if (!got.ok()) return got.status();
    if (*got != n) return absl::DataLossError(absl::StrCat("short read of ", path_));
    return absl::OkStatus();
  }

  // Scans the data section: stops at the end, at the first record that runs past it or is
  // invalid, or at Data End.
  absl::StatusOr<ScanResult> Scan();

  // Decompresses and CRC-checks the chunk; on success fills `entries` per channel.
  bool CheckChunk(const mcap::ChunkIndex& chunk,
                  std::map<uint16_t, std::vector<std::pair<uint64_t, uint64_t>>>* entries);

 private:
  const RandomAccessFile* file_;
  std::string path_;
  uint64_t size_;
  std::string buffer_, uncompressed_;
};

absl::StatusOr<ScanResult> Scanner::Scan() {
  ScanResult result;
  std::string head;
  const uint64_t header_at = mcap::kMagicSize;
  if (size_ < header_at + mcap::kRecordHeaderSize) {
    return absl::DataLossError(
        absl::StrCat(path_, " is not an MCAP recording: ", size_, " bytes, no header"));
  }
  if (absl::Status s = ReadAt(0, header_at + mcap::kRecordHeaderSize, &head); !s.ok()) return s;
  uint64_t header_length;
  std::memcpy(&header_length, head.data() + header_at + 1, 8);
  if (std::memcmp(head.data(), mcap::kMagic, mcap::kMagicSize) != 0 ||
      static_cast<uint8_t>(head[header_at]) != mcap::kHeader ||
      header_length > size_ - header_at - mcap::kRecordHeaderSize) {
    return absl::DataLossError(
        absl::StrCat(path_, " is not an MCAP recording (no magic and Header)"));
  }
  uint64_t pos = header_at + mcap::kRecordHeaderSize + header_length;
  result.valid_end = pos;
  bool index_group_open = false;

  while (size_ - pos >= mcap::kRecordHeaderSize) {
    if (absl::Status s = ReadAt(pos, mcap::kRecordHeaderSize, &head); !s.ok()) return s;
    const uint8_t opcode = static_cast<uint8_t>(head[0]);
    uint64_t length;
    std::memcpy(&length, head.data() + 1, 8);
    const uint64_t content_at = pos + mcap::kRecordHeaderSize;
    if (length > size_ - content_at) {
      if (opcode == mcap::kChunk) ++result.chunks_cut_off;
      break;
    }
    bool valid = true;
    switch (opcode) {
      case mcap::kSchema:
      case mcap::kChannel:
      case mcap::kMetadata: {
        if (absl::Status s = ReadAt(pos, mcap::kRecordHeaderSize + length, &buffer_); !s.ok())
          return s;
        ByteReader r(reinterpret_cast<const uint8_t*>(buffer_.data()) + mcap::kRecordHeaderSize,
                     length);
        if (opcode == mcap::kSchema) {
          r.U16();
          r.String();
          r.String();
          const uint8_t* data;
          size_t n;
          r.Bytes32(&data, &n);
          if ((valid = r.ok())) result.schemas.push_back({pos, buffer_});
        } else if (opcode == mcap::kChannel) {
          uint16_t id = r.U16();
          r.U16();
          r.String();
          r.String();
          r.StringMap();
          if ((valid = r.ok())) {
            result.channels.push_back({pos, buffer_});
            result.channel_ids.insert(id);
          }
        } else {
          std::string name = r.String();
          r.StringMap();
          if ((valid = r.ok())) {
            result.metadata.push_back({pos, mcap::kRecordHeaderSize + length, std::move(name)});
          }
        }
        break;
      }
      case mcap::kChunk: {
        // The fixed fields and the compression name; the records are not read here.
        if (absl::Status s = ReadAt(content_at, std::min<uint64_t>(length, 64), &buffer_);
            !s.ok()) {
          return s;
        }
        ByteReader r(reinterpret_cast<const uint8_t*>(buffer_.data()), buffer_.size());
        ScannedChunk chunk;
        chunk.index.message_start_time = r.U64();
        chunk.index.message_end_time = r.U64();
        chunk.index.uncompressed_size = r.U64();
        r.U32();  // CRC, checked for the last chunk only
        chunk.index.compression = r.String();
        chunk.index.compressed_size = r.U64();
        const uint64_t fixed = 8 + 8 + 8 + 4 + 4 + chunk.index.compression.size() + 8;
        valid = r.ok() && chunk.index.message_start_time <= chunk.index.message_end_time &&
                fixed + chunk.index.compressed_size == length &&
                (chunk.index.compression.empty() || chunk.index.compression == "zstd" ||
                 chunk.index.compression == "lz4");
        if (valid) {
          chunk.index.chunk_start_offset = pos;
          chunk.index.chunk_length = mcap::kRecordHeaderSize + length;
          result.chunks.push_back(std::move(chunk));
        }
        break;
      }
      case mcap::kMessageIndex: {
        if (!index_group_open || length < 6) {
          valid = false;
          break;
        }
        if (absl::Status s = ReadAt(content_at, 6, &buffer_); !s.ok()) return s;
        ByteReader r(reinterpret_cast<const uint8_t*>(buffer_.data()), buffer_.size());
        uint16_t channel = r.U16();
        uint32_t entries_size = r.U32();
        ScannedChunk& chunk = result.chunks.back();
        valid = entries_size == length - 6 && entries_size % 16 == 0 &&
                result.channel_ids.count(channel) > 0 &&
                chunk.index.message_index_offsets.count(channel) == 0;
        if (valid) {
          chunk.indexed = true;
          chunk.counts[channel] = entries_size / 16;
          chunk.index.message_index_offsets[channel] = pos;
          chunk.index.message_index_length += mcap::kRecordHeaderSize + length;
        }
        break;
      }
      case mcap::kMessage: {
        if (absl::Status s = ReadAt(content_at, std::min<uint64_t>(length, 22), &buffer_);
            !s.ok()) {
          return s;
        }
        ByteReader r(reinterpret_cast<const uint8_t*>(buffer_.data()), buffer_.size());
        uint16_t channel = r.U16();
        r.U32();
        uint64_t log_time = r.U64();
        r.U64();
        valid = r.ok() && result.channel_ids.count(channel) > 0;
        if (valid) result.loose_messages.push_back({pos, channel, log_time});
        break;
      }
      case mcap::kAttachment:
        break;  // kept, not indexed
      default:
        // Data End ends the data section (a torn summary follows); private records are
        // kept; anything else does not belong here.
        valid = opcode >= 0x80;
        break;
    }
    if (!valid) break;
    index_group_open =
        opcode == mcap::kChunk || (opcode == mcap::kMessageIndex && index_group_open);
    pos = content_at + length;
    result.valid_end = pos;
  }
  result.last_chunk_index_open = index_group_open;
  return result;
}

bool Scanner::CheckChunk(const mcap::ChunkIndex& chunk,
                         std::map<uint16_t, std::vector<std::pair<uint64_t, uint64_t>>>* entries) {
  if (chunk.chunk_length > (uint64_t{1} << 32) || chunk.uncompressed_size > (uint64_t{1} << 32)) {
    return false;
  }
  if (!ReadAt(chunk.chunk_start_offset, chunk.chunk_length, &buffer_).ok()) return false;
  mcap::ChunkHeader header;
  if (!mcap::ParseChunkHeader(
          reinterpret_cast<const uint8_t*>(buffer_.data()) + mcap::kRecordHeaderSize,
          buffer_.size() - mcap::kRecordHeaderSize, &header)) {
    return false;
  }
  const uint8_t* records = header.records;
  size_t records_size = header.records_size;
  if (header.compression == "zstd") {
    if (!mcap::ZstdCanHold(header.records, header.records_size, header.uncompressed_size)) {
      return false;  // a damaged size: never allocate what it claims
    }
    uncompressed_.resize(header.uncompressed_size);
    size_t got = ZSTD_decompress(uncompressed_.data(), uncompressed_.size(), header.records,
                                 header.records_size);
    if (ZSTD_isError(got) || got != header.uncompressed_size) return false;
    records = reinterpret_cast<const uint8_t*>(uncompressed_.data());
    records_size = uncompressed_.size();
  } else if (!header.compression.empty() || records_size != header.uncompressed_size) {
    return false;  // lz4 cannot be checked here: treated as damaged
  }
  if (header.uncompressed_crc != 0 &&
      mcap::Crc32Update(0, records, records_size) != header.uncompressed_crc) {
    return false;
  }
  entries->clear();
  ByteReader r(records, records_size);
  while (r.remaining() > 0) {
    uint64_t at = r.position();
    uint8_t opcode = r.U8();
    const uint8_t* content;
    size_t n;
    if (!r.Bytes64(&content, &n)) return false;
    if (opcode != mcap::kMessage) continue;
    ByteReader m(content, n);
    uint16_t channel = m.U16();
    m.U32();
    uint64_t log_time = m.U64();
    if (!m.ok()) return false;
    (*entries)[channel].emplace_back(log_time, at);
  }
  return true;
}

absl::StatusOr<RecoveryReport> ReportForCompleteFile(const RandomAccessFile* file) {
  auto reader = McapReader::Open(file);
  if (!reader.ok() || !(*reader)->has_summary()) return absl::NotFoundError("no summary");
  RecoveryReport report;
  report.bytes_before = report.bytes_kept = file->size();
  report.chunks_kept = (*reader)->statistics().chunk_count;
  report.messages_kept = (*reader)->statistics().message_count;
  report.last_log_time = (*reader)->statistics().message_end_time;
  report.was_complete = true;
  return report;
}

absl::Status RenameIntoPlace(FileSystem* fs, const std::string& part_path,
                             const std::string& final_path) {
  if (final_path != part_path) {
    if (absl::Status s = fs->Rename(part_path, final_path); !s.ok()) return s;
  }
  return fs->SyncDir(DirName(final_path));
}

}  // namespace

std::string RecoveryReport::ToString() const {
  if (was_complete) {
    return absl::StrCat("already complete: ", bytes_kept, " bytes, ", chunks_kept, " chunks, ",
                        messages_kept, " messages");
  }
  std::string last =
      messages_kept == 0
          ? std::string("no messages")
          : absl::StrCat("last message at ",
                         absl::FormatTime("%Y-%m-%d %H:%M:%E3S UTC",
                                          absl::FromUnixNanos(static_cast<int64_t>(last_log_time)),
                                          absl::UTCTimeZone()));
  return absl::StrCat("kept ", bytes_kept, " of ", bytes_before, " bytes (dropped ", bytes_dropped,
                      "), ", chunks_kept, " chunks (", chunks_dropped, " dropped), ", messages_kept,
                      " messages, ", last);
}

absl::StatusOr<RecoveryReport> FinalizeRecording(FileSystem* fs, const std::string& part_path,
                                                 const std::string& final_path) {
  auto file = fs->OpenForRead(part_path);
  if (!file.ok()) return file.status();
  if (auto complete = ReportForCompleteFile(file->get()); complete.ok()) {
    file->reset();
    if (absl::Status s = RenameIntoPlace(fs, part_path, final_path); !s.ok()) return s;
    return complete;
  }

  Scanner scanner(file->get(), part_path);
  auto scanned = scanner.Scan();
  if (!scanned.ok()) return scanned.status();
  ScanResult& scan = *scanned;
  RecoveryReport report;
  report.bytes_before = (*file)->size();
  report.chunks_dropped = scan.chunks_cut_off;
  uint64_t keep = scan.valid_end;
  std::string rebuilt_indexes;

  // The last chunk is the one a crash can have damaged: check it, and rebuild its message
  // indexes when the scan ended among them. Earlier chunks were synced before it was
  // written, so their records and indexes are trusted as they are.
  std::map<uint16_t, std::vector<std::pair<uint64_t, uint64_t>>> entries;
  if (!scan.chunks.empty()) {
    ScannedChunk& last = scan.chunks.back();
    if (!scanner.CheckChunk(last.index, &entries)) {
      keep = last.index.chunk_start_offset;
      ++report.chunks_dropped;
      scan.chunks.pop_back();
      auto after = [&](const auto& r) { return r.offset >= keep; };
      std::erase_if(scan.schemas, after);
      std::erase_if(scan.channels, after);
      std::erase_if(scan.metadata, after);
    } else if (scan.last_chunk_index_open) {
      keep = last.index.chunk_start_offset + last.index.chunk_length;
      last.index.message_index_offsets.clear();
      last.counts.clear();
      last.indexed = true;
      mcap::ByteWriter w(&rebuilt_indexes);
      for (const auto& [channel, list] : entries) {
        last.index.message_index_offsets[channel] = keep + rebuilt_indexes.size();
        last.counts[channel] = list.size();
        size_t r = w.BeginRecord(mcap::kMessageIndex);
        w.U16(channel);
        w.U32(static_cast<uint32_t>(list.size() * 16));
        for (const auto& [log_time, offset] : list) {
          w.U64(log_time);
          w.U64(offset);
        }
        w.EndRecord(r);
      }
      last.index.message_index_length = rebuilt_indexes.size();
      // Indexes already on disk and identical to the rebuilt ones stay where they are.
      std::string existing;
      if (scan.valid_end - keep == rebuilt_indexes.size() &&
          scanner.ReadAt(keep, rebuilt_indexes.size(), &existing).ok() &&
          existing == rebuilt_indexes) {
        keep = scan.valid_end;
        rebuilt_indexes.clear();
      }
    }
  }
  // A chunk another writer left without indexes is counted from its records.
  for (ScannedChunk& chunk : scan.chunks) {
    if (chunk.indexed) continue;
    if (scanner.CheckChunk(chunk.index, &entries)) {
      for (const auto& [channel, list] : entries) chunk.counts[channel] = list.size();
    }
  }

  mcap::SummaryContent summary;
  for (KeptRecord& r : scan.schemas) summary.schema_records.push_back(std::move(r.bytes));
  for (KeptRecord& r : scan.channels) summary.channel_records.push_back(std::move(r.bytes));
  summary.metadata_indexes = std::move(scan.metadata);
  for (uint16_t id : scan.channel_ids) summary.channel_message_counts[id] = 0;
  bool any = false;
  auto note_times = [&](uint64_t start, uint64_t end) {
    summary.message_start_time = any ? std::min(summary.message_start_time, start) : start;
    summary.message_end_time = any ? std::max(summary.message_end_time, end) : end;
    any = true;
  };
  for (ScannedChunk& chunk : scan.chunks) {
    uint64_t in_chunk = 0;
    for (const auto& [channel, count] : chunk.counts) {
      summary.channel_message_counts[channel] += count;
      in_chunk += count;
    }
    summary.message_count += in_chunk;
    if (in_chunk > 0) note_times(chunk.index.message_start_time, chunk.index.message_end_time);
    summary.chunk_indexes.push_back(std::move(chunk.index));
  }
  for (const auto& loose : scan.loose_messages) {
    if (loose.offset >= keep) continue;
    ++summary.channel_message_counts[loose.channel];
    ++summary.message_count;
    note_times(loose.log_time, loose.log_time);
  }

  report.bytes_kept = keep;
  report.bytes_dropped = report.bytes_before - keep;
  report.chunks_kept = summary.chunk_indexes.size();
  report.messages_kept = summary.message_count;
  report.last_log_time = summary.message_end_time;

  std::string tail = std::move(rebuilt_indexes);
  mcap::AppendFileTail(summary, keep + tail.size(), 0, &tail);
  file->reset();
  auto out = fs->ReopenTruncated(part_path, keep);
  if (!out.ok()) return out.status();
  if (absl::Status s = (*out)->Append(reinterpret_cast<const uint8_t*>(tail.data()), tail.size());
      !s.ok()) {
    return s;
  }
  if (absl::Status s = (*out)->Sync(); !s.ok()) return s;
  if (absl::Status s = (*out)->Close(); !s.ok()) return s;
  if (absl::Status s = RenameIntoPlace(fs, part_path, final_path); !s.ok()) return s;
  return report;
}

}  // namespace rollrig::recording
