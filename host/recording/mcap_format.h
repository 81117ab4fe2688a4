// The MCAP wire format (https://mcap.dev/spec): opcodes, magic, the CRC-32, and
// little-endian encoding and bounds-checked decoding of record fields. Internal to
// rollrig_recording.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>

namespace rollrig::recording::mcap {

inline constexpr uint8_t kMagic[8] = {0x89, 'M', 'C', 'A', 'P', '0', '\r', '\n'};
inline constexpr size_t kMagicSize = 8;
inline constexpr size_t kRecordHeaderSize = 9;  // opcode u8 + content length u64

enum Opcode : uint8_t {
  kHeader = 0x01,
  kFooter = 0x02,
  kSchema = 0x03,
  kChannel = 0x04,
  kMessage = 0x05,
  kChunk = 0x06,
  kMessageIndex = 0x07,
  kChunkIndex = 0x08,
  kAttachment = 0x09,
  kAttachmentIndex = 0x0A,
  kStatistics = 0x0B,
  kMetadata = 0x0C,
  kMetadataIndex = 0x0D,
  kSummaryOffset = 0x0E,
  kDataEnd = 0x0F,
};

inline constexpr size_t kFooterContentSize = 8 + 8 + 4;
inline constexpr size_t kFooterRecordSize = kRecordHeaderSize + kFooterContentSize;
inline constexpr size_t kDataEndRecordSize = kRecordHeaderSize + 4;
inline constexpr size_t kMessageHeaderSize = 2 + 4 + 8 + 8;

// The reflected CRC-32 of zlib's crc32(); Crc32Update(0, "123456789") == 0xCBF43926.
uint32_t Crc32Update(uint32_t crc, const void* data, size_t n);

// Whether `n` bytes of zstd data can decompress to `claimed` bytes, by zstd's own bound
// from its frame and block headers (exact when the frame records its size). Check it
// before allocating what a chunk's (possibly damaged) uncompressed size claims.
bool ZstdCanHold(const uint8_t* data, size_t n, uint64_t claimed);

// Appends little-endian fields to a byte string.
class ByteWriter {
 public:
  explicit ByteWriter(std::string* out) : out_(out) {}
  void U8(uint8_t v) { out_->push_back(static_cast<char>(v)); }
  void U16(uint16_t v) { Raw(v); }
  void U32(uint32_t v) { Raw(v); }
  void U64(uint64_t v) { Raw(v); }
  void Bytes(const void* data, size_t n) { out_->append(static_cast<const char*>(data), n); }
  void String(const std::string& s) {
    U32(static_cast<uint32_t>(s.size()));
    Bytes(s.data(), s.size());
  }
  void StringMap(const std::map<std::string, std::string>& map);
  // Starts a record; returns where its length field sits, for EndRecord.
  size_t BeginRecord(Opcode opcode) {
    U8(opcode);
    size_t at = out_->size();
    U64(0);
    return at;
  }
  void EndRecord(size_t length_at) { PatchU64(length_at, out_->size() - length_at - 8); }
  void PatchU32(size_t at, uint32_t v) { std::memcpy(out_->data() + at, &v, 4); }
  void PatchU64(size_t at, uint64_t v) { std::memcpy(out_->data() + at, &v, 8); }
  size_t size() const { return out_->size(); }

 private:
  template <typename T>
  void Raw(T v) {
    static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "MCAP is little-endian");
    out_->append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  std::string* out_;
};

// Reads little-endian fields from a byte range; any read past the end fails the reader
// (ok() turns false and every later read yields zeros).
class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool ok() const { return ok_; }
  size_t position() const { return pos_; }
  size_t remaining() const { return ok_ ? size_ - pos_ : 0; }
  const uint8_t* current() const { return data_ + pos_; }

  uint8_t U8() { return Fixed<uint8_t>(); }
  uint16_t U16() { return Fixed<uint16_t>(); }
  uint32_t U32() { return Fixed<uint32_t>(); }
  uint64_t U64() { return Fixed<uint64_t>(); }
  std::string String() {
    uint32_t n = U32();
    return Take(n);
  }
  // Bytes prefixed by a u32 (Schema data) or u64 (Chunk records) length; a view into the
  // range (valid while it is).
  bool Bytes32(const uint8_t** out, size_t* n) { return View(U32(), out, n); }
  bool Bytes64(const uint8_t** out, size_t* n) { return View(U64(), out, n); }
  std::map<std::string, std::string> StringMap();
  bool Skip(uint64_t n) {
    if (!ok_ || n > size_ - pos_) return ok_ = false;
    pos_ += n;
    return true;
  }

 private:
  template <typename T>
  T Fixed() {
    T v{};
    if (!ok_ || size_ - pos_ < sizeof v) {
      ok_ = false;
      return v;
    }
    std::memcpy(&v, data_ + pos_, sizeof v);
    pos_ += sizeof v;
    return v;
  }
  std::string Take(uint64_t n) {
    if (!ok_ || n > size_ - pos_) {
      ok_ = false;
      return {};
    }
    std::string s(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return s;
  }
  bool View(uint64_t n, const uint8_t** out, size_t* out_n) {
    if (!ok_ || n > size_ - pos_) return ok_ = false;
    *out = data_ + pos_;
    *out_n = n;
    pos_ += n;
    return true;
  }

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// A Chunk Index record's fields.
struct ChunkIndex {
  uint64_t message_start_time = 0;
  uint64_t message_end_time = 0;
  uint64_t chunk_start_offset = 0;
  uint64_t chunk_length = 0;
  std::map<uint16_t, uint64_t> message_index_offsets;
  uint64_t message_index_length = 0;
  std::string compression;
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
};
void AppendChunkIndex(const ChunkIndex& index, std::string* out);
bool ParseChunkIndex(const uint8_t* content, size_t n, ChunkIndex* index);

// A Chunk record's header fields and a view of its (compressed) records.
struct ChunkHeader {
  uint64_t message_start_time = 0;
  uint64_t message_end_time = 0;
  uint64_t uncompressed_size = 0;
  uint32_t uncompressed_crc = 0;
  std::string compression;
  const uint8_t* records = nullptr;
  size_t records_size = 0;
};
bool ParseChunkHeader(const uint8_t* content, size_t n, ChunkHeader* chunk);

struct Footer {
  uint64_t summary_start = 0;
  uint64_t summary_offset_start = 0;
  uint32_t summary_crc = 0;
};

}  // namespace rollrig::recording::mcap
