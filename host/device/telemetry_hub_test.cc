#include "host/device/telemetry_hub.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "host/device/event_hub.h"

namespace rollrig::host {
namespace {

Sample MakeSample(uint64_t seq) {
  Sample s;
  s.seq = seq;
  s.time_us = seq * 1000;
  s.roller_rpm = static_cast<float>(seq % 1000);
  s.host_time_ns = static_cast<int64_t>(seq);
  return s;
}

std::vector<Sample> MakeSamples(uint64_t first, size_t n) {
  std::vector<Sample> out;
  for (size_t i = 0; i < n; ++i) out.push_back(MakeSample(first + i));
  return out;
}

TEST(TelemetrySubscriptionTest, KeepsOrderAndDropsExactlyWhatDoesNotFit) {
  TelemetryHub hub;
  auto sub = hub.Subscribe(8);
  const auto batch = MakeSamples(0, 5);
  hub.Publish(batch.data(), batch.size());
  const auto batch2 = MakeSamples(5, 5);
  hub.Publish(batch2.data(), batch2.size());  // only 3 of these fit

  std::vector<Sample> out;
  EXPECT_EQ(sub->Drain(&out, 2), 2u);
  EXPECT_EQ(sub->Drain(&out), 6u);
  ASSERT_EQ(out.size(), 8u);
  for (size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i].seq, i);
  EXPECT_EQ(sub->dropped(), 2u);

  // Wraps around the ring correctly after draining.
  const auto batch3 = MakeSamples(100, 7);
  hub.Publish(batch3.data(), batch3.size());
  out.clear();
  EXPECT_EQ(sub->Drain(&out), 7u);
  for (size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i].seq, 100 + i);
  EXPECT_EQ(sub->dropped(), 2u);
}

TEST(TelemetrySubscriptionTest, ProducerAndConsumerThreadsSeeEverySampleOnceInOrder) {
  TelemetryHub hub;
  auto sub = hub.Subscribe(64);
  constexpr uint64_t kTotal = 200'000;
  std::atomic<bool> producer_done{false};
  std::vector<uint64_t> received;
  received.reserve(kTotal);

  std::thread consumer([&] {
    std::vector<Sample> out;
    for (;;) {
      out.clear();
      const bool done = producer_done.load(std::memory_order_acquire);
      sub->Drain(&out);
      for (const auto& s : out) {
        received.push_back(s.seq);
        // The payload travels with its sequence number, not torn.
        ASSERT_EQ(s.time_us, s.seq * 1000);
        ASSERT_EQ(s.host_time_ns, static_cast<int64_t>(s.seq));
      }
      if (done && out.empty()) break;
      if (out.empty()) std::this_thread::yield();
    }
  });

  // The producer never overfills: it waits for room, so nothing may be dropped.
  uint64_t next = 0;
  while (next < kTotal) {
    const size_t n = std::min<uint64_t>(7, kTotal - next);
    const auto batch = MakeSamples(next, n);
    const uint64_t dropped_before = sub->dropped();
    hub.Publish(batch.data(), batch.size());
    const uint64_t dropped_now = sub->dropped() - dropped_before;
    // Republish what did not fit (the ring accepted a prefix).
    next += n - dropped_now;
    if (dropped_now > 0) std::this_thread::yield();
  }
  producer_done.store(true, std::memory_order_release);
  consumer.join();

  ASSERT_EQ(received.size(), kTotal);
  for (uint64_t i = 0; i < kTotal; ++i) ASSERT_EQ(received[i], i);
}

TEST(TelemetrySubscriptionTest, StalledConsumerCountsDropsExactly) {
  TelemetryHub hub;
  auto sub = hub.Subscribe(100);
  std::thread producer([&] {
    for (uint64_t i = 0; i < 1000; i += 10) {
      const auto batch = MakeSamples(i, 10);
      hub.Publish(batch.data(), batch.size());
    }
  });
  producer.join();  // the consumer never read meanwhile
  std::vector<Sample> out;
  EXPECT_EQ(sub->Drain(&out), 100u);
  EXPECT_EQ(sub->dropped(), 900u);
  // What was kept is the oldest part, in order: newer samples are the ones dropped.
  for (size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i].seq, i);
}

TEST(TelemetryHubTest, NotifyRunsAfterAPush) {
  TelemetryHub hub;
  std::atomic<int> notified{0};
  auto sub = hub.Subscribe(4, [&] { notified.fetch_add(1); });
  const auto batch = MakeSamples(0, 3);
  hub.Publish(batch.data(), batch.size());
  EXPECT_EQ(notified.load(), 1);
}

