#include "host/security/access_control.h"

#include <fstream>
#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rig/base/sha256.h"

namespace rollrig::host {
namespace {

using ::testing::HasSubstr;

int64_t UnixNanosAt(absl::CivilSecond when) {
  return absl::ToUnixNanos(absl::FromCivil(when, absl::UTCTimeZone()));
}

PresentedCredential Token(const std::string& token) {
  return PresentedCredential{PresentedCredential::Kind::kToken, Sha256Hex(token)};
}

PresentedCredential Subject(const std::string& subject) {
  return PresentedCredential{PresentedCredential::Kind::kCertificate, subject};
}

class AccessControlTest : public ::testing::Test {
 protected:
  void Write(const std::string& text) { std::ofstream(path_, std::ios::trunc) << text; }

  // ctest runs each test as its own process, in parallel: one file per test.
  const std::string path_ = ::testing::TempDir() + "/access_control_test_" +
                            ::testing::UnitTest::GetInstance()->current_test_info()->name();
  ManualClock clock_{UnixNanosAt(absl::CivilSecond(2026, 3, 1, 12, 0, 0))};
  AccessControl access_{&clock_};
};

TEST_F(AccessControlTest, TokensAndSubjectsIdentifyTheirCallers) {
  Write("observer alice@desk sha256:" + Sha256Hex("alice-token") +
        "\nadmin ci@lab cert:CN=ci,O=Lab\n");
  ASSERT_TRUE(access_.Load(path_).ok());
  EXPECT_EQ(access_.size(), 2u);
  absl::StatusOr<Caller> alice = access_.Identify(Token("alice-token"));
  ASSERT_TRUE(alice.ok()) << alice.status();
  EXPECT_EQ(alice->identity, "alice@desk");
  EXPECT_EQ(alice->role, Role::kObserver);
  EXPECT_TRUE(alice->authenticated);
  absl::StatusOr<Caller> ci = access_.Identify(Subject("CN=ci,O=Lab"));
  ASSERT_TRUE(ci.ok()) << ci.status();
  EXPECT_EQ(ci->identity, "ci@lab");
  EXPECT_EQ(ci->role, Role::kAdmin);
}

TEST_F(AccessControlTest, NoUnknownOrUnlistedCredentialIsUnauthenticatedSayingWhich) {
  Write("observer alice@desk sha256:" + Sha256Hex("alice-token") + "\n");
  ASSERT_TRUE(access_.Load(path_).ok());
  absl::StatusOr<Caller> none = access_.Identify(PresentedCredential{});
  EXPECT_TRUE(absl::IsUnauthenticated(none.status()));
  EXPECT_THAT(none.status().message(), HasSubstr("no credential"));
  absl::StatusOr<Caller> unknown = access_.Identify(Token("guess"));
  EXPECT_TRUE(absl::IsUnauthenticated(unknown.status()));
  EXPECT_THAT(unknown.status().message(), HasSubstr("unknown token"));
  absl::StatusOr<Caller> cert = access_.Identify(Subject("CN=mallory"));
  EXPECT_TRUE(absl::IsUnauthenticated(cert.status()));
  EXPECT_THAT(cert.status().message(), HasSubstr("'CN=mallory' is not in this rig's credentials"));
}

TEST_F(AccessControlTest, ATokenWorksThroughItsExpiryDateAndNotASecondLonger) {
  Write("operator bob@bench sha256:" + Sha256Hex("bob-token") + " expires=2026-03-01\n");
  ASSERT_TRUE(access_.Load(path_).ok());
  clock_.Set(UnixNanosAt(absl::CivilSecond(2026, 3, 1, 23, 59, 59)));
  EXPECT_TRUE(access_.Identify(Token("bob-token")).ok());
  clock_.Set(UnixNanosAt(absl::CivilSecond(2026, 3, 2, 0, 0, 0)) - 1);
  EXPECT_TRUE(access_.Identify(Token("bob-token")).ok());
  clock_.Set(UnixNanosAt(absl::CivilSecond(2026, 3, 2, 0, 0, 0)));
  absl::StatusOr<Caller> expired = access_.Identify(Token("bob-token"));
  EXPECT_TRUE(absl::IsUnauthenticated(expired.status()));
  EXPECT_THAT(expired.status().message(),
              HasSubstr("the token of bob@bench expired at the end of 2026-03-01 (UTC)"));
}

TEST_F(AccessControlTest, AReloadWithAnErrorKeepsTheTableInForce) {
  Write("operator bob@bench sha256:" + Sha256Hex("bob-token") + "\n");
  ASSERT_TRUE(access_.Load(path_).ok());
  const uint64_t generation = access_.generation();
  Write("operator bob@bench sha256:" + Sha256Hex("bob-token") +
        "\nsuperuser eve sha256:" + Sha256Hex("eve") + "\n");
  const absl::Status reload = access_.Load(path_);
  EXPECT_TRUE(absl::IsInvalidArgument(reload));
  EXPECT_THAT(reload.message(), HasSubstr("credentials file " + path_ + ": line 2: unknown role"));
  EXPECT_EQ(access_.generation(), generation);
  EXPECT_TRUE(access_.Identify(Token("bob-token")).ok());
  std::remove(path_.c_str());
  EXPECT_TRUE(absl::IsNotFound(access_.Load(path_)));
  EXPECT_TRUE(access_.Identify(Token("bob-token")).ok());
}

TEST_F(AccessControlTest, ARemovedTokenIsRevokedByTheNextLoad) {
  Write("operator bob@bench sha256:" + Sha256Hex("bob-token") +
        "\nobserver alice@desk sha256:" + Sha256Hex("alice-token") + "\n");
  ASSERT_TRUE(access_.Load(path_).ok());
  const uint64_t generation = access_.generation();
  Write("observer alice@desk sha256:" + Sha256Hex("alice-token") + "\n");
  ASSERT_TRUE(access_.Load(path_).ok());
  EXPECT_GT(access_.generation(), generation);
  EXPECT_TRUE(absl::IsUnauthenticated(access_.Identify(Token("bob-token")).status()));
  EXPECT_TRUE(access_.Identify(Token("alice-token")).ok());
}

TEST_F(AccessControlTest, AdmitChecksTheRoleAfterTheCredential) {
  Write("observer alice@desk sha256:" + Sha256Hex("alice-token") + "\n");
  ASSERT_TRUE(access_.Load(path_).ok());
  EXPECT_TRUE(access_.Admit(Token("alice-token"), "EStop").ok());
  absl::StatusOr<Caller> jog = access_.Admit(Token("alice-token"), "Jog");
  EXPECT_TRUE(absl::IsPermissionDenied(jog.status()));
  EXPECT_EQ(jog.status().message(), "Jog needs the operator role; alice@desk is an observer");
  EXPECT_TRUE(absl::IsUnauthenticated(access_.Admit(Token("x"), "EStop").status()));
}

TEST_F(AccessControlTest, WithoutATableNobodyIsAdmitted) {
  EXPECT_EQ(access_.size(), 0u);
  EXPECT_TRUE(absl::IsUnauthenticated(access_.Identify(Token("anything")).status()));
}

}  // namespace
}  // namespace rollrig::host
