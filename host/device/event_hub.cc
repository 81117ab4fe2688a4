#include "host/device/event_hub.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "host/device/host_time.h"

namespace rollrig::host {

EventSubscription::EventSubscription(size_t capacity, std::function<void()> notify)
    : capacity_(std::max<size_t>(capacity, 1)), notify_(std::move(notify)) {}

size_t EventSubscription::Drain(std::vector<rollrig::v1::RigEvent>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  const size_t n = queue_.size();
  for (auto& e : queue_) out->push_back(std::move(e));
  queue_.clear();
  return n;
}

bool EventSubscription::WaitFor(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] { return !queue_.empty(); });
}

uint64_t EventSubscription::dropped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_;
}

void EventSubscription::Push(const rollrig::v1::RigEvent& e) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.size() >= capacity_) {
      queue_.pop_front();
      ++dropped_;
    }
    queue_.push_back(e);
  }
  cv_.notify_all();
  if (notify_) notify_();
}

std::shared_ptr<EventSubscription> EventHub::Subscribe(size_t capacity,
                                                       std::function<void()> notify,
                                                       size_t recent) {
  auto sub = std::make_shared<EventSubscription>(capacity, std::move(notify));
  std::lock_guard<std::mutex> lock(mu_);
  // Under the hub's lock, so an event is either in this copy or delivered later, once.
  const size_t n = std::min(recent, history_.size());
  for (size_t i = history_.size() - n; i < history_.size(); ++i) sub->Push(history_[i]);
  subs_.push_back(sub);
  return sub;
}

void EventHub::Unsubscribe(const std::shared_ptr<EventSubscription>& sub) {
  std::lock_guard<std::mutex> lock(mu_);
  subs_.erase(std::remove(subs_.begin(), subs_.end(), sub), subs_.end());
}

void EventHub::Publish(rollrig::v1::RigEvent e) {
  if (e.host_time_ns() == 0) e.set_host_time_ns(HostTimeNanos());
  std::vector<std::shared_ptr<EventSubscription>> subs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    history_.push_back(e);
    if (history_.size() > kHistory) history_.pop_front();
    subs = subs_;
  }
  // Delivered outside the hub's lock: a subscriber's notify may call back into the hub.
  for (const auto& sub : subs) sub->Push(e);
}

}  // namespace rollrig::host
