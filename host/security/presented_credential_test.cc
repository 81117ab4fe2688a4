#include "host/security/presented_credential.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rig/base/sha256.h"

namespace rollrig::host {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Kind = PresentedCredential::Kind;

TEST(PresentedCredentialTest, ABearerTokenIsKeptOnlyAsItsHash) {
  absl::StatusOr<PresentedCredential> p = PresentedCredentialOf("Bearer s3cret", std::nullopt);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->kind, Kind::kToken);
  EXPECT_EQ(p->key, Sha256Hex("s3cret"));
}

TEST(PresentedCredentialTest, ATokenWinsOverACertificate) {
  absl::StatusOr<PresentedCredential> p = PresentedCredentialOf("Bearer t", "CN=x");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->kind, Kind::kToken);
  p = PresentedCredentialOf(std::nullopt, "CN=x");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->kind, Kind::kCertificate);
  EXPECT_EQ(p->key, "CN=x");
  p = PresentedCredentialOf(std::nullopt, std::nullopt);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->kind, Kind::kNone);
}

TEST(PresentedCredentialTest, MalformedMetadataIsUnauthenticatedWithoutEchoingIt) {
  for (const std::string bad : {"s3cret-token", "Bearer ", "Bearer s3cret token", "bearer s3cret",
                                "Basic s3cret", "Bearer s3cret\x01"}) {
    absl::StatusOr<PresentedCredential> p = PresentedCredentialOf(bad, std::nullopt);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_TRUE(absl::IsUnauthenticated(p.status()));
    EXPECT_THAT(p.status().message(), HasSubstr("malformed token"));
    EXPECT_THAT(p.status().message(), Not(HasSubstr("s3cret")));
  }
}

TEST(PresentedCredentialTest, OversizedMetadataIsRefusedBeforeHashing) {
  const std::string big = "Bearer " + std::string(kMaxAuthorizationBytes, 'x');
  absl::StatusOr<PresentedCredential> p = PresentedCredentialOf(big, std::nullopt);
  ASSERT_FALSE(p.ok());
  EXPECT_TRUE(absl::IsUnauthenticated(p.status()));
  EXPECT_THAT(p.status().message(), HasSubstr("oversized token"));
  EXPECT_LT(p.status().message().size(), 200u);
  EXPECT_TRUE(
      PresentedCredentialOf("Bearer " + std::string(kMaxAuthorizationBytes - 7, 'x'), std::nullopt)
          .ok());
}

}  // namespace
}  // namespace rollrig::host
