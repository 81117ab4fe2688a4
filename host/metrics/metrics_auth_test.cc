#include "host/metrics/metrics_auth.h"

#include <crypt.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rig/base/sha256.h"

namespace rollrig::host {
namespace {

using ::testing::HasSubstr;

std::string Bcrypt(const std::string& password) {
  crypt_data data{};
  const char* salt = crypt_gensalt_rn("$2b$", 4, nullptr, 0, data.setting, sizeof(data.setting));
  EXPECT_NE(salt, nullptr);
  const char* hash = crypt_r(password.c_str(), salt, &data);
  EXPECT_NE(hash, nullptr);
  return hash;
}

TEST(MetricsAuthTest, Sha256AndBcryptLinesCheckTheirPasswords) {
  const std::string text = "# who may scrape\n\nprometheus:sha256:" + Sha256Hex("s3cret") +
                           "\ngrafana:" + Bcrypt("other pass") + "\n";
  absl::StatusOr<MetricsAuth> auth = MetricsAuth::Parse(text, "auth");
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_EQ(auth->size(), 2u);
  EXPECT_TRUE(auth->Check("prometheus", "s3cret"));
  EXPECT_FALSE(auth->Check("prometheus", "s3cre"));
  EXPECT_FALSE(auth->Check("prometheus", "other pass"));
  EXPECT_TRUE(auth->Check("grafana", "other pass"));
  EXPECT_FALSE(auth->Check("grafana", "s3cret"));
  EXPECT_FALSE(auth->Check("nobody", "s3cret"));
}

TEST(MetricsAuthTest, BadLinesAreNamed) {
  auto error = [](const std::string& text) {
    return std::string(MetricsAuth::Parse(text, "auth.txt").status().message());
  };
  EXPECT_THAT(error("\nprometheus\n"), HasSubstr("auth.txt:2: expected USER:HASH"));
  EXPECT_THAT(error("p:sha256:abc\n"), HasSubstr("auth.txt:1: sha256: needs the password's"));
  EXPECT_THAT(error("p:sha256:" + std::string(64, 'G')), HasSubstr("64 lower-case hex"));
  EXPECT_THAT(error("p:plaintext\n"), HasSubstr("auth.txt:1: the hash must be sha256:HEX"));
  const std::string line = "p:sha256:" + Sha256Hex("x") + "\n";
  EXPECT_THAT(error(line + line), HasSubstr("auth.txt:2: user p is listed twice"));
  EXPECT_THAT(error("# nothing\n"), HasSubstr("no USER:HASH line"));
  EXPECT_TRUE(absl::IsNotFound(MetricsAuth::Load("/nonexistent/auth").status()));
}

}  // namespace
}  // namespace rollrig::host
