#include "host/upload/digests.h"

#include <openssl/evp.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace rollrig::upload {
namespace {

using DigestContext = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

DigestContext NewContext(const EVP_MD* md) {
  DigestContext ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), md, nullptr);
  return ctx;
}

std::string Finish(EVP_MD_CTX* ctx) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string Raw(const EVP_MD* md, absl::string_view data) {
  DigestContext ctx = NewContext(md);
  EVP_DigestUpdate(ctx.get(), data.data(), data.size());
  return Finish(ctx.get());
}

}  // namespace

std::string Sha256Hex(absl::string_view data) {
  return absl::BytesToHexString(Raw(EVP_sha256(), data));
}

std::string Md5Hex(absl::string_view data) { return absl::BytesToHexString(Raw(EVP_md5(), data)); }

std::string FileDigests::MultipartEtag() const {
  std::string joined;
  for (const std::string& hex : part_md5_hex) joined += absl::HexStringToBytes(hex);
  return absl::StrCat(Md5Hex(joined), "-", part_md5_hex.size());
}

absl::StatusOr<FileDigests> DigestFile(const std::string& path, uint64_t part_size) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path, ": ", strerror(errno)));
  FileDigests d;
  DigestContext sha = NewContext(EVP_sha256());
  DigestContext md5 = NewContext(EVP_md5());
  DigestContext part = NewContext(EVP_md5());
  uint64_t in_part = 0;
  std::string buffer(1 << 20, '\0');
  while (in) {
    const uint64_t want = std::min<uint64_t>(buffer.size(), part_size - in_part);
    in.read(buffer.data(), static_cast<std::streamsize>(want));
    const auto got = static_cast<size_t>(in.gcount());
    if (got == 0) break;
    EVP_DigestUpdate(sha.get(), buffer.data(), got);
    EVP_DigestUpdate(md5.get(), buffer.data(), got);
    EVP_DigestUpdate(part.get(), buffer.data(), got);
    d.size += got;
    in_part += got;
    if (in_part == part_size) {
      d.part_md5_hex.push_back(absl::BytesToHexString(Finish(part.get())));
      part = NewContext(EVP_md5());
      in_part = 0;
    }
  }
  if (in.bad()) return absl::DataLossError(absl::StrCat("cannot read ", path));
  if (in_part > 0 || d.size == 0) {
    d.part_md5_hex.push_back(absl::BytesToHexString(Finish(part.get())));
  }
  d.sha256_hex = absl::BytesToHexString(Finish(sha.get()));
  d.md5_hex = absl::BytesToHexString(Finish(md5.get()));
  return d;
}

std::string UnquoteEtag(absl::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return std::string(etag);
}

}  // namespace rollrig::upload
