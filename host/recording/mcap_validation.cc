#include "host/recording/mcap_validation.h"

#include <zstd.h>

#include <algorithm>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "host/recording/mcap_format.h"

namespace rollrig::recording {
namespace {

using mcap::ByteReader;

// Records larger than this are refused rather than allocated.
constexpr uint64_t kMaxRecordBytes = uint64_t{1} << 32;
constexpr uint64_t kMessageIndexEntrySize = 16;

const uint8_t* Bytes(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

bool BelongsInDataSection(uint8_t opcode) {
  switch (opcode) {
    case mcap::kSchema:
    case mcap::kChannel:
    case mcap::kMessage:
    case mcap::kChunk:
    case mcap::kMessageIndex:
    case mcap::kAttachment:
    case mcap::kMetadata:
    case mcap::kDataEnd:
      return true;
    default:
      return opcode >= 0x80;  // private records; 0x10-0x7F is no record of this version
  }
}

std::string Hex(uint8_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  return std::string("0x") + kDigits[v >> 4] + kDigits[v & 15];
}

// What the summary section says, as read.
struct SummaryView {
  bool present = false;  // a Footer pointing at a summary inside the file
  uint64_t summary_start = 0;
  bool have_statistics = false;
  uint64_t message_count = 0, message_start_time = 0, message_end_time = 0;
  uint32_t chunk_count = 0, metadata_count = 0, attachment_count = 0;
  std::map<uint16_t, uint64_t> channel_counts;
  std::map<uint64_t, mcap::ChunkIndex> chunk_indexes;  // by chunk offset
  std::vector<mcap::MetadataIndex> metadata_indexes;
  std::vector<mcap::AttachmentIndex> attachment_indexes;
  std::map<uint16_t, std::string> schemas, channels;  // whole records
};

// The message index group after a chunk, while it is being read.
struct IndexGroup {
  McapChunkCheck* chunk = nullptr;
  MessageIndexEntries expected;  // from the chunk's messages (intact chunks)
  std::set<uint16_t> seen;
  bool mismatch = false;
};

class Validator {
 public:
  explicit Validator(const RandomAccessFile* file) : file_(file), size_(file->size()) {}
  absl::StatusOr<McapValidation> Run();

 private:
  absl::Status ReadAt(uint64_t offset, uint64_t n, std::string* out) const;
  void Problem(uint64_t offset, std::string what) {
    result_.problems.push_back({offset, std::move(what)});
  }
  absl::Status ReadHeader();
  absl::Status ReadFooterAndSummary();
  void ParseSummary(const std::string& summary, bool crc_ok);
  bool ReadSummaryRecord(uint64_t at, uint8_t opcode, const uint8_t* content, size_t n,
                         const std::string& summary);
  bool KeepSummarySchemaOrChannel(uint8_t opcode, const uint8_t* content, size_t n);
  bool ReadSummaryStatistics(const uint8_t* content, size_t n);
  bool ReadSummaryChunkIndex(const uint8_t* content, size_t n);
  bool ReadSummaryMetadataIndex(const uint8_t* content, size_t n);
  bool ReadSummaryAttachmentIndex(const uint8_t* content, size_t n);
  bool CheckSummaryOffset(uint64_t at, const uint8_t* content, size_t n,
                          const std::string& summary);
  absl::Status ScanDataSection(uint64_t limit);
  // What is wrong with the framing of the record at `pos` ("" if nothing); reads its
  // opcode and length.
  absl::StatusOr<std::string> FramingProblem(uint64_t pos, uint64_t limit,
                                             std::optional<uint64_t> next_start, uint8_t* opcode,
                                             uint64_t* length) const;
  void NoteUnframedChunk(uint64_t pos, uint64_t limit);
  void KeepRecord(uint64_t pos, uint8_t opcode, const std::string& record);
  void CheckChunk(uint64_t offset, const std::string& record, McapChunkCheck* chunk,
                  MessageIndexEntries* entries);
  void ReadMessageIndex(uint64_t pos, const std::string& record);
  void CloseIndexGroup();
  std::optional<uint64_t> NextRecordStart(uint64_t after) const;
  void PreferSummaryCopies();
  void CheckChannelsKnown();
  void FillDroppedChunksFromSummary();
  void CompareChunkIndexes();
  void CompareRecordIndexes();
  void CompareStatistics();

  const RandomAccessFile* file_;
  const uint64_t size_;
  McapValidation result_;
  SummaryView summary_;
  // Record starts the summary names: where a scan resumes after a damaged record, and (with
  // a summary that passed its CRC) a bound no valid record runs across.
  std::set<uint64_t> record_starts_;
  bool record_starts_trusted_ = false;
  std::set<uint16_t> channels_in_chunks_;
  std::optional<IndexGroup> group_;
  std::optional<uint64_t> data_end_at_;
  uint32_t data_end_crc_ = 0;
  uint32_t data_crc_ = 0;
  bool data_crc_contiguous_ = true;
  ZSTD_DCtx* zstd_ = nullptr;
  std::string uncompressed_;
};

absl::Status Validator::ReadAt(uint64_t offset, uint64_t n, std::string* out) const {
  if (offset > size_ || n > size_ - offset) {
    return absl::DataLossError(absl::StrCat(n, " bytes at ", offset, " run past the end"));
  }
  out->resize(n);
  auto got = file_->Read(offset, reinterpret_cast<uint8_t*>(out->data()), n);
  if (!got.ok()) return got.status();
  if (*got != n) return absl::DataLossError(absl::StrCat("short read at byte ", offset));
  return absl::OkStatus();
}

absl::Status Validator::ReadHeader() {
  const uint64_t at = mcap::kMagicSize;
  std::string head;
  if (size_ < at + mcap::kRecordHeaderSize ||
      !ReadAt(0, at + mcap::kRecordHeaderSize, &head).ok() ||
      std::memcmp(head.data(), mcap::kMagic, mcap::kMagicSize) != 0 ||
      static_cast<uint8_t>(head[at]) != mcap::kHeader) {
    return absl::DataLossError("not an MCAP recording (no magic and Header at its start)");
  }
  uint64_t length;
  std::memcpy(&length, head.data() + at + 1, 8);
  std::string content;
  if (length > size_ - at - mcap::kRecordHeaderSize ||
      !ReadAt(at + mcap::kRecordHeaderSize, length, &content).ok()) {
    return absl::DataLossError("not an MCAP recording (its Header runs past the end)");
  }
  ByteReader r(Bytes(content), content.size());
  r.String();  // profile
  r.String();  // library
  if (!r.ok()) return absl::DataLossError("not an MCAP recording (malformed Header)");
  result_.header_end = at + mcap::kRecordHeaderSize + length;
  data_crc_ = mcap::Crc32Update(0, head.data(), head.size());
  data_crc_ = mcap::Crc32Update(data_crc_, content.data(), content.size());
  return absl::OkStatus();
}

absl::Status Validator::ReadFooterAndSummary() {
  const uint64_t tail_size = mcap::kFooterRecordSize + mcap::kMagicSize;
  if (size_ < result_.header_end + tail_size) return absl::OkStatus();
  const uint64_t footer_at = size_ - tail_size;
  std::string tail;
  if (absl::Status s = ReadAt(footer_at, tail_size, &tail); !s.ok()) return s;
  ByteReader r(Bytes(tail), tail.size());
  const uint8_t opcode = r.U8();
  const uint64_t length = r.U64();
  mcap::Footer footer;
  footer.summary_start = r.U64();
  footer.summary_offset_start = r.U64();
  footer.summary_crc = r.U32();
  if (opcode != mcap::kFooter || length != mcap::kFooterContentSize ||
      std::memcmp(tail.data() + mcap::kFooterRecordSize, mcap::kMagic, mcap::kMagicSize) != 0) {
    return absl::OkStatus();
  }
  result_.has_footer = true;
  if (footer.summary_start == 0) {
    Problem(footer_at, "the Footer points at no summary");
    return absl::OkStatus();
  }
  if (footer.summary_start < result_.header_end + mcap::kDataEndRecordSize ||
      footer.summary_start > footer_at) {
    Problem(footer_at, absl::StrCat("the Footer's summary start ", footer.summary_start,
                                    " is outside the file"));
    return absl::OkStatus();
  }
  if (footer.summary_offset_start != 0 && (footer.summary_offset_start < footer.summary_start ||
                                           footer.summary_offset_start > footer_at)) {
    Problem(footer_at, absl::StrCat("the Footer's summary offset start ",
                                    footer.summary_offset_start, " is outside the summary"));
  }
  summary_.present = true;
  summary_.summary_start = footer.summary_start;
  std::string summary;
  if (absl::Status s = ReadAt(footer.summary_start, footer_at - footer.summary_start, &summary);
      !s.ok()) {
    return s;
  }
  bool crc_ok = true;
  if (footer.summary_crc != 0) {
    uint32_t crc = mcap::Crc32Update(0, summary.data(), summary.size());
    crc = mcap::Crc32Update(crc, tail.data(), mcap::kFooterRecordSize - 4);
    if (crc != footer.summary_crc) {
      crc_ok = false;
      Problem(footer.summary_start, absl::StrCat("summary CRC mismatch (stored ",
                                                 footer.summary_crc, ", computed ", crc, ")"));
    }
  }
  ParseSummary(summary, crc_ok);
  if (summary_.present) record_starts_.insert(footer.summary_start - mcap::kDataEndRecordSize);
  return absl::OkStatus();
}

void Validator::ParseSummary(const std::string& summary, bool crc_ok) {
  const uint64_t start = summary_.summary_start;
  bool well_formed = true;
  ByteReader r(Bytes(summary), summary.size());
  while (r.remaining() > 0) {
    const uint64_t at = start + r.position();
    const uint8_t opcode = r.U8();
    const uint8_t* content;
    size_t n;
    if (!r.Bytes64(&content, &n)) {
      Problem(at, "a summary record runs past the Footer");
      well_formed = false;
      break;
    }
    if (!ReadSummaryRecord(at, opcode, content, n, summary)) well_formed = false;
  }
  result_.summary_intact = crc_ok && well_formed;
  record_starts_trusted_ = result_.summary_intact;
  if (!crc_ok) {
    // A summary that fails its CRC is used only to find where records start.
    summary_.schemas.clear();
    summary_.channels.clear();
  }
}

// One summary record into summary_ and record_starts_; false (with the problem noted) when
// it is malformed or has no place in a summary.
bool Validator::ReadSummaryRecord(uint64_t at, uint8_t opcode, const uint8_t* content, size_t n,
                                  const std::string& summary) {
  bool ok = true;
  switch (opcode) {
    case mcap::kSchema:
    case mcap::kChannel:
      ok = KeepSummarySchemaOrChannel(opcode, content, n);
      break;
    case mcap::kStatistics:
      ok = ReadSummaryStatistics(content, n);
      break;
    case mcap::kChunkIndex:
      ok = ReadSummaryChunkIndex(content, n);
      break;
    case mcap::kMetadataIndex:
      ok = ReadSummaryMetadataIndex(content, n);
      break;
    case mcap::kAttachmentIndex:
      ok = ReadSummaryAttachmentIndex(content, n);
      break;
    case mcap::kSummaryOffset:
      return CheckSummaryOffset(at, content, n, summary);
    case mcap::kHeader:
    case mcap::kFooter:
    case mcap::kMessage:
    case mcap::kChunk:
    case mcap::kMessageIndex:
    case mcap::kDataEnd:
      Problem(at, absl::StrCat("a record with opcode ", Hex(opcode), " in the summary"));
      return false;
    default:
      return true;  // attachments/metadata records and private records may sit here
  }
  if (!ok) Problem(at, absl::StrCat("malformed summary record (opcode ", Hex(opcode), ")"));
  return ok;
}

// Keeps the whole record (framing included), to be preferred over a damaged data copy.
bool Validator::KeepSummarySchemaOrChannel(uint8_t opcode, const uint8_t* content, size_t n) {
  ByteReader c(content, n);
  uint16_t id = c.U16();
  std::string record(reinterpret_cast<const char*>(content) - mcap::kRecordHeaderSize,
                     mcap::kRecordHeaderSize + n);
  if (opcode == mcap::kSchema) {
    c.String();
    c.String();
    c.String();
    if (c.ok()) summary_.schemas[id] = std::move(record);
  } else {
    c.U16();
    c.String();
    c.String();
    c.StringMap();
    if (c.ok()) summary_.channels[id] = std::move(record);
  }
  return c.ok();
}

bool Validator::ReadSummaryStatistics(const uint8_t* content, size_t n) {
  ByteReader c(content, n);
  summary_.have_statistics = true;
  summary_.message_count = c.U64();
  c.U16();
  c.U32();
  summary_.attachment_count = c.U32();
  summary_.metadata_count = c.U32();
  summary_.chunk_count = c.U32();
  summary_.message_start_time = c.U64();
  summary_.message_end_time = c.U64();
  const uint8_t* counts;
  size_t counts_size;
  if (!c.Bytes32(&counts, &counts_size) || counts_size % 10 != 0) return false;
  ByteReader e(counts, counts_size);
  while (e.remaining() > 0) {
    uint16_t channel = e.U16();
    summary_.channel_counts[channel] = e.U64();
  }
  return true;
}

bool Validator::ReadSummaryChunkIndex(const uint8_t* content, size_t n) {
  mcap::ChunkIndex index;
  if (!mcap::ParseChunkIndex(content, n, &index)) return false;
  record_starts_.insert(index.chunk_start_offset);
  for (const auto& [channel, offset] : index.message_index_offsets) {
    record_starts_.insert(offset);
  }
  summary_.chunk_indexes[index.chunk_start_offset] = std::move(index);
  return true;
}

bool Validator::ReadSummaryMetadataIndex(const uint8_t* content, size_t n) {
  ByteReader c(content, n);
  mcap::MetadataIndex index;
  index.offset = c.U64();
  index.length = c.U64();
  index.name = c.String();
  if (!c.ok()) return false;
  record_starts_.insert(index.offset);
  summary_.metadata_indexes.push_back(std::move(index));
  return true;
}

bool Validator::ReadSummaryAttachmentIndex(const uint8_t* content, size_t n) {
  ByteReader c(content, n);
  mcap::AttachmentIndex index;
  index.offset = c.U64();
  index.length = c.U64();
  index.log_time = c.U64();
  index.create_time = c.U64();
  index.data_size = c.U64();
  index.name = c.String();
  index.media_type = c.String();
  if (!c.ok()) return false;
  record_starts_.insert(index.offset);
  summary_.attachment_indexes.push_back(std::move(index));
  return true;
}

// A Summary Offset must point inside the summary at a record of its group's opcode.
bool Validator::CheckSummaryOffset(uint64_t at, const uint8_t* content, size_t n,
                                   const std::string& summary) {
  const uint64_t start = summary_.summary_start;
  ByteReader c(content, n);
  const uint8_t group = c.U8();
  const uint64_t group_start = c.U64();
  const uint64_t group_length = c.U64();
  if (!c.ok() || group_start < start || group_length > summary.size() ||
      group_start - start > summary.size() - group_length || group_length == 0 ||
      static_cast<uint8_t>(summary[group_start - start]) != group) {
    Problem(at, absl::StrCat("Summary Offset for opcode ", Hex(group),
                             " does not point at such records"));
    return false;
  }
  return true;
}

std::optional<uint64_t> Validator::NextRecordStart(uint64_t after) const {
  auto it = record_starts_.upper_bound(after);
  if (it == record_starts_.end()) return std::nullopt;
  return *it;
}

void Validator::KeepRecord(uint64_t pos, uint8_t opcode, const std::string& record) {
  McapRecordRef ref;
  ref.offset = pos;
  ref.length = record.size();
  ref.opcode = opcode;
  ByteReader r(Bytes(record) + mcap::kRecordHeaderSize, record.size() - mcap::kRecordHeaderSize);
  bool ok = true;
  switch (opcode) {
    case mcap::kSchema:
      ref.id = r.U16();
      r.String();
      r.String();
      r.String();
      ok = r.ok();
      if (ok) result_.schemas.try_emplace(ref.id, record);
      break;
    case mcap::kChannel:
      ref.id = r.U16();
      r.U16();
      r.String();
      r.String();
      r.StringMap();
      ok = r.ok();
      if (ok) result_.channels.try_emplace(ref.id, record);
      break;
    case mcap::kMetadata:
      ref.name = r.String();
      r.StringMap();
      ok = r.ok();
      break;
    case mcap::kMessage:
      ref.id = r.U16();
      r.U32();
      ref.log_time = r.U64();
      r.U64();
      ok = r.ok();
      break;
    case mcap::kAttachment: {
      ref.attachment.log_time = r.U64();
      ref.attachment.create_time = r.U64();
      ref.attachment.name = r.String();
      ref.attachment.media_type = r.String();
      const uint8_t* data = nullptr;
      size_t n = 0;
      r.Bytes64(&data, &n);
      ref.attachment.data_size = n;
      const size_t crc_covers = r.position();
      const uint32_t crc = r.U32();
      ok = r.ok();
      if (ok && crc != 0 &&
          crc != mcap::Crc32Update(0, Bytes(record) + mcap::kRecordHeaderSize, crc_covers)) {
        Problem(pos, "attachment CRC mismatch: the attachment is dropped");
        return;
      }
      break;
    }
    default:
      break;  // private records are kept as they are
  }
  if (!ok) {
    Problem(pos, absl::StrCat("malformed record (opcode ", Hex(opcode), "): dropped"));
    return;
  }
  result_.records.push_back(std::move(ref));
}

void Validator::CheckChunk(uint64_t offset, const std::string& record, McapChunkCheck* chunk,
                           MessageIndexEntries* entries) {
  mcap::ChunkHeader header;
  const uint8_t* content = Bytes(record) + mcap::kRecordHeaderSize;
  if (!mcap::ParseChunkHeader(content, record.size() - mcap::kRecordHeaderSize, &header)) {
    chunk->problem = "its header is unreadable";
    return;
  }
  chunk->start_time = header.message_start_time;
  chunk->end_time = header.message_end_time;
  chunk->times_known = header.message_start_time <= header.message_end_time;
  if (header.records + header.records_size != Bytes(record) + record.size()) {
    chunk->problem = "its records' length disagrees with the record's";
    return;
  }
  const uint8_t* records = header.records;
  size_t records_size = header.records_size;
  if (header.compression == "zstd") {
    // A damaged size field must not make us allocate what it claims: zstd bounds how much
    // its input can hold.
    if (header.uncompressed_size > kMaxRecordBytes ||
        !mcap::ZstdCanHold(header.records, header.records_size, header.uncompressed_size)) {
      chunk->problem = absl::StrCat("it claims ", header.uncompressed_size,
                                    " uncompressed bytes, more than its zstd data can hold");
      return;
    }
    if (zstd_ == nullptr) zstd_ = ZSTD_createDCtx();
    uncompressed_.resize(header.uncompressed_size);
    const size_t got = ZSTD_decompressDCtx(zstd_, uncompressed_.data(), uncompressed_.size(),
                                           header.records, header.records_size);
    if (ZSTD_isError(got)) {
      chunk->problem = absl::StrCat("its zstd data is corrupt (", ZSTD_getErrorName(got), ")");
      return;
    }
    if (got != header.uncompressed_size) {
      chunk->problem = absl::StrCat("it decompresses to ", got, " bytes, its header says ",
                                    header.uncompressed_size);
      return;
    }
    records = Bytes(uncompressed_);
    records_size = uncompressed_.size();
  } else if (!header.compression.empty()) {
    chunk->problem = absl::StrCat("its compression \"", header.compression.substr(0, 16),
                                  "\" cannot be checked (rollrig reads zstd and none)");
    return;
  } else if (records_size != header.uncompressed_size) {
    chunk->problem = "its uncompressed size disagrees with its records";
    return;
  }
  if (header.uncompressed_crc != 0) {
    const uint32_t crc = mcap::Crc32Update(0, records, records_size);
    if (crc != header.uncompressed_crc) {
      chunk->problem =
          absl::StrCat("CRC mismatch (stored ", header.uncompressed_crc, ", computed ", crc, ")");
      return;
    }
  }
  entries->clear();
  ByteReader r(records, records_size);
  uint64_t first = UINT64_MAX, last = 0, count = 0;
  std::map<uint16_t, uint64_t> counts;
  while (r.remaining() > 0) {
    const uint64_t at = r.position();
    const uint8_t opcode = r.U8();
    const uint8_t* body;
    size_t n;
    if (!r.Bytes64(&body, &n)) {
      chunk->problem = absl::StrCat("its record at +", at, " runs past the chunk's end");
      return;
    }
    ByteReader m(body, n);
    if (opcode == mcap::kMessage) {
      const uint16_t channel = m.U16();
      m.U32();
      const uint64_t log_time = m.U64();
      m.U64();
      if (!m.ok()) {
        chunk->problem = absl::StrCat("its message at +", at, " is malformed");
        return;
      }
      (*entries)[channel].emplace_back(log_time, at);
      ++counts[channel];
      ++count;
      first = std::min(first, log_time);
      last = std::max(last, log_time);
    } else if (opcode == mcap::kChannel) {
      channels_in_chunks_.insert(m.U16());
    }
  }
  chunk->intact = true;
  chunk->messages = count;
  chunk->messages_known = true;
  chunk->channel_counts = std::move(counts);
  chunk->compression = header.compression;
  chunk->compressed_size = header.records_size;
  chunk->uncompressed_size = header.uncompressed_size;
  chunk->uncompressed_crc = header.uncompressed_crc;
  chunk->header_size = static_cast<uint64_t>(header.records - Bytes(record));
  chunk->header_times_match =
      count == 0 || (header.message_start_time == first && header.message_end_time == last);
  if (count > 0) {
    chunk->start_time = first;
    chunk->end_time = last;
    chunk->times_known = true;
  }
  if (!chunk->header_times_match) {
    Problem(offset, "chunk header's time range disagrees with its messages (repairable)");
  }
}

void Validator::ReadMessageIndex(uint64_t pos, const std::string& record) {
  IndexGroup& group = *group_;
  McapChunkCheck& chunk = *group.chunk;
  ByteReader r(Bytes(record) + mcap::kRecordHeaderSize, record.size() - mcap::kRecordHeaderSize);
  const uint16_t channel = r.U16();
  const uint8_t* entries;
  size_t n;
  if (!r.Bytes32(&entries, &n) || n % kMessageIndexEntrySize != 0 ||
      !group.seen.insert(channel).second) {
    Problem(pos, absl::StrCat("malformed message index after the chunk at byte ", chunk.offset));
    group.mismatch = true;
    return;
  }
  chunk.indexes_end = pos + record.size();
  chunk.index_offsets[channel] = pos;
  if (!chunk.intact) {
    chunk.messages += n / kMessageIndexEntrySize;
    chunk.messages_known = true;
    return;
  }
  std::vector<std::pair<uint64_t, uint64_t>> on_disk;
  ByteReader e(entries, n);
  while (e.remaining() > 0) {
    const uint64_t log_time = e.U64();
    on_disk.emplace_back(log_time, e.U64());
  }
  std::vector<std::pair<uint64_t, uint64_t>> expected;
  if (auto it = group.expected.find(channel); it != group.expected.end()) expected = it->second;
  std::sort(on_disk.begin(), on_disk.end());
  std::sort(expected.begin(), expected.end());
  if (on_disk != expected) {
    Problem(pos,
            absl::StrCat("the message index for channel ", channel, " after the chunk at byte ",
                         chunk.offset, " disagrees with its messages"));
    group.mismatch = true;
  }
}

void Validator::CloseIndexGroup() {
  if (!group_) return;
  IndexGroup& group = *group_;
  McapChunkCheck& chunk = *group.chunk;
  if (chunk.intact) {
    bool complete = true;
    for (const auto& [channel, list] : group.expected) {
      if (!list.empty() && group.seen.count(channel) == 0) complete = false;
    }
    chunk.indexes_match = complete && !group.mismatch;
    if (!complete && !group.mismatch) {
      Problem(chunk.offset + chunk.length,
              absl::StrCat("the chunk at byte ", chunk.offset, " lacks message indexes"));
    }
    if (!chunk.indexes_match) chunk.rebuilt = std::move(group.expected);
  }
  group_.reset();
}

absl::StatusOr<std::string> Validator::FramingProblem(uint64_t pos, uint64_t limit,
                                                      std::optional<uint64_t> next_start,
                                                      uint8_t* opcode, uint64_t* length) const {
  if (limit - pos < mcap::kRecordHeaderSize) return std::string("a record header cut off");
  std::string head;
  if (absl::Status s = ReadAt(pos, mcap::kRecordHeaderSize, &head); !s.ok()) return s;
  *opcode = static_cast<uint8_t>(head[0]);
  std::memcpy(length, head.data() + 1, 8);
  const uint64_t content_at = pos + mcap::kRecordHeaderSize;
  const std::string what =
      absl::StrCat("a record (opcode ", Hex(*opcode), ") of ", *length, " bytes");
  if (!BelongsInDataSection(*opcode))
    return absl::StrCat("no valid record (opcode ", Hex(*opcode), ")");
  if (*length > limit - content_at || *length > kMaxRecordBytes) {
    return absl::StrCat(what, " runs past the end of the data section");
  }
  if (record_starts_trusted_ && next_start && content_at + *length > *next_start) {
    return absl::StrCat(what, " runs across the record the summary places at byte ", *next_start);
  }
  if (*opcode == mcap::kDataEnd && summary_.present &&
      content_at + *length != summary_.summary_start) {
    return std::string("a Data End record before the end of the data section");
  }
  return std::string();
}

void Validator::NoteUnframedChunk(uint64_t pos, uint64_t limit) {
  McapChunkCheck chunk;
  chunk.offset = pos;
  chunk.problem = "its length field is damaged or the file ends within it";
  // Its time range, if the header's first fields are there (a crash's torn chunk).
  std::string times;
  if (limit - pos >= mcap::kRecordHeaderSize + 16 &&
      ReadAt(pos + mcap::kRecordHeaderSize, 16, &times).ok()) {
    ByteReader r(Bytes(times), times.size());
    chunk.start_time = r.U64();
    chunk.end_time = r.U64();
    chunk.times_known = chunk.start_time <= chunk.end_time;
  }
  result_.chunks.push_back(std::move(chunk));
}

absl::Status Validator::ScanDataSection(uint64_t limit) {
  uint64_t pos = result_.header_end;
  std::string record;
  while (pos < limit) {
    const std::optional<uint64_t> next_start = NextRecordStart(pos);
    uint8_t opcode = 0;
    uint64_t length = 0;
    absl::StatusOr<std::string> what = FramingProblem(pos, limit, next_start, &opcode, &length);
    if (!what.ok()) return what.status();
    if (!what->empty()) {
      // Resume where the summary says the next record starts, or give up the rest.
      CloseIndexGroup();
      data_crc_contiguous_ = false;
      const uint64_t resume = next_start && *next_start < limit ? *next_start : limit;
      if (opcode == mcap::kChunk) NoteUnframedChunk(pos, limit);
      Problem(pos,
              absl::StrCat(*what, resume < limit ? absl::StrCat("; resumed at byte ", resume)
                                                 : absl::StrCat(": the remaining ", limit - pos,
                                                                " bytes are dropped")));
      pos = resume;
      continue;
    }
    if (absl::Status s = ReadAt(pos, mcap::kRecordHeaderSize + length, &record); !s.ok()) return s;
    if (opcode != mcap::kMessageIndex) CloseIndexGroup();
    if (opcode == mcap::kDataEnd) {
      ByteReader r(Bytes(record) + mcap::kRecordHeaderSize, length);
      data_end_crc_ = r.U32();
      if (!r.ok()) Problem(pos, "malformed Data End");
      data_end_at_ = pos;
      return absl::OkStatus();
    }
    data_crc_ = mcap::Crc32Update(data_crc_, record.data(), record.size());
    switch (opcode) {
      case mcap::kChunk: {
        McapChunkCheck chunk;
        chunk.offset = pos;
        chunk.length = record.size();
        chunk.indexes_end = pos + record.size();
        IndexGroup group;
        CheckChunk(pos, record, &chunk, &group.expected);
        if (!chunk.intact) Problem(pos, absl::StrCat("chunk: ", chunk.problem));
        result_.chunks.push_back(std::move(chunk));
        group.chunk = &result_.chunks.back();
        group_ = std::move(group);
        break;
      }
      case mcap::kMessageIndex:
        if (group_) {
          ReadMessageIndex(pos, record);
        } else {
          Problem(pos, "a message index that follows no chunk: dropped");
        }
        break;
      default:
        KeepRecord(pos, opcode, record);
        break;
    }
    pos += record.size();
  }
  CloseIndexGroup();
  return absl::OkStatus();
}

// A schema or channel that differs from the copy in a summary that passed its CRC was
// damaged in the data section (which only Data End's CRC covers): the copy replaces it.
void Validator::PreferSummaryCopies() {
  for (McapRecordRef& r : result_.records) {
    const bool schema = r.opcode == mcap::kSchema;
    if (!schema && r.opcode != mcap::kChannel) continue;
    const auto& copies = schema ? summary_.schemas : summary_.channels;
    auto copy = copies.find(r.id);
    std::string& ours = (schema ? result_.schemas : result_.channels)[r.id];
    if (copy == copies.end() || copy->second == ours) continue;
    Problem(r.offset, absl::StrCat(schema ? "schema " : "channel ", r.id,
                                   " differs from the summary's copy, which replaces it"));
    ours = copy->second;
    r.from_summary = true;
  }
}

void Validator::CheckChannelsKnown() {
  auto known = [&](uint16_t channel) {
    return result_.channels.count(channel) > 0 || channels_in_chunks_.count(channel) > 0;
  };
  for (McapChunkCheck& chunk : result_.chunks) {
    if (!chunk.intact) continue;
    for (const auto& [channel, count] : chunk.channel_counts) {
      if (known(channel)) continue;
      chunk.intact = false;
      chunk.problem = absl::StrCat("its messages are on channel ", channel,
                                   ", which no Channel record defines");
      Problem(chunk.offset, absl::StrCat("chunk: ", chunk.problem));
      break;
    }
  }
  std::erase_if(result_.records, [&](const McapRecordRef& r) {
    if (r.opcode != mcap::kMessage || known(r.id)) return false;
    Problem(r.offset, absl::StrCat("a message on undefined channel ", r.id, ": dropped"));
    return true;
  });
}

void Validator::FillDroppedChunksFromSummary() {
  std::string record;
  for (McapChunkCheck& chunk : result_.chunks) {
    if (chunk.intact) continue;
    auto it = summary_.chunk_indexes.find(chunk.offset);
    if (it == summary_.chunk_indexes.end()) continue;
    const mcap::ChunkIndex& index = it->second;
    // A summary that passed its CRC is trusted over a damaged chunk's header.
    if (result_.summary_intact || !chunk.times_known || chunk.length == 0) {
      chunk.start_time = index.message_start_time;
      chunk.end_time = index.message_end_time;
      chunk.times_known = true;
    }
    if (chunk.messages_known) continue;
    uint64_t messages = 0;
    bool all = !index.message_index_offsets.empty();
    for (const auto& [channel, offset] : index.message_index_offsets) {
      std::string head;
      uint64_t length = 0;
      if (!ReadAt(offset, mcap::kRecordHeaderSize, &head).ok()) {
        all = false;
        break;
      }
      std::memcpy(&length, head.data() + 1, 8);
      if (static_cast<uint8_t>(head[0]) != mcap::kMessageIndex || length < 6 ||
          !ReadAt(offset + mcap::kRecordHeaderSize, 6, &record).ok()) {
        all = false;
        break;
      }
      uint32_t entries_size;
      std::memcpy(&entries_size, record.data() + 2, 4);
      messages += entries_size / kMessageIndexEntrySize;
    }
    if (all) {
      chunk.messages = messages;
      chunk.messages_known = true;
    }
  }
}

void Validator::CompareChunkIndexes() {
  std::set<uint64_t> chunk_offsets;
  for (const McapChunkCheck& chunk : result_.chunks) {
    chunk_offsets.insert(chunk.offset);
    if (!chunk.intact) continue;
    auto it = summary_.chunk_indexes.find(chunk.offset);
    if (it == summary_.chunk_indexes.end()) {
      Problem(chunk.offset, "the summary has no chunk index for this chunk");
      continue;
    }
    const mcap::ChunkIndex& index = it->second;
    const bool agrees =
        index.message_start_time == chunk.start_time && index.message_end_time == chunk.end_time &&
        index.chunk_length == chunk.length && index.compression == chunk.compression &&
        index.compressed_size == chunk.compressed_size &&
        index.uncompressed_size == chunk.uncompressed_size &&
        (!chunk.indexes_match ||
         (index.message_index_offsets == chunk.index_offsets &&
          index.message_index_length == chunk.indexes_end - chunk.offset - chunk.length));
    if (!agrees) Problem(chunk.offset, "the summary's chunk index disagrees with this chunk");
  }
  for (const auto& [offset, index] : summary_.chunk_indexes) {
    if (chunk_offsets.count(offset) == 0) {
      Problem(offset, "the summary indexes a chunk here, but there is none");
    }
  }
}

void Validator::CompareRecordIndexes() {
  std::map<uint64_t, const McapRecordRef*> metadata, attachments;
  for (const McapRecordRef& r : result_.records) {
    if (r.opcode == mcap::kMetadata) metadata[r.offset] = &r;
    if (r.opcode == mcap::kAttachment) attachments[r.offset] = &r;
  }
  for (const mcap::MetadataIndex& index : summary_.metadata_indexes) {
    auto it = metadata.find(index.offset);
    if (it == metadata.end() || it->second->length != index.length ||
        it->second->name != index.name) {
      Problem(index.offset, absl::StrCat("the metadata index for \"", index.name.substr(0, 64),
                                         "\" points at no such Metadata record"));
    }
  }
  for (const mcap::AttachmentIndex& index : summary_.attachment_indexes) {
    auto it = attachments.find(index.offset);
    if (it == attachments.end() || it->second->length != index.length) {
      Problem(index.offset, "an attachment index points at no such Attachment record");
    }
  }
  if (summary_.metadata_indexes.size() != metadata.size()) {
    Problem(summary_.summary_start,
            absl::StrCat("the summary indexes ", summary_.metadata_indexes.size(),
                         " metadata records, the data section holds ", metadata.size()));
  }
  if (summary_.attachment_indexes.size() != attachments.size()) {
    Problem(summary_.summary_start,
            absl::StrCat("the summary indexes ", summary_.attachment_indexes.size(),
                         " attachments, the data section holds ", attachments.size()));
  }
}

void Validator::CompareStatistics() {
  uint64_t messages = 0, first = UINT64_MAX, last = 0;
  std::map<uint16_t, uint64_t> counts;
  auto note = [&](uint64_t start, uint64_t end) {
    first = std::min(first, start);
    last = std::max(last, end);
  };
  for (const McapChunkCheck& chunk : result_.chunks) {
    if (!chunk.intact) return;  // the statistics cannot agree; the damage is already named
    for (const auto& [channel, n] : chunk.channel_counts) counts[channel] += n;
    messages += chunk.messages;
    if (chunk.messages > 0) note(chunk.start_time, chunk.end_time);
  }
  for (const McapRecordRef& r : result_.records) {
    if (r.opcode != mcap::kMessage) continue;
    ++messages;
    ++counts[r.id];
    note(r.log_time, r.log_time);
  }
  if (!summary_.have_statistics) {
    Problem(summary_.summary_start, "the summary has no Statistics record");
    return;
  }
  std::map<uint16_t, uint64_t> stated = summary_.channel_counts;
  std::erase_if(stated, [](const auto& e) { return e.second == 0; });
  if (summary_.message_count != messages || stated != counts ||
      summary_.chunk_count != result_.chunks.size() ||
      (messages > 0 &&
       (summary_.message_start_time != first || summary_.message_end_time != last))) {
    Problem(summary_.summary_start,
            absl::StrCat("the Statistics (", summary_.message_count, " messages in ",
                         summary_.chunk_count, " chunks) disagree with the data section (",
                         messages, " messages in ", result_.chunks.size(), " chunks)"));
  }
}

absl::StatusOr<McapValidation> Validator::Run() {
  result_.file_size = size_;
  if (absl::Status s = ReadHeader(); !s.ok()) return s;
  if (absl::Status s = ReadFooterAndSummary(); !s.ok()) return s;
  const uint64_t footer_at = size_ - mcap::kFooterRecordSize - mcap::kMagicSize;
  const uint64_t limit = summary_.present     ? summary_.summary_start
                         : result_.has_footer ? footer_at
                                              : size_;
  absl::Status scanned = ScanDataSection(limit);
  if (zstd_ != nullptr) ZSTD_freeDCtx(zstd_);
  zstd_ = nullptr;
  if (!scanned.ok()) return scanned;

  if (!result_.has_footer) {
    Problem(size_, "no Footer: the recording was not finished");
  } else if (summary_.present && !data_end_at_) {
    Problem(summary_.summary_start, "no Data End before the summary");
  }
  if (data_end_at_ && data_end_crc_ != 0 && data_crc_contiguous_ && data_end_crc_ != data_crc_) {
    Problem(*data_end_at_, absl::StrCat("data section CRC mismatch (stored ", data_end_crc_,
                                        ", computed ", data_crc_, ")"));
  }
  PreferSummaryCopies();
  // Channels a damaged data section lost, from a summary that passed its CRC.
  for (const auto& [id, record] : summary_.schemas) {
    if (result_.schemas.try_emplace(id, record).second) result_.summary_only_schemas.push_back(id);
  }
  for (const auto& [id, record] : summary_.channels) {
    if (result_.channels.try_emplace(id, record).second) {
      result_.summary_only_channels.push_back(id);
    }
  }
  CheckChannelsKnown();
  FillDroppedChunksFromSummary();
  if (!result_.chunks.empty() && !result_.has_footer) {
    McapChunkCheck& last = result_.chunks.back();
    last.last_in_file =
        std::none_of(result_.records.begin(), result_.records.end(),
                     [&](const McapRecordRef& r) { return r.offset > last.offset; });
  }
  if (result_.summary_intact) {
    CompareChunkIndexes();
    CompareRecordIndexes();
    CompareStatistics();
  }
  std::stable_sort(result_.problems.begin(), result_.problems.end(),
                   [](const McapProblem& a, const McapProblem& b) { return a.offset < b.offset; });
  return std::move(result_);
}

}  // namespace

std::string McapValidation::ProblemsText(size_t max_lines) const {
  std::string text;
  for (size_t i = 0; i < problems.size() && i < max_lines; ++i) {
    absl::StrAppend(&text, i == 0 ? "" : "\n", "byte ", problems[i].offset, ": ", problems[i].what);
  }
  if (problems.size() > max_lines) {
    absl::StrAppend(&text, "\n(", problems.size() - max_lines, " more)");
  }
  return text;
}

absl::StatusOr<McapValidation> ValidateMcap(const RandomAccessFile* file) {
  Validator validator(file);
  return validator.Run();
}

}  // namespace rollrig::recording
