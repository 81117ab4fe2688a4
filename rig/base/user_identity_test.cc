#include "rig/base/user_identity.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "gtest/gtest.h"

namespace rollrig {
namespace {

// Sets or unsets an environment variable for one test and restores it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

std::string Host() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  return host;
}

TEST(UserIdentity, UsesUserFromTheEnvironment) {
  ScopedEnv user("USER", "alice");
  EXPECT_EQ(CurrentUserName(), "alice");
  EXPECT_EQ(UserAtHost(), "alice@" + Host());
}

TEST(UserIdentity, FallsBackToLognameWhenUserIsUnset) {
  ScopedEnv user("USER", nullptr);
  ScopedEnv logname("LOGNAME", "bob");
  EXPECT_EQ(CurrentUserName(), "bob");
}

TEST(UserIdentity, NamesTheOsAccountWhenNoVariableIsSet) {
  // As under systemd or cron: neither USER nor LOGNAME.
  ScopedEnv user("USER", nullptr);
  ScopedEnv logname("LOGNAME", nullptr);
  const passwd* account = getpwuid(geteuid());
  ASSERT_NE(account, nullptr);
  EXPECT_EQ(CurrentUserName(), account->pw_name);
  const std::string who = UserAtHost();
  EXPECT_EQ(who, std::string(account->pw_name) + "@" + Host());
  EXPECT_EQ(who.find("unknown"), std::string::npos);
}

TEST(UserIdentity, AnEmptyVariableCountsAsUnset) {
  ScopedEnv user("USER", "");
  ScopedEnv logname("LOGNAME", "");
  EXPECT_FALSE(CurrentUserName().empty());
  EXPECT_NE(UserAtHost().rfind("@", 0), 0u);  // never "@host"
}

}  // namespace
}  // namespace rollrig
