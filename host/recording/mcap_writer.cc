#include "host/recording/mcap_writer.h"

#include <zstd.h>

#include <algorithm>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "host/recording/mcap_format.h"
#include "host/recording/mcap_summary.h"

namespace rollrig::recording {

using mcap::ByteWriter;

namespace {

struct IndexEntry {
  uint64_t log_time;
  uint64_t offset;  // into the uncompressed chunk records
};

// One group's chunk being filled. Its buffers keep their capacity across chunks.
struct OpenChunk {
  std::string records;
  uint64_t start_time = 0;
  uint64_t end_time = 0;
  uint64_t message_count = 0;
  std::map<uint16_t, std::vector<IndexEntry>> index;  // by channel; empty vectors are unused

  bool empty() const { return message_count == 0; }
};

struct ChannelState {
  int group = 0;
};

enum class State { kNew, kOpen, kFinished };

}  // namespace

struct McapWriter::Impl {
  std::unique_ptr<WritableFile> file;
  McapWriterOptions options;
  State state = State::kNew;
  absl::Status failure;  // the first write error; every later call returns it

  uint64_t offset = 0;    // bytes appended to the file
  uint32_t data_crc = 0;  // running CRC of every byte appended
  ZSTD_CCtx* zstd = nullptr;

  std::map<uint16_t, ChannelState> channels;
  std::map<int, OpenChunk> chunks;  // by group

  int64_t MaxChunkSpanNs(int group) const {
    auto it = options.group_chunk_max_duration_ns.find(group);
    return it != options.group_chunk_max_duration_ns.end() ? it->second
                                                           : options.chunk_max_duration_ns;
  }
  std::string out;  // a chunk record and its indexes, reused
  mcap::SummaryContent summary;
  uint16_t next_schema_id = 1;
  uint16_t next_channel_id = 1;

  ~Impl() {
    if (zstd != nullptr) ZSTD_freeCCtx(zstd);
  }

  absl::Status Usable() const {
    if (!failure.ok()) return failure;
    if (state == State::kNew) return absl::FailedPreconditionError("McapWriter: Open() not called");
    if (state == State::kFinished)
      return absl::FailedPreconditionError("McapWriter: already finished");
    return absl::OkStatus();
  }

