// rigd's credentials file: who may call rigd, with which role. Plain text, one credential
// per line; blank lines and lines starting with `#` are ignored:
//
//   ROLE IDENTITY sha256:HEX [expires=YYYY-MM-DD]   a token, kept only as its SHA-256
//   ROLE IDENTITY cert:SUBJECT                      a client certificate's subject
//
// ROLE is observer, operator or admin; HEX is the token's SHA-256 as 64 lower-case hex
// digits; SUBJECT is the rest of the line, in RFC 2253 form as
// `openssl x509 -noout -subject -nameopt RFC2253` prints it (without "subject=").
// A token with expires= is valid up to the end of that day, UTC.
//
// Errors name the line and what is wrong, and never quote a hash or anything after it.
// Pure functions apart from ReadCredentialsFile (which reads the file); thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "host/security/caller.h"

namespace rollrig::host {

struct Credential {
  Role role = Role::kObserver;
  std::string identity;
  // Exactly one of the two is set.
  std::string token_sha256;  // 64 lower-case hex digits
  std::string subject;       // a client certificate's subject, RFC 2253
  // For a token with expires=: the first Unix time (ns) it no longer admits, and the date
  // as written.
  std::optional<int64_t> expires_unix_ns;
  std::string expires_date;
  int line = 0;  // where it stands in the file, from 1
};

// INVALID_ARGUMENT "line N: WHAT" for the first bad line: unknown role, missing
// identity or credential, a HEX that is not 64 lower-case hex digits, a bad date, text
// after the credential, a token or subject already given on an earlier line.
absl::StatusOr<std::vector<Credential>> ParseCredentials(std::string_view text);

// Reads and parses `path`. Errors name the file: "credentials file PATH: line N: WHAT",
// or why it cannot be read (NOT_FOUND, PERMISSION_DENIED, ...).
absl::StatusOr<std::vector<Credential>> ReadCredentialsFile(const std::string& path);

}  // namespace rollrig::host
