#include "host/runs/lease_manager.h"

#include <random>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "host/device/host_time.h"

namespace rollrig::host {
namespace {

std::string NewToken() {
  std::random_device rd;
  std::uniform_int_distribution<uint64_t> dist;
  auto word = [&] { return (static_cast<uint64_t>(rd()) << 32) ^ rd() ^ dist(rd); };
  return absl::StrFormat("%016x%016x", word(), word());
}

// How many takeovers are remembered to tell their old holders.
constexpr size_t kTakeoversKept = 16;

absl::Status LeaseRefusal(std::string message) {
  absl::Status s = absl::FailedPreconditionError(std::move(message));
  s.SetPayload(kLeaseRefusalPayload, absl::Cord("lease"));
  return s;
}

void PublishLeaseEvent(EventHub* events, const std::string& message, const std::string& who) {
  rollrig::v1::RigEvent e;
  e.set_kind(rollrig::v1::RIG_EVENT_LEASE);
  e.set_message(message);
  e.set_who(who);
  events->Publish(std::move(e));
}

}  // namespace

bool IsLeaseRefusal(const absl::Status& status) {
  return status.GetPayload(kLeaseRefusalPayload).has_value();
}

LeaseManager::LeaseManager(EventHub* events, Clock* clock, absl::Duration default_ttl)
    : events_(events), clock_(clock), default_ttl_(default_ttl) {}

bool LeaseManager::ExpiredLocked(int64_t now_ns) const { return held_ && now_ns >= expires_ns_; }

void LeaseManager::ExpireLocked(int64_t now_ns) {
  if (!ExpiredLocked(now_ns)) return;
  const std::string who = DescribeHolderLocked();
  held_ = false;
  token_.clear();
  PublishLeaseEvent(events_, absl::StrCat("control lease of ", who, " expired (not renewed)"), who);
}

std::string LeaseManager::DescribeHolderLocked() const {
  return client_.empty() ? holder_ : absl::StrCat(holder_, " (", client_, ")");
}

std::string LeaseManager::TakenFromLocked(const std::string& token) const {
  if (token.empty()) return "";
  for (const Takeover& t : takeovers_) {
    if (t.token != token) continue;
    return absl::StrCat("control was taken from you by force by ", t.by, " at ",
                        absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", absl::FromUnixNanos(t.at_unix_ns),
                                         absl::UTCTimeZone()));
  }
  return "";
}

absl::StatusOr<rollrig::v1::LeaseInfo> LeaseManager::Acquire(const std::string& holder,
                                                             const std::string& client, bool force,
                                                             absl::Duration ttl, bool may_force) {
  if (holder.empty()) return absl::InvalidArgumentError("a lease needs a holder (user@host)");
  if (ttl < absl::ZeroDuration() || ttl > absl::Hours(24)) {
    return absl::InvalidArgumentError("lease ttl must be between 0 (default) and 24 h");
  }
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = clock_->NowNanos();
  ExpireLocked(now);
  const bool same_holder = held_ && holder_ == holder && client_ == client;
  if (held_ && !same_holder) {
    if (!force) {
      return LeaseRefusal(
          absl::StrCat("control is held by ", DescribeHolderLocked(), " for another ",
                       absl::FormatDuration(absl::Nanoseconds(expires_ns_ - now)),
                       " unless renewed; an admin may take it by force (rigctl --force COMMAND)"));
    }
    if (!may_force) {
      return absl::PermissionDeniedError(
          absl::StrCat("taking control by force needs the admin role; control is held by ",
                       DescribeHolderLocked()));
    }
    const std::string by = client.empty() ? holder : absl::StrCat(holder, " (", client, ")");
    takeovers_.push_back({token_, by, HostTimeAt(now)});
    if (takeovers_.size() > kTakeoversKept) takeovers_.pop_front();
    PublishLeaseEvent(
        events_, absl::StrCat("control taken by force from ", DescribeHolderLocked(), " by ", by),
        holder);
  } else if (!same_holder) {
    PublishLeaseEvent(
        events_,
        absl::StrCat("control acquired by ", holder, client.empty() ? "" : " (" + client + ")"),
        holder);
  }
  held_ = true;
  holder_ = holder;
  client_ = client;
  token_ = NewToken();
  acquired_ns_ = now;
  ttl_ = ttl == absl::ZeroDuration() ? default_ttl_ : ttl;
  expires_ns_ = now + absl::ToInt64Nanoseconds(ttl_);
  rollrig::v1::LeaseInfo info = InfoLocked();
  info.set_token(token_);
  return info;
}

absl::Status LeaseManager::Check(const std::string& token) {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = clock_->NowNanos();
  ExpireLocked(now);
  if (const std::string taken = TakenFromLocked(token); !taken.empty()) {
    return LeaseRefusal(absl::StrCat(
        taken, held_ ? absl::StrCat("; control is held by ", DescribeHolderLocked()) : ""));
  }
  if (!held_) {
    return LeaseRefusal("no control lease held: acquire control first (rigctl does it by itself)");
  }
  if (token.empty() || token != token_) {
    return LeaseRefusal(absl::StrCat("control is held by ", DescribeHolderLocked(),
                                     "; an admin may take it by force (rigctl --force COMMAND)"));
  }
  expires_ns_ = now + absl::ToInt64Nanoseconds(ttl_);
  return absl::OkStatus();
}

absl::StatusOr<rollrig::v1::LeaseInfo> LeaseManager::Renew(const std::string& token) {
  if (absl::Status s = Check(token); !s.ok()) return s;
  rollrig::v1::LeaseInfo info = Get();
  info.set_token(token);
  return info;
}

absl::Status LeaseManager::Release(const std::string& token) {
  std::lock_guard<std::mutex> lock(mu_);
  ExpireLocked(clock_->NowNanos());
  if (!held_ || token != token_) {
    const std::string taken = TakenFromLocked(token);
    return absl::FailedPreconditionError(
        taken.empty() ? "that lease is not held (expired, released or taken)" : taken);
  }
  const std::string who = DescribeHolderLocked();
  held_ = false;
  token_.clear();
  PublishLeaseEvent(events_, absl::StrCat("control released by ", who), who);
  return absl::OkStatus();
}

rollrig::v1::LeaseInfo LeaseManager::Get() {
  std::lock_guard<std::mutex> lock(mu_);
  ExpireLocked(clock_->NowNanos());
  return InfoLocked();
}

rollrig::v1::LeaseInfo LeaseManager::InfoLocked() const {
  rollrig::v1::LeaseInfo info;
  info.set_held(held_);
  if (held_) {
    info.set_holder(holder_);
    info.set_client(client_);
    info.set_acquired_unix_ns(HostTimeAt(acquired_ns_));
    info.set_expires_unix_ns(HostTimeAt(expires_ns_));
  }
  return info;
}

void LeaseManager::Poll() {
  std::lock_guard<std::mutex> lock(mu_);
  ExpireLocked(clock_->NowNanos());
}

}  // namespace rollrig::host
