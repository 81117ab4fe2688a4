// Who is calling rigd, and with which role. Made once per call by the access control at
// the service edge; everything below (events, runs, the lease, recordings) records
// `identity` instead of a peer address.
//
// A plain value: copy it freely, from any thread.
#pragma once

#include <string>
#include <string_view>

namespace rollrig::host {

// Ordered: each role may do everything the roles below it may.
enum class Role {
  kObserver = 0,  // status, telemetry, events, runs, recordings, presets, validate, e-stop
  kOperator = 1,  // also the control lease, jog, stop, clear, runs, fault injection
  kAdmin = 2,     // also taking the lease, or another identity's run, by force
};

// "observer", "operator", "admin".
std::string_view RoleName(Role role);

struct Caller {
  // "alice@desk" from the credentials file or the client certificate's subject; on
  // loopback without credentials, the OS account the client states (user@host).
  std::string identity;
  Role role = Role::kObserver;
  // False on loopback without credentials: the identity is the client's word (the trust
  // model of a single-user bench PC).
  bool authenticated = false;

  bool may(Role needed) const { return role >= needed; }
};

}  // namespace rollrig::host
