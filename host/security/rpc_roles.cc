#include "host/security/rpc_roles.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace rollrig::host {
namespace {

constexpr std::pair<std::string_view, Role> kRequiredRoles[] = {
    // Watching, and the e-stop: anyone who can see a rig can stop it.
    {"GetDeviceInfo", Role::kObserver},
    {"GetStatus", Role::kObserver},
    {"StreamTelemetry", Role::kObserver},
    {"StreamEvents", Role::kObserver},
    {"ListPresets", Role::kObserver},
    {"ValidateProfile", Role::kObserver},
    {"GetRun", Role::kObserver},
    {"ListRuns", Role::kObserver},
    {"WatchRun", Role::kObserver},
    {"GetCycles", Role::kObserver},
    {"DownloadRecording", Role::kObserver},
    {"GetRunHistory", Role::kObserver},
    {"GetRunReport", Role::kObserver},
    {"GetLease", Role::kObserver},
    {"GetUploads", Role::kObserver},
    {"EStop", Role::kObserver},
    // Driving.
    {"Jog", Role::kOperator},
    {"Stop", Role::kOperator},
    {"ClearFault", Role::kOperator},
    {"StartRun", Role::kOperator},
    {"PauseRun", Role::kOperator},
    {"ResumeRun", Role::kOperator},
    {"StopRun", Role::kOperator},
    {"AcquireLease", Role::kOperator},
    {"RenewLease", Role::kOperator},
    {"ReleaseLease", Role::kOperator},
    {"InjectFault", Role::kOperator},
};

}  // namespace

std::optional<Role> RequiredRole(std::string_view method) {
  for (const auto& [name, role] : kRequiredRoles) {
    if (name == method) return role;
  }
  return std::nullopt;
}

std::vector<std::string_view> MethodsWithRoles() {
  std::vector<std::string_view> methods;
  for (const auto& entry : kRequiredRoles) methods.push_back(entry.first);
  return methods;
}

absl::Status Authorize(const Caller& caller, std::string_view method_name) {
  const std::string method(method_name);
  const std::optional<Role> needed = RequiredRole(method_name);
  if (!needed) {
    return absl::PermissionDeniedError(
        absl::StrCat(method, " is not in rigd's table of roles; nobody may call it"));
  }
  if (caller.may(*needed)) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat(method, " needs the ", std::string(RoleName(*needed)), " role; ",
                   caller.identity, " is an ", std::string(RoleName(caller.role))));
}

}  // namespace rollrig::host
