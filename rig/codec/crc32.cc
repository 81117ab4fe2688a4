// CRC-32 as zlib computes it: reflected polynomial 0xEDB88320, initial value and final
// XOR 0xFFFFFFFF. One 256-entry table built at compile time, a byte per step: fast
// enough for full-speed USB many times over and small enough for a microcontroller.
#include <array>
#include <cstddef>
#include <cstdint>

#include "rig/codec/frame_codec.h"

namespace rollrig::codec {
namespace {

constexpr uint32_t kReflectedPolynomial = 0xEDB88320u;

constexpr std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t byte = 0; byte < 256; ++byte) {
    uint32_t crc = byte;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 1u) ? (crc >> 1) ^ kReflectedPolynomial : crc >> 1;
    }
    table[byte] = crc;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kCrcTable = MakeCrcTable();

// Known entries of zlib's table: a wrong generator fails the build, not a test run.
static_assert(kCrcTable[1] == 0x77073096u);
static_assert(kCrcTable[255] == 0x2D02EF8Du);

}  // namespace

uint32_t Crc32(const uint8_t* data, size_t n, uint32_t crc) {
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) {
    crc = kCrcTable[(crc ^ data[i]) & 0xFFu] ^ (crc >> 8);
  }
  return ~crc;
}

}  // namespace rollrig::codec
