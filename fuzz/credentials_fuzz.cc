// libFuzzer target: a credentials file as an administrator might get it wrong, and the
// same bytes as a call's authorization metadata. Checked beyond "no crash": a file either
// parses into credentials that each hold a role, an identity and exactly one of a 64-digit
// lower-case hash or a subject, or is refused with an error that names its line; the
// metadata is either a token (kept only as its hash) or refused as UNAUTHENTICATED.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "host/security/credentials_file.h"
#include "host/security/presented_credential.h"

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "credentials_fuzz: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::vector<rollrig::host::Credential>> parsed =
      rollrig::host::ParseCredentials(text);
  if (parsed.ok()) {
    for (const rollrig::host::Credential& c : *parsed) {
      Check(!c.identity.empty() && c.line >= 1, "a credential without identity or line");
      Check(c.token_sha256.empty() != c.subject.empty(), "not exactly one of hash and subject");
      Check(c.token_sha256.empty() || c.token_sha256.size() == 64, "a hash of the wrong size");
    }
  } else {
    Check(absl::IsInvalidArgument(parsed.status()), "an error that is not INVALID_ARGUMENT");
    Check(parsed.status().message().substr(0, 5) == "line ", "an error that names no line");
  }
  absl::StatusOr<rollrig::host::PresentedCredential> presented =
      rollrig::host::PresentedCredentialOf(text, std::nullopt);
  Check(presented.ok() ? presented->key.size() == 64 : absl::IsUnauthenticated(presented.status()),
        "authorization metadata neither a hashed token nor UNAUTHENTICATED");
  return 0;
}
