// Who may scrape /metrics beyond loopback: HTTP basic auth against a file of
// `USER:HASH` lines, HASH being `sha256:HEX` (the password's SHA-256, 64 lower-case hex
// digits: printf %s PASSWORD | sha256sum) or a bcrypt hash ($2b$/$2y$/$2a$, as
// Prometheus's own web config and htpasswd -B make), checked with crypt(3). Blank lines
// and lines starting with # are ignored.
//
// Thread safety: a loaded MetricsAuth is immutable; Check may run on any thread.
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace rollrig::host {

class MetricsAuth {
 public:
  // INVALID_ARGUMENT naming FILE:LINE and what is wrong; NOT_FOUND for a missing file.
  static absl::StatusOr<MetricsAuth> Load(const std::string& path);
  static absl::StatusOr<MetricsAuth> Parse(const std::string& text, const std::string& name);

  bool Check(const std::string& user, const std::string& password) const;
  size_t size() const { return hashes_.size(); }

 private:
  std::map<std::string, std::string> hashes_;  // user -> hash as written
};

}  // namespace rollrig::host
