// What a call presents to prove who it is: a bearer token (gRPC metadata
// `authorization: Bearer TOKEN`) or a client certificate that TLS has verified against
// the client CA. Only the token's SHA-256 is kept, so a stream that remembers what its
// call presented holds no secret.
//
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace rollrig::host {

// Longer authorization metadata is refused before it is hashed.
inline constexpr size_t kMaxAuthorizationBytes = 4096;

struct PresentedCredential {
  enum class Kind { kNone, kToken, kCertificate };
  Kind kind = Kind::kNone;
  // kToken: the token's SHA-256 (64 lower-case hex digits); kCertificate: the verified
  // subject (RFC 2253).
  std::string key;
};

// From the call's `authorization` metadata (nullopt: none sent) and its verified client
// certificate subject (nullopt: none). A token wins over a certificate. UNAUTHENTICATED,
// saying which, when the metadata is oversized or not "Bearer TOKEN"; never quotes it.
absl::StatusOr<PresentedCredential> PresentedCredentialOf(
    std::optional<std::string_view> authorization, std::optional<std::string_view> subject);

}  // namespace rollrig::host
