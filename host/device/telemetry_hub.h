// Fans telemetry out from the dispatcher thread to any number of subscribers (gRPC
// streams, later the recorder and the dashboard's feeds). Each subscriber has its own
// bounded single-producer/single-consumer ring: a slow subscriber loses samples (and is
// told how many), it never blocks the dispatcher or anyone else.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "host/recording/sample.h"

namespace rollrig::host {

// One subscriber's ring. Producer: the hub (dispatcher thread). Consumer: one thread.
class TelemetrySubscription {
 public:
  explicit TelemetrySubscription(size_t capacity, std::function<void()> notify);
  ~TelemetrySubscription();

  // Consumer: moves up to `max` samples (oldest first) to the end of `out`.
  size_t Drain(std::vector<Sample>* out, size_t max = SIZE_MAX);
  // Samples dropped so far because the ring was full.
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  size_t capacity() const { return capacity_; }

 private:
  friend class TelemetryHub;
  // Producer: pushes what fits, counts the rest as dropped.
  void Push(const Sample* samples, size_t n);

  const size_t capacity_;
  std::unique_ptr<Sample[]> ring_;
  std::atomic<uint64_t> head_{0};  // next write (producer)
  std::atomic<uint64_t> tail_{0};  // next read (consumer)
  std::atomic<uint64_t> dropped_{0};
  std::function<void()> notify_;  // called by the producer after a push; must not block
};

// Thread-safe: Subscribe/Unsubscribe from any thread; Publish from the one dispatcher.
class TelemetryHub {
 public:
  std::shared_ptr<TelemetrySubscription> Subscribe(size_t capacity,
                                                   std::function<void()> notify = {});
  void Unsubscribe(const std::shared_ptr<TelemetrySubscription>& sub);
  void Publish(const Sample* samples, size_t n);
  size_t subscriber_count() const;
  // Samples dropped so far by every subscriber, those gone since included (for metrics;
  // reads the subscribers' own counters, nothing is counted on the publishing path).
  uint64_t dropped_total() const;

 private:
  mutable std::mutex mu_;         // guards the list, held only to copy it
  uint64_t dropped_by_gone_ = 0;  // by subscribers since unsubscribed
  std::shared_ptr<const std::vector<std::shared_ptr<TelemetrySubscription>>> subs_ =
      std::make_shared<const std::vector<std::shared_ptr<TelemetrySubscription>>>();
};

}  // namespace rollrig::host
