#include "host/security/credentials_file.h"

#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rollrig::host {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kHexA(64, 'a');
const std::string kHexB(64, 'b');

// The error of parsing `text`, which must fail.
std::string ErrorOf(const std::string& text) {
  absl::StatusOr<std::vector<Credential>> parsed = ParseCredentials(text);
  EXPECT_FALSE(parsed.ok()) << text;
  EXPECT_TRUE(parsed.ok() || absl::IsInvalidArgument(parsed.status()));
  return parsed.ok() ? "" : std::string(parsed.status().message());
}

TEST(CredentialsFileTest, ParsesTokensSubjectsCommentsAndBlankLines) {
  const std::string text =
      "# role identity credential\n\n   \n"
      "observer alice@desk sha256:" +
      kHexA +
      "\n"
      "\toperator  bob@bench   sha256:" +
      kHexB +
      " expires=2026-03-01\r\n"
      "admin ci@lab cert:CN=ci runner,O=Lab \\, Inc.,C=DE  \n";
  absl::StatusOr<std::vector<Credential>> parsed = ParseCredentials(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 3u);
  EXPECT_EQ((*parsed)[0].role, Role::kObserver);
  EXPECT_EQ((*parsed)[0].identity, "alice@desk");
  EXPECT_EQ((*parsed)[0].token_sha256, kHexA);
  EXPECT_FALSE((*parsed)[0].expires_unix_ns);
  EXPECT_EQ((*parsed)[0].line, 4);
  EXPECT_EQ((*parsed)[1].role, Role::kOperator);
  EXPECT_EQ((*parsed)[1].expires_date, "2026-03-01");
  // Valid through the whole of 1 March, UTC.
  EXPECT_EQ(*(*parsed)[1].expires_unix_ns,
            absl::ToUnixNanos(absl::FromCivil(absl::CivilDay(2026, 3, 2), absl::UTCTimeZone())));
  EXPECT_EQ((*parsed)[2].role, Role::kAdmin);
  EXPECT_EQ((*parsed)[2].subject, "CN=ci runner,O=Lab \\, Inc.,C=DE");
  EXPECT_TRUE((*parsed)[2].token_sha256.empty());
}

TEST(CredentialsFileTest, AnEmptyFileIsAnEmptyTable) {
  absl::StatusOr<std::vector<Credential>> parsed = ParseCredentials("# nobody yet\n");
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->empty());
}

TEST(CredentialsFileTest, UnknownRoleNamesTheLineAndTheRole) {
  EXPECT_EQ(ErrorOf("# x\noperater bob sha256:" + kHexA),
            "line 2: unknown role 'operater' (expected observer, operator or admin)");
}

TEST(CredentialsFileTest, MissingFieldsAreNamed) {
  EXPECT_THAT(ErrorOf("observer"), HasSubstr("line 1: missing the identity"));
  EXPECT_THAT(ErrorOf("observer alice@desk"), HasSubstr("line 1: missing the credential"));
}

TEST(CredentialsFileTest, HexMustBe64LowerCaseHexDigits) {
  EXPECT_THAT(ErrorOf("observer a sha256:" + kHexA.substr(1)),
              HasSubstr("line 1: sha256: needs the token's SHA-256 as 64 lower-case hex digits "
                        "(got 63 characters)"));
  std::string upper = kHexA;
  upper[10] = 'A';
  EXPECT_THAT(ErrorOf("observer a sha256:" + upper), HasSubstr("not all lower-case hex"));
  std::string not_hex = kHexA;
  not_hex[0] = 'g';
  EXPECT_THAT(ErrorOf("observer a sha256:" + not_hex), HasSubstr("not all lower-case hex"));
  // A clear token written by mistake is never quoted back.
  EXPECT_THAT(ErrorOf("observer a sha256:my-secret-token"), Not(HasSubstr("my-secret")));
}

TEST(CredentialsFileTest, BadDatesAreNamed) {
  for (const std::string date : {"2026-02-30", "2026-13-01", "2026-1-01", "26-01-01", "2026/01/01",
                                 "tomorrow", "2026-01-0x", ""}) {
    EXPECT_THAT(ErrorOf("observer a sha256:" + kHexA + " expires=" + date),
                HasSubstr("line 1: bad date '" + date + "' in expires="))
        << date;
  }
  // A leap day is a real date.
  EXPECT_TRUE(ParseCredentials("observer a sha256:" + kHexA + " expires=2028-02-29").ok());
}

TEST(CredentialsFileTest, TextAfterTheHashIsRefusedWithoutQuotingIt) {
  const std::string error = ErrorOf("observer a sha256:" + kHexA + " secret-token");
  EXPECT_THAT(error, HasSubstr("line 1: unexpected text after the token's hash"));
  EXPECT_THAT(error, Not(HasSubstr("secret")));
  EXPECT_THAT(ErrorOf("observer a sha256:" + kHexA + " expires=2026-01-01 expires=2026-01-02"),
              HasSubstr("line 1: expires= is given twice"));
}

TEST(CredentialsFileTest, UnknownCredentialKindsAreRefused) {
  EXPECT_THAT(ErrorOf("observer a md5:abc"),
              HasSubstr("line 1: the credential must be sha256:HEX or cert:SUBJECT"));
  EXPECT_THAT(ErrorOf("observer a cert:   "),
              HasSubstr("line 1: cert: needs the client certificate's subject"));
}

TEST(CredentialsFileTest, DuplicateTokensAndSubjectsNameBothLines) {
  EXPECT_EQ(ErrorOf("observer a sha256:" + kHexA + "\n\nadmin b sha256:" + kHexA),
            "line 3: the same token as line 1");
  EXPECT_EQ(ErrorOf("observer a cert:CN=x\noperator b cert:CN=x"),
            "line 2: the same certificate subject as line 1");
  // One identity may hold several tokens (while one is being replaced).
  EXPECT_TRUE(ParseCredentials("observer a sha256:" + kHexA + "\nobserver a sha256:" + kHexB).ok());
}

TEST(CredentialsFileTest, AFileThatCannotBeReadIsNamed) {
  absl::StatusOr<std::vector<Credential>> read = ReadCredentialsFile("/nonexistent/credentials");
  ASSERT_FALSE(read.ok());
  EXPECT_TRUE(absl::IsNotFound(read.status()));
  EXPECT_THAT(read.status().message(),
              HasSubstr("cannot read credentials file /nonexistent/credentials"));
}

}  // namespace
}  // namespace rollrig::host
