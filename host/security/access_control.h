// Who holds which credential, and whether it admits a call now. The table comes from the
// credentials file and is replaced whole: a call sees the old table or the new one, never
// a mix, and a load that fails keeps the table in force. Expiry is checked at every call
// against the wall clock given, so a token stops working at its date without a reload.
// Tokens are looked up by their SHA-256; the table holds no token in clear.
//
// Thread-safe: Load/Replace from any thread while gRPC's threads Identify/Admit.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "host/security/caller.h"
#include "host/security/credentials_file.h"
#include "host/security/presented_credential.h"
#include "rig/base/clock.h"

namespace rollrig::host {

class AccessControl {
 public:
  // `wall_clock` gives Unix time (ns) and must outlive this; tests pass a ManualClock.
  explicit AccessControl(Clock* wall_clock = WallClock());
  ~AccessControl();

  // Reads `path` and replaces the table. On an error (naming the file and the line) the
  // table in force stays.
  absl::Status Load(const std::string& path);
  void Replace(std::vector<Credential> credentials);

  // The caller `presented` proves (authenticated), or UNAUTHENTICATED saying why: no
  // credential, an unknown token or certificate subject, an expired token.
  absl::StatusOr<Caller> Identify(const PresentedCredential& presented) const;
  // Identify, then the role `method` needs (rpc_roles.h): PERMISSION_DENIED if too low.
  absl::StatusOr<Caller> Admit(const PresentedCredential& presented, std::string_view method) const;

  // Bumped by every replacement of the table: open streams re-check when it changes.
  uint64_t generation() const { return generation_.load(); }
  // How many credentials the table in force holds.
  size_t size() const;

 private:
  struct Table;
  std::shared_ptr<const Table> table() const;

  Clock* const wall_clock_;
  mutable std::mutex mu_;
  std::shared_ptr<const Table> table_;
  std::atomic<uint64_t> generation_{0};
};

}  // namespace rollrig::host
