// The clock seam. Everything that waits or timestamps takes a Clock, so tests can run
// the simulator in lock-step, faster than real time, and deterministically.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace rollrig {

// Monotonic time in nanoseconds plus a way to wait for it.
// Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic nanoseconds from an arbitrary origin.
  virtual int64_t NowNanos() = 0;
  // Blocks until NowNanos() >= deadline_ns (returns at once if it already is).
  virtual void SleepUntil(int64_t deadline_ns) = 0;
};

// The process-wide steady clock (std::chrono::steady_clock). Never null, never freed.
Clock* RealClock();

// Wall-clock now in Unix-epoch nanoseconds (for log times, not for intervals).
int64_t UnixNanosNow();

// The calendar as a Clock: NowNanos() is UnixNanosNow(). Not monotonic (the system time
// may be set back), so only for dates, e.g. when a credential expires; tests give a
// ManualClock started at a Unix time instead. Never null, never freed.
Clock* WallClock();

// A clock that only moves when told to. SleepUntil blocks until another thread advances
// the time past the deadline. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_ns = 0);
  ~ManualClock() override;
  int64_t NowNanos() override;
  void SleepUntil(int64_t deadline_ns) override;
  void Advance(int64_t delta_ns);
  void Set(int64_t now_ns);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Simulated time that moves only when told to (Advance) or when someone waits: SleepUntil
// jumps the time to its deadline at once. For code under test whose waits and timeouts
// should take no real time (a settle wait, a bounded poll). Thread-safe.
class SteppingClock final : public Clock {
 public:
  explicit SteppingClock(int64_t start_ns = 0);
  int64_t NowNanos() override;
  void SleepUntil(int64_t deadline_ns) override;
  void Advance(int64_t delta_ns);

 private:
  std::atomic<int64_t> now_ns_;
};

// Real time running `factor` times faster (or slower): lets tests and benchmarks run the
// simulated device faster than real time while everything else keeps real threads.
// Thread-safe.
class ScaledClock final : public Clock {
 public:
  explicit ScaledClock(double factor);
  int64_t NowNanos() override;
  void SleepUntil(int64_t deadline_ns) override;

 private:
  const double factor_;
  const int64_t origin_ns_;
};

}  // namespace rollrig
