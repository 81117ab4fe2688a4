#include "host/recording/mcap_summary.h"

namespace rollrig::recording::mcap {
namespace {

struct Group {
  Opcode opcode;
  uint64_t start;
  uint64_t length;
};

}  // namespace

void AppendFileTail(const SummaryContent& summary, uint64_t data_end_offset,
                    uint32_t data_section_crc, std::string* out) {
  const size_t base = out->size();
  auto file_offset = [&](size_t at) { return data_end_offset + (at - base); };
  ByteWriter w(out);

  size_t record = w.BeginRecord(kDataEnd);
  w.U32(data_section_crc);
  w.EndRecord(record);

  const size_t summary_at = out->size();
  std::vector<Group> groups;
  auto group = [&](Opcode opcode, auto&& write_records) {
    size_t start = out->size();
    write_records();
    if (out->size() > start) groups.push_back({opcode, file_offset(start), out->size() - start});
  };
  group(kSchema, [&] {
    for (const std::string& r : summary.schema_records) out->append(r);
  });
  group(kChannel, [&] {
    for (const std::string& r : summary.channel_records) out->append(r);
  });
  group(kStatistics, [&] {
    size_t stats = w.BeginRecord(kStatistics);
    w.U64(summary.message_count);
    w.U16(static_cast<uint16_t>(summary.schema_records.size()));
    w.U32(static_cast<uint32_t>(summary.channel_records.size()));
    w.U32(static_cast<uint32_t>(summary.attachment_indexes.size()));
    w.U32(static_cast<uint32_t>(summary.metadata_indexes.size()));
    w.U32(static_cast<uint32_t>(summary.chunk_indexes.size()));
    w.U64(summary.message_start_time);
    w.U64(summary.message_end_time);
    w.U32(static_cast<uint32_t>(summary.channel_message_counts.size() * 10));
    for (const auto& [channel, count] : summary.channel_message_counts) {
      w.U16(channel);
      w.U64(count);
    }
    w.EndRecord(stats);
  });
  group(kChunkIndex, [&] {
    for (const ChunkIndex& index : summary.chunk_indexes) AppendChunkIndex(index, out);
  });
  group(kMetadataIndex, [&] {
    for (const MetadataIndex& index : summary.metadata_indexes) {
      size_t r = w.BeginRecord(kMetadataIndex);
      w.U64(index.offset);
      w.U64(index.length);
      w.String(index.name);
      w.EndRecord(r);
    }
  });
  group(kAttachmentIndex, [&] {
    for (const AttachmentIndex& index : summary.attachment_indexes) {
      size_t r = w.BeginRecord(kAttachmentIndex);
      w.U64(index.offset);
      w.U64(index.length);
      w.U64(index.log_time);
      w.U64(index.create_time);
      w.U64(index.data_size);
      w.String(index.name);
      w.String(index.media_type);
      w.EndRecord(r);
    }
  });

  const size_t summary_offsets_at = out->size();
  for (const Group& g : groups) {
    size_t r = w.BeginRecord(kSummaryOffset);
    w.U8(g.opcode);
    w.U64(g.start);
    w.U64(g.length);
    w.EndRecord(r);
  }

  // The footer's length is written up front: the CRC below covers it.
  w.U8(kFooter);
  w.U64(kFooterContentSize);
  w.U64(file_offset(summary_at));
  w.U64(groups.empty() ? 0 : file_offset(summary_offsets_at));
  // The summary CRC covers the summary through the footer's summary_offset_start field.
  uint32_t crc = Crc32Update(0, out->data() + summary_at, out->size() - summary_at);
  w.U32(crc);
  w.Bytes(kMagic, kMagicSize);
}

}  // namespace rollrig::recording::mcap
