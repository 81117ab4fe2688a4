// SHA-256 (FIPS 180-4): fingerprints profiles and hashes rigd's access tokens (the
// credentials file keeps only their digests). Small and dependency-free; not meant for
// bulk data. Thread rules: a Sha256 object is used by one thread; Sha256Hex is pure.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace rollrig {

class Sha256 {
 public:
  Sha256();

  // Appends bytes to the message; may be called any number of times.
  void Update(absl::string_view data);

  // Pads, finishes and returns the 32-byte digest. The object must not be used after.
  std::array<uint8_t, 32> Finish();

 private:
  void ProcessBlock(const uint8_t* block);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_;
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

// The SHA-256 of `data` as 64 lowercase hex digits.
std::string Sha256Hex(absl::string_view data);

}  // namespace rollrig
