#include "host/security/caller.h"

namespace rollrig::host {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kObserver:
      return "observer";
    case Role::kOperator:
      return "operator";
    case Role::kAdmin:
      return "admin";
  }
  return "unknown";
}

}  // namespace rollrig::host
