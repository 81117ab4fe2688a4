// Fans rig events (device events, gaps, connection changes, e-stop requests) out to
// subscribers, each with a bounded queue. Events are rare, so a mutex is fine here; a
// full queue drops its oldest event and counts it.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/time/time.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::host {

// Thread-safe.
class EventSubscription {
 public:
  EventSubscription(size_t capacity, std::function<void()> notify);
  // Moves all queued events to the end of `out`; returns how many.
  size_t Drain(std::vector<rollrig::v1::RigEvent>* out);
  // Waits up to `timeout` for an event (for simple blocking consumers and tests).
  bool WaitFor(absl::Duration timeout);
  uint64_t dropped() const;

 private:
  friend class EventHub;
  void Push(const rollrig::v1::RigEvent& e);

  const size_t capacity_;
  std::function<void()> notify_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<rollrig::v1::RigEvent> queue_;
  uint64_t dropped_ = 0;
};

// Thread-safe.
class EventHub {
 public:
  // The new subscription starts with up to `recent` of the latest events (oldest
  // first), then gets every event published after it, none twice, none missed.
  std::shared_ptr<EventSubscription> Subscribe(size_t capacity = 1024,
                                               std::function<void()> notify = {},
                                               size_t recent = 0);
  void Unsubscribe(const std::shared_ptr<EventSubscription>& sub);
  // Stamps host_time_ns if unset, keeps it in the history and delivers it to every
  // subscriber.
  void Publish(rollrig::v1::RigEvent e);

  static constexpr size_t kHistory = 1000;

 private:
  std::mutex mu_;
  std::vector<std::shared_ptr<EventSubscription>> subs_;
  std::deque<rollrig::v1::RigEvent> history_;  // the latest kHistory events
};

}  // namespace rollrig::host
