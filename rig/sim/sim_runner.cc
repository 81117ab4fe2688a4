#include "rig/sim/sim_runner.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace rollrig::sim {
namespace {

constexpr int64_t kWakeGranularityNs = 1'000'000;

}  // namespace

SimRunner::SimRunner(const SimOptions& options, Clock* clock) : clock_(clock), device_(options) {}

SimRunner::~SimRunner() { Stop(); }

void SimRunner::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (running_) return;
  tick_period_ns_ = int64_t{device_.firmware().tick_period_us()} * 1000;
  start_ns_ = clock_->NowNanos();
  next_tick_ = 0;
  StartThreadLocked();
}

void SimRunner::WriteFromHost(const uint8_t* data, size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  from_host_.insert(from_host_.end(), data, data + n);
}

void SimRunner::DiscardPipes() {
  std::lock_guard<std::mutex> lock(mu_);
  from_host_.clear();
  DiscardHostPipeLocked();
  // What the device had queued for the old host is stale too (whole frames only: the
  // device never hands out part of a frame here).
  std::vector<uint8_t> stale;
  device_.TakeOutput(&stale);
}

void SimRunner::WithDevice(const std::function<void(SimulatedDevice&)>& fn) {
  std::lock_guard<std::mutex> lock(mu_);
  fn(device_);
}

void SimRunner::SetWatchdogResetListener(std::function<void()> listener) {
  std::lock_guard<std::mutex> lock(listener_mu_);
  watchdog_reset_listener_ = std::move(listener);
}

void SimRunner::Loop() {
  for (;;) {
    int64_t next_ns;
    bool watchdog_reset = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!running_) return;
      next_ns = RunDueTicks(clock_->NowNanos());
      watchdog_reset = device_.watchdog_resets() != watchdog_resets_seen_;
      watchdog_resets_seen_ = device_.watchdog_resets();
    }
    output_ready_.notify_all();
    if (watchdog_reset) {
      std::lock_guard<std::mutex> lock(listener_mu_);
      if (watchdog_reset_listener_) watchdog_reset_listener_();
    }
    WaitUntil(next_ns);
  }
}

int64_t SimRunner::RunDueTicks(int64_t now_ns) {
  const auto tick_time = [this](uint64_t k) {
    return start_ns_ + static_cast<int64_t>(k) * tick_period_ns_;
  };
  if (now_ns >= tick_time(next_tick_)) {
    const uint64_t due = static_cast<uint64_t>((now_ns - start_ns_) / tick_period_ns_) + 1;
    if (due - next_tick_ > kMaxBurstTicks) next_tick_ = due - kMaxBurstTicks;  // skip ahead
    for (; next_tick_ < due; ++next_tick_) {
      // Bytes from the host reach the device before every tick.
      if (!from_host_.empty()) {
        device_.ReceiveFromHost(from_host_.data(), from_host_.size());
        from_host_.clear();
      }
      device_.Tick();
    }
  }
  if (host_pipe_has_room()) device_.TakeOutput(host_pipe_back());
  // Wake no more often than the granularity: later ticks wait for the next burst.
  return std::max(tick_time(next_tick_), now_ns + kWakeGranularityNs);
}

void SimRunner::WaitUntil(int64_t deadline_ns) {
  std::unique_lock<std::mutex> lock(mu_);
  while (running_) {
    const int64_t remaining = deadline_ns - clock_->NowNanos();
    if (remaining <= 0) return;
    wake_.wait_for(lock, std::chrono::nanoseconds(std::min(remaining, kWakeGranularityNs)));
  }
}

}  // namespace rollrig::sim
