#include "host/recording/mcap_reader.h"

#include <zstd.h>

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "host/recording/mcap_format.h"
#include "host/recording/mcap_summary.h"

namespace rollrig::recording {

using mcap::ByteReader;

namespace {

// Where messages live: a chunk, or a lone Message record outside chunks.
struct MessageBlock {
  uint64_t offset = 0;
  uint64_t length = 0;  // whole record
  uint64_t start_time = 0;
  uint64_t end_time = 0;
  bool lone_message = false;
  std::set<uint16_t> channels;  // from the message indexes; empty = unknown
};

// Chunks larger than this are refused rather than allocated.
constexpr uint64_t kMaxChunkBytes = uint64_t{1} << 32;

bool ParseSchema(const uint8_t* p, size_t n, McapSchema* schema) {
  ByteReader r(p, n);
  schema->id = r.U16();
  schema->name = r.String();
  schema->encoding = r.String();
  schema->data = r.String();
  return r.ok();
}

bool ParseChannel(const uint8_t* p, size_t n, McapChannel* channel) {
  ByteReader r(p, n);
  channel->id = r.U16();
  channel->schema_id = r.U16();
  channel->topic = r.String();
  channel->message_encoding = r.String();
  channel->metadata = r.StringMap();
  return r.ok();
}

bool ParseMetadata(const uint8_t* p, size_t n, McapMetadata* metadata) {
  ByteReader r(p, n);
  metadata->name = r.String();
  metadata->metadata = r.StringMap();
  return r.ok();
}

bool ParseStatistics(const uint8_t* p, size_t n, McapStatistics* stats) {
  ByteReader r(p, n);
  stats->message_count = r.U64();
  r.U16();  // schema_count
  r.U32();  // channel_count
  r.U32();  // attachment_count
  r.U32();  // metadata_count
  stats->chunk_count = r.U32();
  stats->message_start_time = r.U64();
  stats->message_end_time = r.U64();
  const uint8_t* counts;
  size_t counts_size;
  if (!r.Bytes32(&counts, &counts_size) || counts_size % 10 != 0) return false;
  ByteReader c(counts, counts_size);
  while (c.remaining() > 0) {
    uint16_t channel = c.U16();
    stats->channel_message_counts[channel] = c.U64();
  }
  return r.ok();
}

// A message's fields, viewed in place.
struct MessageView {
  uint16_t channel_id;
  uint32_t sequence;
  uint64_t log_time;
  uint64_t publish_time;
  const uint8_t* data;
  size_t size;
};

bool ParseMessage(const uint8_t* p, size_t n, MessageView* m) {
  ByteReader r(p, n);
  m->channel_id = r.U16();
  m->sequence = r.U32();
  m->log_time = r.U64();
  m->publish_time = r.U64();
  m->data = r.current();
  m->size = r.remaining();
  return r.ok();
}

}  // namespace

struct McapReader::Impl {
  const RandomAccessFile* file = nullptr;
  uint64_t size = 0;
  std::map<uint16_t, McapSchema> schemas;
  std::map<uint16_t, McapChannel> channels;
  std::vector<McapMetadata> metadata;
  McapStatistics statistics;
  bool has_summary = false;
  std::vector<MessageBlock> blocks;

  // Reused across calls: the record being read, the decompressed chunk, the zstd context.
  mutable std::string record;
  mutable std::string uncompressed;
  mutable ZSTD_DCtx* zstd = nullptr;

  ~Impl() {
    if (zstd != nullptr) ZSTD_freeDCtx(zstd);
  }

  // Reads exactly n bytes at offset into out.
  absl::Status ReadAt(uint64_t offset, uint64_t n, std::string* out) const {
    if (offset > size || n > size - offset) {
      return absl::DataLossError(absl::StrCat("MCAP: ", n, " bytes at offset ", offset,
                                              " run past the end of the file (", size, " bytes)"));
    }
    out->resize(n);
    auto got = file->Read(offset, reinterpret_cast<uint8_t*>(out->data()), n);
    if (!got.ok()) return got.status();
    if (*got != n) {
      return absl::DataLossError(absl::StrCat("MCAP: short read at offset ", offset));
    }
    return absl::OkStatus();
  }

