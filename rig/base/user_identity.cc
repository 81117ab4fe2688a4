#include "rig/base/user_identity.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

namespace rollrig {
namespace {

std::string FromEnvironment(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::string(value) : std::string();
}

std::string AccountOfEffectiveUser() {
  const uid_t uid = geteuid();
  long size = sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(size > 0 ? static_cast<size_t>(size) : 16384);
  passwd entry{};
  passwd* found = nullptr;
  if (getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr &&
      found->pw_name != nullptr && found->pw_name[0] != '\0') {
    return found->pw_name;
  }
  return "uid " + std::to_string(uid);
}

}  // namespace

std::string CurrentUserName() {
  for (const char* variable : {"USER", "LOGNAME"}) {
    std::string user = FromEnvironment(variable);
    if (!user.empty()) return user;
  }
  return AccountOfEffectiveUser();
}

std::string HostName() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) return "";
  return host;
}

std::string UserAtHost() {
  const std::string host = HostName();
  return host.empty() ? CurrentUserName() : CurrentUserName() + "@" + host;
}

}  // namespace rollrig