  absl::Status Write(const std::string& bytes) {
    absl::Status status =
        file->Append(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    if (!status.ok()) {
      failure = status;
      return status;
    }
    data_crc = mcap::Crc32Update(data_crc, bytes.data(), bytes.size());
    offset += bytes.size();
    return absl::OkStatus();
  }

  absl::Status Sync() {
    absl::Status status = file->Sync();
    if (!status.ok()) failure = status;
    return status;
  }

  absl::Status CloseChunk(OpenChunk& chunk);
};

absl::Status McapWriter::Impl::CloseChunk(OpenChunk& chunk) {
  if (chunk.empty()) return absl::OkStatus();
  const uint64_t chunk_offset = offset;
  const bool compress = options.zstd_level > 0;
  const uint32_t crc = mcap::Crc32Update(0, chunk.records.data(), chunk.records.size());

  out.clear();
  ByteWriter w(&out);
  size_t record = w.BeginRecord(mcap::kChunk);
  w.U64(chunk.start_time);
  w.U64(chunk.end_time);
  w.U64(chunk.records.size());
  w.U32(crc);
  w.String(compress ? "zstd" : "");
  size_t records_length_at = w.size();
  w.U64(0);
  size_t records_at = w.size();
  uint64_t compressed_size = chunk.records.size();
  if (compress) {
    size_t bound = ZSTD_compressBound(chunk.records.size());
    out.resize(records_at + bound);
    size_t n = ZSTD_compressCCtx(zstd, out.data() + records_at, bound, chunk.records.data(),
                                 chunk.records.size(), options.zstd_level);
    if (ZSTD_isError(n)) {
      failure =
          absl::InternalError(absl::StrCat("zstd compression failed: ", ZSTD_getErrorName(n)));
      return failure;
    }
    out.resize(records_at + n);
    compressed_size = n;
  } else {
    out.append(chunk.records);
  }
  w.PatchU64(records_length_at, compressed_size);
  w.EndRecord(record);
  const uint64_t chunk_length = out.size();

  mcap::ChunkIndex index;
  index.message_start_time = chunk.start_time;
  index.message_end_time = chunk.end_time;
  index.chunk_start_offset = chunk_offset;
  index.chunk_length = chunk_length;
  index.compression = compress ? "zstd" : "";
  index.compressed_size = compressed_size;
  index.uncompressed_size = chunk.records.size();
  for (auto& [channel, entries] : chunk.index) {
    if (entries.empty()) continue;
    index.message_index_offsets[channel] = chunk_offset + out.size();
    size_t r = w.BeginRecord(mcap::kMessageIndex);
    w.U16(channel);
    w.U32(static_cast<uint32_t>(entries.size() * 16));
    for (const IndexEntry& e : entries) {
      w.U64(e.log_time);
      w.U64(e.offset);
    }
    w.EndRecord(r);
    entries.clear();
  }
  index.message_index_length = out.size() - chunk_length;

  chunk.records.clear();
  chunk.message_count = 0;
  if (absl::Status status = Write(out); !status.ok()) return status;
  summary.chunk_indexes.push_back(std::move(index));
  if (options.sync_each_chunk) return Sync();
  return absl::OkStatus();
}

McapWriter::McapWriter(std::unique_ptr<WritableFile> file, McapWriterOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->file = std::move(file);
  impl_->options = std::move(options);
  if (impl_->options.zstd_level > 0) impl_->zstd = ZSTD_createCCtx();
}

McapWriter::~McapWriter() = default;

absl::Status McapWriter::Open() {
  if (impl_->state != State::kNew) return absl::FailedPreconditionError("McapWriter: already open");
  if (impl_->file == nullptr) return absl::InvalidArgumentError("McapWriter: no file");
  std::string bytes(reinterpret_cast<const char*>(mcap::kMagic), mcap::kMagicSize);
  ByteWriter w(&bytes);
  size_t record = w.BeginRecord(mcap::kHeader);
  w.String(impl_->options.profile);
  w.String(impl_->options.library);
  w.EndRecord(record);
  if (absl::Status status = impl_->Write(bytes); !status.ok()) return status;
  impl_->state = State::kOpen;
  return absl::OkStatus();
}

absl::StatusOr<uint16_t> McapWriter::AddSchema(const std::string& name, const std::string& encoding,
                                               const std::string& data) {
  if (absl::Status status = impl_->Usable(); !status.ok()) return status;
  if (name.empty()) return absl::InvalidArgumentError("McapWriter::AddSchema: empty schema name");
  if (impl_->next_schema_id == UINT16_MAX) {
    return absl::ResourceExhaustedError("McapWriter::AddSchema: too many schemas");
  }
  uint16_t id = impl_->next_schema_id++;
  std::string record;
  ByteWriter w(&record);
  size_t r = w.BeginRecord(mcap::kSchema);
  w.U16(id);
  w.String(name);
  w.String(encoding);
  w.String(data);  // u32-length-prefixed bytes: the same encoding as a string
  w.EndRecord(r);
  if (absl::Status status = impl_->Write(record); !status.ok()) return status;
  impl_->summary.schema_records.push_back(std::move(record));
  return id;
}

absl::StatusOr<uint16_t> McapWriter::AddChannel(
    const std::string& topic, uint16_t schema_id, const std::string& message_encoding, int group,
    const std::map<std::string, std::string>& metadata) {
  if (absl::Status status = impl_->Usable(); !status.ok()) return status;
  if (schema_id >= impl_->next_schema_id) {
    return absl::InvalidArgumentError(
        absl::StrCat("McapWriter::AddChannel: ", topic, ": unknown schema id ", schema_id));
  }
  if (schema_id == 0 && message_encoding == "protobuf") {
    return absl::InvalidArgumentError(
        absl::StrCat("McapWriter::AddChannel: ", topic, ": a protobuf channel needs a schema"));
  }
  if (impl_->next_channel_id == UINT16_MAX) {
    return absl::ResourceExhaustedError("McapWriter::AddChannel: too many channels");
  }
  uint16_t id = impl_->next_channel_id++;
  std::string record;
  ByteWriter w(&record);
  size_t r = w.BeginRecord(mcap::kChannel);
  w.U16(id);
  w.U16(schema_id);
  w.String(topic);
  w.String(message_encoding);
  w.StringMap(metadata);
  w.EndRecord(r);
  if (absl::Status status = impl_->Write(record); !status.ok()) return status;
  impl_->summary.channel_records.push_back(std::move(record));
  impl_->summary.channel_message_counts[id] = 0;
  impl_->channels[id].group = group;
  impl_->chunks[group];  // so Flush visits groups in a stable order
  return id;
}

absl::Status McapWriter::WriteMetadata(const std::string& name,
                                       const std::map<std::string, std::string>& metadata) {
  if (absl::Status status = impl_->Usable(); !status.ok()) return status;
  std::string record;
  ByteWriter w(&record);
  size_t r = w.BeginRecord(mcap::kMetadata);
  w.String(name);
  w.StringMap(metadata);
  w.EndRecord(r);
  mcap::MetadataIndex index{impl_->offset, record.size(), name};
  if (absl::Status status = impl_->Write(record); !status.ok()) return status;
  impl_->summary.metadata_indexes.push_back(std::move(index));
  return absl::OkStatus();
}

absl::Status McapWriter::WriteMessage(uint16_t channel_id, uint32_t sequence, uint64_t log_time,
                                      uint64_t publish_time, const uint8_t* data, size_t size) {
  Impl& impl = *impl_;
  if (absl::Status status = impl.Usable(); !status.ok()) return status;
  auto channel = impl.channels.find(channel_id);
  if (channel == impl.channels.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("McapWriter::WriteMessage: unknown channel id ", channel_id));
  }
  OpenChunk& chunk = impl.chunks[channel->second.group];
  const auto max_span =
      static_cast<uint64_t>(std::max<int64_t>(impl.MaxChunkSpanNs(channel->second.group), 1));
  if (!chunk.empty() &&
      std::max(chunk.end_time, log_time) - std::min(chunk.start_time, log_time) >= max_span) {
    if (absl::Status status = impl.CloseChunk(chunk); !status.ok()) return status;
  }
  if (chunk.empty()) {
    chunk.start_time = chunk.end_time = log_time;
  } else {
    chunk.start_time = std::min(chunk.start_time, log_time);
    chunk.end_time = std::max(chunk.end_time, log_time);
  }
  chunk.index[channel_id].push_back({log_time, chunk.records.size()});
  ByteWriter w(&chunk.records);
  w.U8(mcap::kMessage);
  w.U64(mcap::kMessageHeaderSize + size);
  w.U16(channel_id);
  w.U32(sequence);
  w.U64(log_time);
  w.U64(publish_time);
  w.Bytes(data, size);
  ++chunk.message_count;

