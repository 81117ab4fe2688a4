#include "rig/base/clock.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace rollrig {
namespace {

class SteadyClock final : public Clock {
 public:
  int64_t NowNanos() override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  void SleepUntil(int64_t deadline_ns) override {
    const int64_t now = NowNanos();
    if (deadline_ns > now) std::this_thread::sleep_for(std::chrono::nanoseconds(deadline_ns - now));
  }
};

class SystemClock final : public Clock {
 public:
  int64_t NowNanos() override { return UnixNanosNow(); }
  void SleepUntil(int64_t deadline_ns) override {
    const int64_t now = NowNanos();
    if (deadline_ns > now) std::this_thread::sleep_for(std::chrono::nanoseconds(deadline_ns - now));
  }
};

}  // namespace

Clock* WallClock() {
  static SystemClock* clock = new SystemClock();
  return clock;
}

Clock* RealClock() {
  static SteadyClock* clock = new SteadyClock();
  return clock;
}

int64_t UnixNanosNow() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct ManualClock::State {
  std::mutex mu;
  std::condition_variable cv;
  int64_t now_ns = 0;
};

ManualClock::ManualClock(int64_t start_ns) : state_(std::make_unique<State>()) {
  state_->now_ns = start_ns;
}
ManualClock::~ManualClock() = default;

int64_t ManualClock::NowNanos() {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->now_ns;
}

void ManualClock::SleepUntil(int64_t deadline_ns) {
  std::unique_lock<std::mutex> lock(state_->mu);
  state_->cv.wait(lock, [&] { return state_->now_ns >= deadline_ns; });
}

void ManualClock::Advance(int64_t delta_ns) {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->now_ns += delta_ns;
  }
  state_->cv.notify_all();
}

void ManualClock::Set(int64_t now_ns) {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->now_ns = now_ns;
  }
  state_->cv.notify_all();
}

SteppingClock::SteppingClock(int64_t start_ns) : now_ns_(start_ns) {}

int64_t SteppingClock::NowNanos() { return now_ns_.load(); }

void SteppingClock::SleepUntil(int64_t deadline_ns) {
  // Concurrent sleepers each move the time forward, never back.
  int64_t now = now_ns_.load();
  while (deadline_ns > now && !now_ns_.compare_exchange_weak(now, deadline_ns)) {
  }
}

void SteppingClock::Advance(int64_t delta_ns) { now_ns_.fetch_add(delta_ns); }

ScaledClock::ScaledClock(double factor) : factor_(factor), origin_ns_(RealClock()->NowNanos()) {}

int64_t ScaledClock::NowNanos() {
  return origin_ns_ +
         static_cast<int64_t>(static_cast<double>(RealClock()->NowNanos() - origin_ns_) * factor_);
}

void ScaledClock::SleepUntil(int64_t deadline_ns) {
  RealClock()->SleepUntil(
      origin_ns_ + static_cast<int64_t>(static_cast<double>(deadline_ns - origin_ns_) / factor_));
}

}  // namespace rollrig
