// The control lease: one client at a time may move the rig. A lease has a holder
// identity (user@host and client name) and a token; every use renews it, and it expires
// when its holder stops renewing (the holder vanished). An admin may take it by force;
// that is recorded as an event, and the client it was taken from is told by whom and
// when on its next use. Refusals for want of the lease are tagged (IsLeaseRefusal), so a
// client can tell them from a command's own refusals. E-stop never needs it.
//
// Times are read through the Clock seam; the Unix times shown are that clock's host
// time (host/device/host_time.h). Thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "host/device/event_hub.h"
#include "rig/base/clock.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::host {

// The payload (type URL) on a status refused for want of the control lease.
inline constexpr char kLeaseRefusalPayload[] = "type.rollrig.dev/rollrig.lease-refusal";
// Whether `status` was refused for the control lease alone.
bool IsLeaseRefusal(const absl::Status& status);

class LeaseManager {
 public:
  // `events` and `clock` are not owned and must outlive the manager.
  LeaseManager(EventHub* events, Clock* clock, absl::Duration default_ttl = absl::Seconds(10));

  // Grants the lease if it is free, expired, already this holder's (same holder and
  // client), or `force` is set by one who `may_force` (an admin). Otherwise
  // FAILED_PRECONDITION naming the holder (a lease refusal), or PERMISSION_DENIED when a
  // takeover is asked by one who may not.
  absl::StatusOr<rollrig::v1::LeaseInfo> Acquire(const std::string& holder,
                                                 const std::string& client, bool force,
                                                 absl::Duration ttl, bool may_force = false);
  // OK when `token` is the current, unexpired lease (and renews it); otherwise a lease
  // refusal (FAILED_PRECONDITION) saying who holds control, who took it from this token
  // by force and when, or that none is held.
  absl::Status Check(const std::string& token);
  absl::StatusOr<rollrig::v1::LeaseInfo> Renew(const std::string& token);
  absl::Status Release(const std::string& token);
  // The current lease, without its token.
  rollrig::v1::LeaseInfo Get();
  // Publishes the expiry event if the lease ran out (called periodically).
  void Poll();

 private:
  bool ExpiredLocked(int64_t now_ns) const;
  void ExpireLocked(int64_t now_ns);
  std::string DescribeHolderLocked() const;
  // Why `token` no longer holds the lease, if it was taken by force; else "".
  std::string TakenFromLocked(const std::string& token) const;
  // The lease as shown (Unix times), without its token.
  rollrig::v1::LeaseInfo InfoLocked() const;

  EventHub* events_;
  Clock* clock_;
  const absl::Duration default_ttl_;
  std::mutex mu_;
  bool held_ = false;
  std::string holder_, client_, token_;
  int64_t acquired_ns_ = 0;  // clock time
  int64_t expires_ns_ = 0;   // clock time
  absl::Duration ttl_;
  // The last tokens taken by force: by whom and when (host time).
  struct Takeover {
    std::string token, by;
    int64_t at_unix_ns = 0;
  };
  std::deque<Takeover> takeovers_;
};

}  // namespace rollrig::host
