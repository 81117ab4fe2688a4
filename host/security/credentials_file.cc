#include "host/security/credentials_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace rollrig::host {
namespace {

constexpr absl::string_view kTokenPrefix = "sha256:";
constexpr absl::string_view kSubjectPrefix = "cert:";
constexpr absl::string_view kExpiresPrefix = "expires=";

absl::Status LineError(int line, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("line ", line, ": ", what));
}

std::optional<Role> RoleNamed(absl::string_view name) {
  for (Role role : {Role::kObserver, Role::kOperator, Role::kAdmin}) {
    const std::string_view role_name = RoleName(role);
    if (absl::string_view(role_name.data(), role_name.size()) == name) return role;
  }
  return std::nullopt;
}

bool IsLowerHex(absl::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// "YYYY-MM-DD" of a real date -> the Unix time (ns) at the start of the next day, UTC.
std::optional<int64_t> EndOfDayUnixNanos(absl::string_view date) {
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return std::nullopt;
  int year = 0, month = 0, day = 0;
  if (!absl::SimpleAtoi(date.substr(0, 4), &year) || !absl::SimpleAtoi(date.substr(5, 2), &month) ||
      !absl::SimpleAtoi(date.substr(8, 2), &day)) {
    return std::nullopt;
  }
  for (char c : date) {
    if (c != '-' && !absl::ascii_isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  const absl::CivilDay civil(year, month, day);
  if (civil.year() != year || civil.month() != month || civil.day() != day) return std::nullopt;
  return absl::ToUnixNanos(absl::FromCivil(civil + 1, absl::UTCTimeZone()));
}

// The fields after `sha256:HEX`: at most one expires=DATE.
absl::Status ParseTokenOptions(const std::vector<absl::string_view>& options, int line,
                               Credential* c) {
  for (absl::string_view option : options) {
    if (option.substr(0, kExpiresPrefix.size()) != kExpiresPrefix) {
      return LineError(line,
                       "unexpected text after the token's hash; only "
                       "expires=YYYY-MM-DD may follow it");
    }
    if (c->expires_unix_ns) return LineError(line, "expires= is given twice");
    const absl::string_view date = option.substr(kExpiresPrefix.size());
    c->expires_unix_ns = EndOfDayUnixNanos(date);
    if (!c->expires_unix_ns) {
      return LineError(line, absl::StrCat("bad date '", date.substr(0, 16),
                                          "' in expires= (expected a real date as YYYY-MM-DD)"));
    }
    c->expires_date = std::string(date);
  }
  return absl::OkStatus();
}

// The credential of a line: `fields[2]` and what follows it (`rest`, the line from the
// credential on, for a subject with spaces).
absl::Status ParseCredentialField(const std::vector<absl::string_view>& fields,
                                  absl::string_view rest, int line, Credential* c) {
  const absl::string_view field = fields[2];
  if (field.substr(0, kTokenPrefix.size()) == kTokenPrefix) {
    const absl::string_view hex = field.substr(kTokenPrefix.size());
    if (hex.size() != 64 || !IsLowerHex(hex)) {
      return LineError(line, absl::StrCat("sha256: needs the token's SHA-256 as 64 lower-case "
                                          "hex digits (got ",
                                          hex.size(), " characters",
                                          hex.size() == 64 ? ", not all lower-case hex" : "",
                                          "); make it with: printf %s TOKEN | sha256sum"));
    }
    c->token_sha256 = std::string(hex);
    return ParseTokenOptions({fields.begin() + 3, fields.end()}, line, c);
  }
  if (field.substr(0, kSubjectPrefix.size()) == kSubjectPrefix) {
    c->subject = std::string(absl::StripAsciiWhitespace(rest.substr(kSubjectPrefix.size())));
    if (c->subject.empty()) {
      return LineError(line,
                       "cert: needs the client certificate's subject (RFC 2253, as "
                       "openssl x509 -noout -subject -nameopt RFC2253 prints it)");
    }
    return absl::OkStatus();
  }
  return LineError(line, "the credential must be sha256:HEX or cert:SUBJECT");
}

absl::StatusOr<Credential> ParseLine(absl::string_view text, int line) {
  const std::vector<absl::string_view> fields =
      absl::StrSplit(text, absl::ByAnyChar(" \t"), absl::SkipEmpty());
  Credential c;
  c.line = line;
  const std::optional<Role> role = RoleNamed(fields[0]);
  if (!role) {
    return LineError(line, absl::StrCat("unknown role '", fields[0].substr(0, 32),
                                        "' (expected observer, operator or admin)"));
  }
  c.role = *role;
  if (fields.size() < 2) return LineError(line, "missing the identity after the role");
  c.identity = std::string(fields[1]);
  if (fields.size() < 3) {
    return LineError(line,
                     "missing the credential (sha256:HEX or cert:SUBJECT) after the "
                     "identity");
  }
  const size_t at = static_cast<size_t>(fields[2].data() - text.data());
  if (absl::Status s = ParseCredentialField(fields, text.substr(at), line, &c); !s.ok()) return s;
  return c;
}

}  // namespace

absl::StatusOr<std::vector<Credential>> ParseCredentials(std::string_view whole) {
  const absl::string_view text(whole.data(), whole.size());
  std::vector<Credential> credentials;
  std::map<std::string, int> token_lines, subject_lines;
  int line = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++line;
    const absl::string_view content = absl::StripAsciiWhitespace(raw);
    if (content.empty() || content[0] == '#') continue;
    absl::StatusOr<Credential> c = ParseLine(content, line);
    if (!c.ok()) return c.status();
    if (!c->token_sha256.empty()) {
      auto [it, fresh] = token_lines.emplace(c->token_sha256, line);
      if (!fresh) return LineError(line, absl::StrCat("the same token as line ", it->second));
    } else {
      auto [it, fresh] = subject_lines.emplace(c->subject, line);
      if (!fresh) {
        return LineError(line, absl::StrCat("the same certificate subject as line ", it->second));
      }
    }
    credentials.push_back(*std::move(c));
  }
  return credentials;
}

absl::StatusOr<std::vector<Credential>> ReadCredentialsFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    const std::string why =
        absl::StrCat("cannot read credentials file ", path, ": ", std::strerror(err));
    return err == ENOENT   ? absl::NotFoundError(why)
           : err == EACCES ? absl::PermissionDeniedError(why)
                           : absl::FailedPreconditionError(why);
  }
  std::ostringstream text;
  text << in.rdbuf();
  absl::StatusOr<std::vector<Credential>> parsed = ParseCredentials(text.str());
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("credentials file ", path, ": ", parsed.status().message()));
  }
  return parsed;
}

}  // namespace rollrig::host
