#include "host/report/file_digest.h"

#include <array>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"
#include "rig/base/sha256.h"

namespace rollrig::report {

absl::StatusOr<std::string> Sha256OfFile(const recording::RandomAccessFile& file) {
  constexpr size_t kPiece = 1 << 20;
  std::vector<uint8_t> buffer(kPiece);
  Sha256 hash;
  const uint64_t size = file.size();
  for (uint64_t offset = 0; offset < size;) {
    absl::StatusOr<size_t> got = file.Read(offset, buffer.data(), kPiece);
    if (!got.ok()) return got.status();
    if (*got == 0) break;
    hash.Update(absl::string_view(reinterpret_cast<const char*>(buffer.data()), *got));
    offset += *got;
  }
  const std::array<uint8_t, 32> digest = hash.Finish();
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

}  // namespace rollrig::report
