#include "host/security/presented_credential.h"

#include "absl/strings/str_cat.h"
#include "rig/base/sha256.h"

namespace rollrig::host {
namespace {

constexpr std::string_view kBearer = "Bearer ";

// A token is printable ASCII without spaces (what a header value can carry).
bool IsTokenText(std::string_view token) {
  for (char c : token) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<PresentedCredential> PresentedCredentialOf(
    std::optional<std::string_view> authorization, std::optional<std::string_view> subject) {
  PresentedCredential presented;
  if (authorization) {
    if (authorization->size() > kMaxAuthorizationBytes) {
      return absl::UnauthenticatedError(
          absl::StrCat("oversized token: the authorization metadata is ", authorization->size(),
                       " bytes; at most ", kMaxAuthorizationBytes, " are accepted"));
    }
    const std::string_view token = authorization->substr(
        authorization->substr(0, kBearer.size()) == kBearer ? kBearer.size() : 0);
    if (token.size() == authorization->size() || token.empty() || !IsTokenText(token)) {
      return absl::UnauthenticatedError(
          "malformed token: the authorization metadata must be 'Bearer TOKEN' (one token of "
          "printable characters without spaces)");
    }
    presented.kind = PresentedCredential::Kind::kToken;
    presented.key = Sha256Hex(absl::string_view(token.data(), token.size()));
  } else if (subject) {
    presented.kind = PresentedCredential::Kind::kCertificate;
    presented.key = std::string(*subject);
  }
  return presented;
}

}  // namespace rollrig::host
