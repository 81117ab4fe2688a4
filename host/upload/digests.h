// Checksums of what is uploaded: the SHA-256 the manifest and the object's metadata carry,
// and the MD5s a store's ETag is made of (MD5 of the object for a single PUT; for a
// multipart upload AWS gives MD5 of the parts' MD5s + "-N", some stores the object's MD5).
// Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rollrig::upload {

std::string Sha256Hex(absl::string_view data);
std::string Md5Hex(absl::string_view data);

struct FileDigests {
  uint64_t size = 0;
  std::string sha256_hex;                 // of the whole file
  std::string md5_hex;                    // of the whole file
  std::vector<std::string> part_md5_hex;  // of each part_size piece (multipart)
  // The ETag of the file uploaded in parts of part_size: MD5 of the parts' MD5s, "-N".
  std::string MultipartEtag() const;
};

// Reads the file once. Errors name the path.
absl::StatusOr<FileDigests> DigestFile(const std::string& path, uint64_t part_size);

// An ETag without its quotes (stores send "\"abc\"").
std::string UnquoteEtag(absl::string_view etag);

}  // namespace rollrig::upload
