// The role each rollrig.v1.RigService method needs: the one table of who may call what.
// Observers watch (status, telemetry, events, runs, recordings, presets, validate) and
// may e-stop; operators also drive (lease, jog, stop, clear, runs, fault injection).
// What needs admin (forced takeovers) is decided per request by the handler.
// A method missing from the table is refused to everyone (fails closed).
//
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "host/security/caller.h"

namespace rollrig::host {

// The role `method` (e.g. "Jog") needs; nullopt for a method not in the table.
std::optional<Role> RequiredRole(std::string_view method);

// Every method in the table.
std::vector<std::string_view> MethodsWithRoles();

// OK when `caller` may call `method`; otherwise PERMISSION_DENIED naming the role needed
// and the caller's ("Jog needs the operator role; alice@desk is an observer").
absl::Status Authorize(const Caller& caller, std::string_view method);

}  // namespace rollrig::host
