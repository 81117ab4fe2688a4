#include "host/security/access_control.h"

#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "host/security/rpc_roles.h"
#include "rig/base/bounded_text.h"

namespace rollrig::host {

struct AccessControl::Table {
  std::unordered_map<std::string, Credential> by_token_sha256;
  std::unordered_map<std::string, Credential> by_subject;
};

AccessControl::AccessControl(Clock* wall_clock)
    : wall_clock_(wall_clock), table_(std::make_shared<const Table>()) {}

AccessControl::~AccessControl() = default;

absl::Status AccessControl::Load(const std::string& path) {
  absl::StatusOr<std::vector<Credential>> credentials = ReadCredentialsFile(path);
  if (!credentials.ok()) return credentials.status();
  Replace(*std::move(credentials));
  return absl::OkStatus();
}

void AccessControl::Replace(std::vector<Credential> credentials) {
  auto table = std::make_shared<Table>();
  for (Credential& c : credentials) {
    if (!c.token_sha256.empty()) {
      table->by_token_sha256.emplace(c.token_sha256, std::move(c));
    } else {
      table->by_subject.emplace(c.subject, std::move(c));
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    table_ = std::move(table);
  }
  generation_.fetch_add(1);
}

std::shared_ptr<const AccessControl::Table> AccessControl::table() const {
  std::lock_guard<std::mutex> lock(mu_);
  return table_;
}

size_t AccessControl::size() const {
  const std::shared_ptr<const Table> t = table();
  return t->by_token_sha256.size() + t->by_subject.size();
}

absl::StatusOr<Caller> AccessControl::Identify(const PresentedCredential& presented) const {
  using Kind = PresentedCredential::Kind;
  const std::shared_ptr<const Table> t = table();
  const Credential* found = nullptr;
  if (presented.kind == Kind::kToken) {
    auto it = t->by_token_sha256.find(presented.key);
    if (it == t->by_token_sha256.end()) {
      return absl::UnauthenticatedError(
          "unknown token: this rig's credentials do not hold it (revoked, mistyped, or meant "
          "for another rig)");
    }
    found = &it->second;
  } else if (presented.kind == Kind::kCertificate) {
    auto it = t->by_subject.find(presented.key);
    if (it == t->by_subject.end()) {
      return absl::UnauthenticatedError(absl::StrCat(
          "client certificate ", QuoteInput(presented.key), " is not in this rig's credentials"));
    }
    found = &it->second;
  } else {
    return absl::UnauthenticatedError(
        "no credential: this rig needs a token (metadata 'authorization: Bearer TOKEN') or a "
        "client certificate");
  }
  if (found->expires_unix_ns && wall_clock_->NowNanos() >= *found->expires_unix_ns) {
    return absl::UnauthenticatedError(absl::StrCat("expired token: the token of ", found->identity,
                                                   " expired at the end of ", found->expires_date,
                                                   " (UTC)"));
  }
  return Caller{found->identity, found->role, /*authenticated=*/true};
}

absl::StatusOr<Caller> AccessControl::Admit(const PresentedCredential& presented,
                                            std::string_view method) const {
  absl::StatusOr<Caller> caller = Identify(presented);
  if (!caller.ok()) return caller.status();
  if (absl::Status s = Authorize(*caller, method); !s.ok()) return s;
  return caller;
}

}  // namespace rollrig::host