TEST(TelemetryHubTest, ManySubscribersEachGetEverything) {
  TelemetryHub hub;
  std::vector<std::shared_ptr<TelemetrySubscription>> subs;
  for (int i = 0; i < 50; ++i) subs.push_back(hub.Subscribe(1000));
  EXPECT_EQ(hub.subscriber_count(), 50u);
  for (uint64_t i = 0; i < 500; i += 50) {
    const auto batch = MakeSamples(i, 50);
    hub.Publish(batch.data(), batch.size());
  }
  for (auto& sub : subs) {
    std::vector<Sample> out;
    ASSERT_EQ(sub->Drain(&out), 500u);
    EXPECT_EQ(out.front().seq, 0u);
    EXPECT_EQ(out.back().seq, 499u);
    EXPECT_EQ(sub->dropped(), 0u);
  }
}

TEST(TelemetryHubTest, SlowSubscriberDoesNotAffectAFastOne) {
  TelemetryHub hub;
  auto slow = hub.Subscribe(16);
  auto fast = hub.Subscribe(256);
  std::vector<Sample> fast_out;
  for (uint64_t i = 0; i < 10'000; i += 10) {
    const auto batch = MakeSamples(i, 10);
    hub.Publish(batch.data(), batch.size());
    fast->Drain(&fast_out);  // keeps up; `slow` never reads
  }
  ASSERT_EQ(fast_out.size(), 10'000u);
  for (size_t i = 0; i < fast_out.size(); ++i) ASSERT_EQ(fast_out[i].seq, i);
  EXPECT_EQ(fast->dropped(), 0u);
  EXPECT_EQ(slow->dropped(), 10'000u - 16u);
}

TEST(TelemetryHubTest, UnsubscribeWhilePublishing) {
  TelemetryHub hub;
  auto keeper = hub.Subscribe(1 << 16);
  std::atomic<bool> stop{false};
  std::thread producer([&] {
    uint64_t seq = 0;
    while (!stop.load()) {
      const auto batch = MakeSamples(seq, 16);
      hub.Publish(batch.data(), batch.size());
      seq += 16;
      std::vector<Sample> sink;
      keeper->Drain(&sink);
    }
  });
  // Churn subscribers from another thread while the producer publishes.
  for (int round = 0; round < 2000; ++round) {
    auto sub = hub.Subscribe(32);
    std::vector<Sample> out;
    sub->Drain(&out);
    hub.Unsubscribe(sub);
  }
  stop.store(true);
  producer.join();
  EXPECT_EQ(hub.subscriber_count(), 1u);
  EXPECT_EQ(keeper->dropped(), 0u);
}

TEST(TelemetryHubTest, UnsubscribedGetsNothingMore) {
  TelemetryHub hub;
  auto sub = hub.Subscribe(10);
  hub.Unsubscribe(sub);
  const auto batch = MakeSamples(0, 3);
  hub.Publish(batch.data(), batch.size());
  std::vector<Sample> out;
  EXPECT_EQ(sub->Drain(&out), 0u);
  EXPECT_EQ(hub.subscriber_count(), 0u);
}

TEST(EventHubTest, DeliversStampsAndDropsOldestWhenFull) {
  EventHub hub;
  auto sub = hub.Subscribe(3);
  for (int i = 0; i < 5; ++i) {
    rollrig::v1::RigEvent e;
    e.set_kind(rollrig::v1::RIG_EVENT_TELEMETRY_GAP);
    e.set_gap_first_seq(i);
    hub.Publish(e);
  }
  EXPECT_TRUE(sub->WaitFor(absl::Milliseconds(1)));
  std::vector<rollrig::v1::RigEvent> out;
  EXPECT_EQ(sub->Drain(&out), 3u);
  EXPECT_EQ(sub->dropped(), 2u);
  EXPECT_EQ(out.front().gap_first_seq(), 2u);
  EXPECT_EQ(out.back().gap_first_seq(), 4u);
  EXPECT_GT(out.front().host_time_ns(), 0);
  EXPECT_LE(out.front().host_time_ns(), out.back().host_time_ns());
  EXPECT_FALSE(sub->WaitFor(absl::Milliseconds(1)));
  hub.Unsubscribe(sub);
  hub.Publish(rollrig::v1::RigEvent());
  EXPECT_EQ(sub->Drain(&out), 0u);
}

}  // namespace
}  // namespace rollrig::host