  absl::Status ReadSummary(const mcap::Footer& footer, uint64_t footer_offset);
  absl::Status Scan(bool blocks_only);
  absl::Status AddChunkCounts(uint64_t chunk_offset, std::map<uint16_t, uint64_t>* counts) const;
  // The uncompressed records of the chunk record at `offset`, CRC-checked.
  absl::Status LoadChunk(uint64_t offset, uint64_t length, const uint8_t** records,
                         size_t* records_size) const;
};

absl::Status McapReader::Impl::ReadSummary(const mcap::Footer& footer, uint64_t footer_offset) {
  std::string summary;
  if (absl::Status s = ReadAt(footer.summary_start, footer_offset - footer.summary_start, &summary);
      !s.ok()) {
    return s;
  }
  if (footer.summary_crc != 0) {
    std::string footer_head;
    if (absl::Status s = ReadAt(footer_offset, mcap::kFooterRecordSize - 4, &footer_head);
        !s.ok()) {
      return s;
    }
    uint32_t crc = mcap::Crc32Update(0, summary.data(), summary.size());
    crc = mcap::Crc32Update(crc, footer_head.data(), footer_head.size());
    if (crc != footer.summary_crc) {
      return absl::DataLossError(absl::StrCat("MCAP: summary CRC mismatch (stored ",
                                              footer.summary_crc, ", computed ", crc, ")"));
    }
  }
  ByteReader r(reinterpret_cast<const uint8_t*>(summary.data()), summary.size());
  bool have_statistics = false;
  std::vector<mcap::MetadataIndex> metadata_indexes;
  while (r.remaining() > 0) {
    uint64_t at = footer.summary_start + r.position();
    uint8_t opcode = r.U8();
    const uint8_t* content;
    size_t n;
    if (!r.Bytes64(&content, &n)) {
      return absl::DataLossError(
          absl::StrCat("MCAP: summary record at offset ", at, " is cut off"));
    }
    bool ok = true;
    switch (opcode) {
      case mcap::kSchema: {
        McapSchema schema;
        ok = ParseSchema(content, n, &schema);
        if (ok) schemas[schema.id] = std::move(schema);
        break;
      }
      case mcap::kChannel: {
        McapChannel channel;
        ok = ParseChannel(content, n, &channel);
        if (ok) channels[channel.id] = std::move(channel);
        break;
      }
      case mcap::kStatistics:
        statistics = {};
        ok = ParseStatistics(content, n, &statistics);
        have_statistics = true;
        break;
      case mcap::kChunkIndex: {
        mcap::ChunkIndex index;
        ok = mcap::ParseChunkIndex(content, n, &index);
        if (ok) {
          MessageBlock block;
          block.offset = index.chunk_start_offset;
          block.length = index.chunk_length;
          block.start_time = index.message_start_time;
          block.end_time = index.message_end_time;
          for (const auto& [channel, offset] : index.message_index_offsets) {
            block.channels.insert(channel);
          }
          blocks.push_back(std::move(block));
        }
        break;
      }
      case mcap::kMetadataIndex: {
        ByteReader m(content, n);
        mcap::MetadataIndex index;
        index.offset = m.U64();
        index.length = m.U64();
        index.name = m.String();
        ok = m.ok();
        if (ok) metadata_indexes.push_back(std::move(index));
        break;
      }
      default:
        break;  // other summary records, and unknown opcodes, are skipped
    }
    if (!ok) {
      return absl::DataLossError(
          absl::StrCat("MCAP: malformed summary record (opcode ", opcode, ") at offset ", at));
    }
  }
  for (const mcap::MetadataIndex& index : metadata_indexes) {
    if (absl::Status s = ReadAt(index.offset, index.length, &record); !s.ok()) return s;
    McapMetadata entry;
    ByteReader m(reinterpret_cast<const uint8_t*>(record.data()), record.size());
    uint8_t opcode = m.U8();
    const uint8_t* content;
    size_t n;
    if (opcode != mcap::kMetadata || !m.Bytes64(&content, &n) ||
        !ParseMetadata(content, n, &entry)) {
      return absl::DataLossError(
          absl::StrCat("MCAP: no valid Metadata record at offset ", index.offset));
    }
    metadata.push_back(std::move(entry));
  }
  std::sort(blocks.begin(), blocks.end(),
            [](const MessageBlock& a, const MessageBlock& b) { return a.offset < b.offset; });
  if (!have_statistics) statistics.chunk_count = blocks.size();
  // A summary without chunk indexes: the messages may be outside chunks; find them.
  if (blocks.empty() && (!have_statistics || statistics.message_count > 0)) return Scan(true);
  return absl::OkStatus();
}

absl::Status McapReader::Impl::AddChunkCounts(uint64_t chunk_offset,
                                              std::map<uint16_t, uint64_t>* counts) const {
  std::string header;
  if (absl::Status s = ReadAt(chunk_offset + 1, 8, &header); !s.ok()) return s;
  uint64_t length;
  std::memcpy(&length, header.data(), 8);
  const uint8_t* records;
  size_t records_size;
  if (absl::Status s =
          LoadChunk(chunk_offset, mcap::kRecordHeaderSize + length, &records, &records_size);
      !s.ok()) {
    return s;
  }
  ByteReader r(records, records_size);
  while (r.remaining() > 0) {
    uint8_t opcode = r.U8();
    const uint8_t* content;
    size_t n;
    if (!r.Bytes64(&content, &n)) break;
    MessageView m;
    if (opcode == mcap::kMessage && ParseMessage(content, n, &m)) ++(*counts)[m.channel_id];
  }
  return absl::OkStatus();
}

absl::Status McapReader::Impl::Scan(bool blocks_only) {
  // Counts per chunk come from its message indexes, or (none) from the chunk itself.
  std::map<uint16_t, uint64_t> chunk_counts;
  bool chunk_open = false;
  bool chunk_indexed = false;
  uint64_t chunk_offset = 0;
  auto end_chunk = [&]() {
    if (!chunk_open) return;
    chunk_open = false;
    if (!chunk_indexed) {
      chunk_counts.clear();
      // A chunk we cannot decode counts nothing here; ReadMessages reports it.
      if (!AddChunkCounts(chunk_offset, &chunk_counts).ok()) chunk_counts.clear();
    }
    for (const auto& [channel, count] : chunk_counts) {
      if (blocks_only) break;
      statistics.channel_message_counts[channel] += count;
      statistics.message_count += count;
    }
    chunk_counts.clear();
  };
  auto note_times = [&](uint64_t start, uint64_t end) {
    if (blocks_only) return;
    bool first = statistics.message_start_time == 0 && statistics.message_end_time == 0;
    statistics.message_start_time = first ? start : std::min(statistics.message_start_time, start);
    statistics.message_end_time = first ? end : std::max(statistics.message_end_time, end);
  };

  uint64_t pos = mcap::kMagicSize;
  std::string head;
  while (pos < size) {
    if (size - pos < mcap::kRecordHeaderSize) break;  // a torn tail
    if (absl::Status s = ReadAt(pos, mcap::kRecordHeaderSize, &head); !s.ok()) return s;
    uint8_t opcode = static_cast<uint8_t>(head[0]);
    uint64_t length;
    std::memcpy(&length, head.data() + 1, 8);
    const uint64_t content_at = pos + mcap::kRecordHeaderSize;
    if (length > size - content_at) break;  // runs past the end: a torn tail
    if (opcode == mcap::kDataEnd || opcode == mcap::kFooter) break;
    if (opcode != mcap::kMessageIndex) end_chunk();
    switch (opcode) {
      case mcap::kChunk: {
        // Only the chunk's fixed fields and compression name are needed here.
        if (absl::Status s = ReadAt(content_at, std::min<uint64_t>(length, 64), &record); !s.ok()) {
          return s;
        }
        ByteReader r(reinterpret_cast<const uint8_t*>(record.data()), record.size());
        MessageBlock block;
        block.offset = pos;
        block.length = mcap::kRecordHeaderSize + length;
        block.start_time = r.U64();
        block.end_time = r.U64();
        if (!r.ok()) {
          return absl::DataLossError(absl::StrCat("MCAP: malformed chunk at offset ", pos));
        }
        blocks.push_back(block);
        chunk_open = true;
        chunk_indexed = false;
        chunk_offset = pos;
        ++statistics.chunk_count;
        note_times(block.start_time, block.end_time);
        break;
      }
      case mcap::kMessageIndex: {
        if (!chunk_open) break;
        if (absl::Status s = ReadAt(content_at, length, &record); !s.ok()) return s;
        ByteReader r(reinterpret_cast<const uint8_t*>(record.data()), record.size());
        uint16_t channel = r.U16();
        uint32_t entries_size = r.U32();
        if (r.ok() && entries_size % 16 == 0 && entries_size <= r.remaining()) {
          chunk_indexed = true;
          chunk_counts[channel] += entries_size / 16;
          blocks.back().channels.insert(channel);
        }
        break;
      }
      case mcap::kMessage: {
        if (absl::Status s = ReadAt(content_at, std::min<uint64_t>(length, 22), &record); !s.ok()) {
          return s;
        }
        MessageView m;
        if (!ParseMessage(reinterpret_cast<const uint8_t*>(record.data()), record.size(), &m)) {
          return absl::DataLossError(absl::StrCat("MCAP: malformed message at offset ", pos));
        }
        blocks.push_back({pos, mcap::kRecordHeaderSize + length, m.log_time, m.log_time, true, {}});
        if (!blocks_only) {
          ++statistics.message_count;
          ++statistics.channel_message_counts[m.channel_id];
        }
        note_times(m.log_time, m.log_time);
        break;
      }
      case mcap::kSchema:
      case mcap::kChannel:
      case mcap::kMetadata: {
        if (blocks_only) break;
        if (absl::Status s = ReadAt(content_at, length, &record); !s.ok()) return s;
        const auto* p = reinterpret_cast<const uint8_t*>(record.data());
        bool ok = true;
        if (opcode == mcap::kSchema) {
          McapSchema schema;
          ok = ParseSchema(p, length, &schema);
          if (ok) schemas[schema.id] = std::move(schema);
        } else if (opcode == mcap::kChannel) {
          McapChannel channel;
          ok = ParseChannel(p, length, &channel);
          if (ok) channels[channel.id] = std::move(channel);
        } else {
          McapMetadata entry;
          ok = ParseMetadata(p, length, &entry);
          if (ok) metadata.push_back(std::move(entry));
        }
        if (!ok) {
          return absl::DataLossError(
              absl::StrCat("MCAP: malformed record (opcode ", opcode, ") at offset ", pos));
        }
        break;
      }
      default:
        break;  // Header (again), attachments, private and unknown records
    }
    pos = content_at + length;
  }
  end_chunk();
  return absl::OkStatus();
}

absl::Status McapReader::Impl::LoadChunk(uint64_t offset, uint64_t length, const uint8_t** records,
                                         size_t* records_size) const {
  if (length > kMaxChunkBytes) {
    return absl::DataLossError(
        absl::StrCat("MCAP: chunk at offset ", offset, " claims ", length, " bytes"));
  }
  if (absl::Status s = ReadAt(offset, length, &record); !s.ok()) return s;
  ByteReader r(reinterpret_cast<const uint8_t*>(record.data()), record.size());
  uint8_t opcode = r.U8();
  const uint8_t* content;
  size_t n;
  mcap::ChunkHeader chunk;
  if (opcode != mcap::kChunk || !r.Bytes64(&content, &n) ||
      !mcap::ParseChunkHeader(content, n, &chunk)) {
    return absl::DataLossError(absl::StrCat("MCAP: no valid chunk at offset ", offset));
  }
  if (chunk.compression.empty()) {
    if (chunk.records_size != chunk.uncompressed_size) {
      return absl::DataLossError(
          absl::StrCat("MCAP: chunk at offset ", offset, ": uncompressed size mismatch"));
    }
    *records = chunk.records;
    *records_size = chunk.records_size;
  } else if (chunk.compression == "zstd") {
    if (chunk.uncompressed_size > kMaxChunkBytes ||
        !mcap::ZstdCanHold(chunk.records, chunk.records_size, chunk.uncompressed_size)) {
      return absl::DataLossError(
          absl::StrCat("MCAP: chunk at offset ", offset, " claims ", chunk.uncompressed_size,
                       " uncompressed bytes, more than its zstd data holds"));
    }
    if (zstd == nullptr) zstd = ZSTD_createDCtx();
    uncompressed.resize(chunk.uncompressed_size);
    size_t got = ZSTD_decompressDCtx(zstd, uncompressed.data(), uncompressed.size(), chunk.records,
                                     chunk.records_size);
    if (ZSTD_isError(got) || got != chunk.uncompressed_size) {
      return absl::DataLossError(
          absl::StrCat("MCAP: chunk at offset ", offset, ": zstd data is corrupt (",
                       ZSTD_isError(got) ? ZSTD_getErrorName(got) : "wrong size", ")"));
    }
    *records = reinterpret_cast<const uint8_t*>(uncompressed.data());
    *records_size = uncompressed.size();
  } else {
    return absl::UnimplementedError(
        absl::StrCat("MCAP: chunk at offset ", offset, " uses ", chunk.compression,
                     " compression, which this reader does not support"));
  }
  if (chunk.uncompressed_crc != 0) {
    uint32_t crc = mcap::Crc32Update(0, *records, *records_size);
    if (crc != chunk.uncompressed_crc) {
      return absl::DataLossError(absl::StrCat("MCAP: chunk at offset ", offset,
                                              ": CRC mismatch (stored ", chunk.uncompressed_crc,
                                              ", computed ", crc, ")"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<McapReader>> McapReader::Open(const RandomAccessFile* file) {
  auto impl = std::make_shared<Impl>();
  impl->file = file;
  impl->size = file->size();
  std::string magic;
  if (impl->size < mcap::kMagicSize || !impl->ReadAt(0, mcap::kMagicSize, &magic).ok() ||
      std::memcmp(magic.data(), mcap::kMagic, mcap::kMagicSize) != 0) {
    return absl::InvalidArgumentError("MCAP: not an MCAP file (no magic at the start)");
  }
  bool read_summary = false;
  const uint64_t tail_size = mcap::kFooterRecordSize + mcap::kMagicSize;
  if (impl->size >= mcap::kMagicSize + tail_size) {
    std::string tail;
    const uint64_t footer_offset = impl->size - tail_size;
    if (absl::Status s = impl->ReadAt(footer_offset, tail_size, &tail); !s.ok()) return s;
    ByteReader r(reinterpret_cast<const uint8_t*>(tail.data()), tail.size());
    uint8_t opcode = r.U8();
    uint64_t length = r.U64();
    mcap::Footer footer;
    footer.summary_start = r.U64();
    footer.summary_offset_start = r.U64();
    footer.summary_crc = r.U32();
    bool closed =
        opcode == mcap::kFooter && length == mcap::kFooterContentSize &&
        std::memcmp(tail.data() + mcap::kFooterRecordSize, mcap::kMagic, mcap::kMagicSize) == 0;
    if (closed && footer.summary_start != 0) {
      if (footer.summary_start < mcap::kMagicSize || footer.summary_start > footer_offset) {
        return absl::DataLossError(absl::StrCat("MCAP: footer's summary start ",
                                                footer.summary_start, " is outside the file"));
      }
      if (absl::Status s = impl->ReadSummary(footer, footer_offset); !s.ok()) return s;
      impl->has_summary = true;
      read_summary = true;
    }
  }
  if (!read_summary) {
    if (absl::Status s = impl->Scan(false); !s.ok()) return s;
  }
  auto reader = std::unique_ptr<McapReader>(new McapReader());
  reader->impl_ = std::move(impl);
  return reader;
}

const std::map<uint16_t, McapSchema>& McapReader::schemas() const { return impl_->schemas; }
const std::map<uint16_t, McapChannel>& McapReader::channels() const { return impl_->channels; }
const std::vector<McapMetadata>& McapReader::metadata() const { return impl_->metadata; }
const McapStatistics& McapReader::statistics() const { return impl_->statistics; }
bool McapReader::has_summary() const { return impl_->has_summary; }

absl::Status McapReader::ReadMessages(
    const McapReadOptions& options,
    const std::function<bool(const McapMessage&)>& on_message) const {
  const Impl& impl = *impl_;
  std::set<uint16_t> wanted;  // empty with no topics = every channel
  if (!options.topics.empty()) {
    for (const auto& [id, channel] : impl.channels) {
      if (std::find(options.topics.begin(), options.topics.end(), channel.topic) !=
          options.topics.end()) {
        wanted.insert(id);
      }
    }
    if (wanted.empty()) return absl::OkStatus();
  }
  auto matches = [&](uint16_t channel, uint64_t log_time) {
    return log_time >= options.start_time && log_time < options.end_time &&
           (options.topics.empty() || wanted.count(channel) > 0);
  };

  McapMessage message;
  std::vector<MessageView> selected;
  for (const MessageBlock& block : impl.blocks) {
    if (block.end_time < options.start_time || block.start_time >= options.end_time) continue;
    if (!options.topics.empty() && !block.channels.empty() &&
        std::none_of(block.channels.begin(), block.channels.end(),
                     [&](uint16_t c) { return wanted.count(c) > 0; })) {
      continue;
    }
    selected.clear();
    if (block.lone_message) {
      if (absl::Status s = impl.ReadAt(block.offset, block.length, &impl.record); !s.ok()) return s;
      MessageView m;
      const auto* p = reinterpret_cast<const uint8_t*>(impl.record.data());
      if (!ParseMessage(p + mcap::kRecordHeaderSize, block.length - mcap::kRecordHeaderSize, &m)) {
        return absl::DataLossError(
            absl::StrCat("MCAP: malformed message at offset ", block.offset));
      }
      if (matches(m.channel_id, m.log_time)) selected.push_back(m);
    } else {
      const uint8_t* records;
      size_t records_size;
      if (absl::Status s = impl.LoadChunk(block.offset, block.length, &records, &records_size);
          !s.ok()) {
        return s;
      }
      ByteReader r(records, records_size);
      while (r.remaining() > 0) {
        size_t at = r.position();
        uint8_t opcode = r.U8();
        const uint8_t* content;
        size_t n;
        if (!r.Bytes64(&content, &n)) {
          return absl::DataLossError(absl::StrCat("MCAP: chunk at offset ", block.offset,
                                                  ": record at ", at, " runs past its end"));
        }
        if (opcode != mcap::kMessage) continue;  // schemas, channels, unknown records
        MessageView m;
        if (!ParseMessage(content, n, &m)) {
          return absl::DataLossError(
              absl::StrCat("MCAP: chunk at offset ", block.offset, ": malformed message at ", at));
        }
        if (matches(m.channel_id, m.log_time)) selected.push_back(m);
      }
      std::stable_sort(
          selected.begin(), selected.end(),
          [](const MessageView& a, const MessageView& b) { return a.log_time < b.log_time; });
    }
    for (const MessageView& m : selected) {
      message.channel_id = m.channel_id;
      message.sequence = m.sequence;
      message.log_time = m.log_time;
      message.publish_time = m.publish_time;
      message.data.assign(reinterpret_cast<const char*>(m.data), m.size);
      if (!on_message(message)) return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

}  // namespace rollrig::recording
