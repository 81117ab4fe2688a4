#include "host/recording/mcap_format.h"

// ZSTD_decompressBound sits in zstd's static-linking section; Debian's libzstd (1.5)
// exports it.
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include <array>

namespace rollrig::recording::mcap {
namespace {

// Slicing-by-8 tables for the reflected polynomial 0xEDB88320, built at compile time.
constexpr std::array<std::array<uint32_t, 256>, 8> MakeCrcTables() {
  std::array<std::array<uint32_t, 256>, 8> tables{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    tables[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; ++i) {
    for (int t = 1; t < 8; ++t) {
      tables[t][i] = (tables[t - 1][i] >> 8) ^ tables[0][tables[t - 1][i] & 0xFF];
    }
  }
  return tables;
}
constexpr auto kCrcTables = MakeCrcTables();

}  // namespace

bool ZstdCanHold(const uint8_t* data, size_t n, uint64_t claimed) {
  const unsigned long long bound = ZSTD_decompressBound(data, n);
  return bound != ZSTD_CONTENTSIZE_ERROR && claimed <= bound;
}

uint32_t Crc32Update(uint32_t crc, const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint32_t c = ~crc;
  while (n >= 8) {
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + 4, 4);
    lo ^= c;
    c = kCrcTables[7][lo & 0xFF] ^ kCrcTables[6][(lo >> 8) & 0xFF] ^
        kCrcTables[5][(lo >> 16) & 0xFF] ^ kCrcTables[4][lo >> 24] ^ kCrcTables[3][hi & 0xFF] ^
        kCrcTables[2][(hi >> 8) & 0xFF] ^ kCrcTables[1][(hi >> 16) & 0xFF] ^
        kCrcTables[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) c = kCrcTables[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
  return ~c;
}

void ByteWriter::StringMap(const std::map<std::string, std::string>& map) {
  size_t length_at = size();
  U32(0);
  for (const auto& [key, value] : map) {
    String(key);
    String(value);
  }
  PatchU32(length_at, static_cast<uint32_t>(size() - length_at - 4));
}

std::map<std::string, std::string> ByteReader::StringMap() {
  std::map<std::string, std::string> map;
  const uint8_t* entries;
  size_t n;
  if (!Bytes32(&entries, &n)) return map;
  ByteReader inner(entries, n);
  while (inner.ok() && inner.remaining() > 0) {
    std::string key = inner.String();
    std::string value = inner.String();
    if (inner.ok()) map.emplace(std::move(key), std::move(value));
  }
  if (!inner.ok()) ok_ = false;
  return map;
}

void AppendChunkIndex(const ChunkIndex& index, std::string* out) {
  ByteWriter w(out);
  size_t record = w.BeginRecord(kChunkIndex);
  w.U64(index.message_start_time);
  w.U64(index.message_end_time);
  w.U64(index.chunk_start_offset);
  w.U64(index.chunk_length);
  w.U32(static_cast<uint32_t>(index.message_index_offsets.size() * 10));
  for (const auto& [channel, offset] : index.message_index_offsets) {
    w.U16(channel);
    w.U64(offset);
  }
  w.U64(index.message_index_length);
  w.String(index.compression);
  w.U64(index.compressed_size);
  w.U64(index.uncompressed_size);
  w.EndRecord(record);
}

bool ParseChunkIndex(const uint8_t* content, size_t n, ChunkIndex* index) {
  ByteReader r(content, n);
  index->message_start_time = r.U64();
  index->message_end_time = r.U64();
  index->chunk_start_offset = r.U64();
  index->chunk_length = r.U64();
  const uint8_t* offsets;
  size_t offsets_size;
  if (r.Bytes32(&offsets, &offsets_size)) {
    if (offsets_size % 10 != 0) return false;
    ByteReader o(offsets, offsets_size);
    while (o.remaining() > 0) {
      uint16_t channel = o.U16();
      index->message_index_offsets[channel] = o.U64();
    }
  }
  index->message_index_length = r.U64();
  index->compression = r.String();
  index->compressed_size = r.U64();
  index->uncompressed_size = r.U64();
  return r.ok();
}

bool ParseChunkHeader(const uint8_t* content, size_t n, ChunkHeader* chunk) {
  ByteReader r(content, n);
  chunk->message_start_time = r.U64();
  chunk->message_end_time = r.U64();
  chunk->uncompressed_size = r.U64();
  chunk->uncompressed_crc = r.U32();
  chunk->compression = r.String();
  r.Bytes64(&chunk->records, &chunk->records_size);
  return r.ok();
}

}  // namespace rollrig::recording::mcap
