#include "host/metrics/metrics_auth.h"

#include <crypt.h>

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "rig/base/sha256.h"

namespace rollrig::host {
namespace {

constexpr absl::string_view kSha256 = "sha256:";

bool IsLowerHex(absl::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsBcrypt(absl::string_view h) {
  return absl::StartsWith(h, "$2b$") || absl::StartsWith(h, "$2y$") || absl::StartsWith(h, "$2a$");
}

// Compares all of both, so the time does not tell how much matched.
bool SameText(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

absl::Status CheckHash(absl::string_view hash, const std::string& where) {
  if (absl::StartsWith(hash, kSha256)) {
    const absl::string_view hex = hash.substr(kSha256.size());
    if (hex.size() == 64 && IsLowerHex(hex)) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": sha256: needs the password's SHA-256 as 64 lower-case hex digits (got ",
        hex.size(), " characters); make it with: printf %s PASSWORD | sha256sum"));
  }
  if (IsBcrypt(hash)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      where, ": the hash must be sha256:HEX or a bcrypt hash ($2b$..., htpasswd -nB USER)"));
}

}  // namespace

absl::StatusOr<MetricsAuth> MetricsAuth::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read metrics auth file ", path));
  std::stringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path);
}

absl::StatusOr<MetricsAuth> MetricsAuth::Parse(const std::string& text, const std::string& name) {
  MetricsAuth auth;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    const std::string where = absl::StrCat(name, ":", number);
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos || colon == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": expected USER:HASH (sha256:HEX or a bcrypt hash)"));
    }
    const std::string user(line.substr(0, colon));
    const absl::string_view hash = line.substr(colon + 1);
    if (absl::Status s = CheckHash(hash, where); !s.ok()) return s;
    if (!auth.hashes_.emplace(user, std::string(hash)).second) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": user ", user, " is listed twice"));
    }
  }
  if (auth.hashes_.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": no USER:HASH line"));
  }
  return auth;
}

bool MetricsAuth::Check(const std::string& user, const std::string& password) const {
  const auto it = hashes_.find(user);
  if (it == hashes_.end()) return false;
  const std::string& hash = it->second;
  if (absl::StartsWith(hash, kSha256)) {
    return SameText(Sha256Hex(password), absl::string_view(hash).substr(kSha256.size()));
  }
  crypt_data data{};
  const char* out = crypt_r(password.c_str(), hash.c_str(), &data);
  return out != nullptr && out[0] != '*' && SameText(out, hash);
}

}  // namespace rollrig::host