  mcap::SummaryContent& summary = impl.summary;
  if (summary.message_count == 0) {
    summary.message_start_time = summary.message_end_time = log_time;
  } else {
    summary.message_start_time = std::min(summary.message_start_time, log_time);
    summary.message_end_time = std::max(summary.message_end_time, log_time);
  }
  ++summary.message_count;
  ++summary.channel_message_counts[channel_id];

  if (chunk.records.size() >= impl.options.chunk_max_bytes) return impl.CloseChunk(chunk);
  return absl::OkStatus();
}

absl::Status McapWriter::CloseStaleChunks(uint64_t now_ns) {
  if (absl::Status status = impl_->Usable(); !status.ok()) return status;
  for (auto& [group, chunk] : impl_->chunks) {
    const auto max_span = static_cast<uint64_t>(std::max<int64_t>(impl_->MaxChunkSpanNs(group), 0));
    if (chunk.empty() || now_ns < chunk.start_time || now_ns - chunk.start_time < max_span)
      continue;
    if (absl::Status status = impl_->CloseChunk(chunk); !status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status McapWriter::Flush() {
  if (absl::Status status = impl_->Usable(); !status.ok()) return status;
  for (auto& [group, chunk] : impl_->chunks) {
    if (absl::Status status = impl_->CloseChunk(chunk); !status.ok()) return status;
  }
  return impl_->Sync();
}

absl::Status McapWriter::Finish() {
  if (absl::Status status = Flush(); !status.ok()) return status;
  Impl& impl = *impl_;
  std::string tail;
  mcap::AppendFileTail(impl.summary, impl.offset, impl.data_crc, &tail);
  if (absl::Status status = impl.Write(tail); !status.ok()) return status;
  if (absl::Status status = impl.Sync(); !status.ok()) return status;
  impl.state = State::kFinished;
  if (absl::Status status = impl.file->Close(); !status.ok()) {
    impl.failure = status;
    return status;
  }
  return absl::OkStatus();
}

uint64_t McapWriter::bytes_written() const { return impl_->offset; }
uint64_t McapWriter::message_count() const { return impl_->summary.message_count; }

std::string ProtobufSchemaData(const google::protobuf::Descriptor* descriptor) {
  google::protobuf::FileDescriptorSet set;
  std::set<const google::protobuf::FileDescriptor*> added;
  // Depth-first, each file after its imports.
  auto add = [&](auto&& self, const google::protobuf::FileDescriptor* file) -> void {
    if (!added.insert(file).second) return;
    for (int i = 0; i < file->dependency_count(); ++i) self(self, file->dependency(i));
    file->CopyTo(set.add_file());
  };
  add(add, descriptor->file());
  return set.SerializeAsString();
}

}  // namespace rollrig::recording
