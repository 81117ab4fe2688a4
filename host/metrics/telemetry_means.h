// One-second means of the telemetry channels that metrics export as gauges (torque,
// force, roller speed, winding temperature), computed off the telemetry path: one
// subscription to the TelemetryHub (the dispatcher's usual lock-free ring push), drained
// by a thread of its own every 100 ms (and at every read). A window is one second of the
// samples' host time; a channel a sample lacks is left out of its mean.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <array>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "host/device/telemetry_hub.h"

namespace rollrig::host {

// The means of the latest complete one-second window (nullopt: no sample had it).
struct TelemetryMeans {
  std::optional<double> torque_nm;
  std::optional<double> force_n;
  std::optional<double> roller_rpm;
  std::optional<double> temp_c;
  int64_t window_end_unix_ns = 0;  // 0: no window completed yet
  uint64_t samples = 0;            // in that window
};

class TelemetryAverager {
 public:
  static constexpr int64_t kWindowNs = 1'000'000'000;

  // Subscribes at once; `hub` must outlive this.
  explicit TelemetryAverager(TelemetryHub* hub);
  ~TelemetryAverager();  // Stop()s and unsubscribes
  TelemetryAverager(const TelemetryAverager&) = delete;
  TelemetryAverager& operator=(const TelemetryAverager&) = delete;

  void Start(int period_ms = 100);
  void Stop();
  // Folds in what is queued, then returns the latest window's means.
  TelemetryMeans Means();

 private:
  static constexpr size_t kChannels = 4;
  void DrainLocked();
  void AddLocked(const Sample& s);
  void CloseWindowLocked(int64_t end_ns);
  void Loop(int period_ms);

  TelemetryHub* const hub_;
  std::shared_ptr<TelemetrySubscription> sub_;
  std::array<size_t, kChannels> channels_;  // indexes into kTelemetryChannels
  std::mutex mu_;                           // guards what follows
  std::vector<Sample> scratch_;
  int64_t window_start_ns_ = 0;
  std::array<double, kChannels> sums_{};
  std::array<uint64_t, kChannels> counts_{};
  uint64_t window_samples_ = 0;
  TelemetryMeans latest_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace rollrig::host
