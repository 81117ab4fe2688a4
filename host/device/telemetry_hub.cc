#include "host/device/telemetry_hub.h"

#include <algorithm>
#include <utility>

namespace rollrig::host {

TelemetrySubscription::TelemetrySubscription(size_t capacity, std::function<void()> notify)
    : capacity_(std::max<size_t>(capacity, 1)),
      ring_(std::make_unique<Sample[]>(capacity_)),
      notify_(std::move(notify)) {}

TelemetrySubscription::~TelemetrySubscription() = default;

void TelemetrySubscription::Push(const Sample* samples, size_t n) {
  // Only the producer writes head_, so a relaxed load of it is exact; the acquire on
  // tail_ makes the slots the consumer has finished with safe to overwrite.
  const uint64_t head = head_.load(std::memory_order_relaxed);
  const uint64_t tail = tail_.load(std::memory_order_acquire);
  const size_t free_slots = capacity_ - static_cast<size_t>(head - tail);
  const size_t accepted = std::min(n, free_slots);
  for (size_t i = 0; i < accepted; ++i) ring_[(head + i) % capacity_] = samples[i];
  if (accepted > 0) head_.store(head + accepted, std::memory_order_release);
  if (accepted < n) dropped_.fetch_add(n - accepted, std::memory_order_relaxed);
  if (accepted > 0 && notify_) notify_();
}

size_t TelemetrySubscription::Drain(std::vector<Sample>* out, size_t max) {
  const uint64_t tail = tail_.load(std::memory_order_relaxed);
  const uint64_t head = head_.load(std::memory_order_acquire);
  const size_t count = std::min(static_cast<size_t>(head - tail), max);
  out->reserve(out->size() + count);
  for (size_t i = 0; i < count; ++i) out->push_back(ring_[(tail + i) % capacity_]);
  if (count > 0) tail_.store(tail + count, std::memory_order_release);
  return count;
}

std::shared_ptr<TelemetrySubscription> TelemetryHub::Subscribe(size_t capacity,
                                                               std::function<void()> notify) {
  auto sub = std::make_shared<TelemetrySubscription>(capacity, std::move(notify));
  std::lock_guard<std::mutex> lock(mu_);
  auto next = std::make_shared<std::vector<std::shared_ptr<TelemetrySubscription>>>(*subs_);
  next->push_back(sub);
  subs_ = std::move(next);
  return sub;
}

void TelemetryHub::Unsubscribe(const std::shared_ptr<TelemetrySubscription>& sub) {
  std::lock_guard<std::mutex> lock(mu_);
  auto next = std::make_shared<std::vector<std::shared_ptr<TelemetrySubscription>>>(*subs_);
  const size_t before = next->size();
  next->erase(std::remove(next->begin(), next->end(), sub), next->end());
  if (next->size() != before) dropped_by_gone_ += sub->dropped();
  subs_ = std::move(next);
}

void TelemetryHub::Publish(const Sample* samples, size_t n) {
  if (n == 0) return;
  std::shared_ptr<const std::vector<std::shared_ptr<TelemetrySubscription>>> subs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    subs = subs_;
  }
  // A subscriber unsubscribed meanwhile may get this one last push; its shared_ptr
  // in `subs` keeps the ring alive until we are done.
  for (const auto& sub : *subs) sub->Push(samples, n);
}

size_t TelemetryHub::subscriber_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return subs_->size();
}

uint64_t TelemetryHub::dropped_total() const {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t total = dropped_by_gone_;
  for (const auto& sub : *subs_) total += sub->dropped();
  return total;
}

}  // namespace rollrig::host
