#include "host/metrics/telemetry_means.h"

#include <chrono>

#include "rig/base/telemetry_channels.h"

namespace rollrig::host {
namespace {

// 1.6 s at 10 kHz: the ring never fills while drained every 100 ms.
constexpr size_t kRingSamples = 16384;

size_t Channel(std::string_view name) { return *FindChannel(name); }

}  // namespace

TelemetryAverager::TelemetryAverager(TelemetryHub* hub)
    : hub_(hub),
      sub_(hub->Subscribe(kRingSamples)),
      channels_{Channel("torque_nm"), Channel("force_n"), Channel("roller_rpm"),
                Channel("temp_c")} {
  scratch_.reserve(kRingSamples);
}

TelemetryAverager::~TelemetryAverager() {
  Stop();
  hub_->Unsubscribe(sub_);
}

void TelemetryAverager::Start(int period_ms) {
  if (thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this, period_ms] { Loop(period_ms); });
}

void TelemetryAverager::Stop() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void TelemetryAverager::Loop(int period_ms) {
  std::unique_lock<std::mutex> lock(stop_mu_);
  while (!stop_cv_.wait_for(lock, std::chrono::milliseconds(period_ms),
                            [this] { return stopping_; })) {
    std::lock_guard<std::mutex> means_lock(mu_);
    DrainLocked();
  }
}

TelemetryMeans TelemetryAverager::Means() {
  std::lock_guard<std::mutex> lock(mu_);
  DrainLocked();
  return latest_;
}

void TelemetryAverager::DrainLocked() {
  scratch_.clear();
  sub_->Drain(&scratch_, kRingSamples);
  for (const Sample& s : scratch_) AddLocked(s);
}

void TelemetryAverager::AddLocked(const Sample& s) {
  if (window_samples_ == 0) window_start_ns_ = s.host_time_ns;
  if (s.host_time_ns >= window_start_ns_ + kWindowNs) {
    CloseWindowLocked(window_start_ns_ + kWindowNs);
    window_start_ns_ = s.host_time_ns;
  }
  ++window_samples_;
  for (size_t i = 0; i < kChannels; ++i) {
    const std::optional<float> v = ChannelValue(s, channels_[i]);
    if (!v) continue;
    sums_[i] += *v;
    ++counts_[i];
  }
}

void TelemetryAverager::CloseWindowLocked(int64_t end_ns) {
  std::array<std::optional<double>, kChannels> means;
  for (size_t i = 0; i < kChannels; ++i) {
    if (counts_[i] > 0) means[i] = sums_[i] / static_cast<double>(counts_[i]);
  }
  latest_.torque_nm = means[0];
  latest_.force_n = means[1];
  latest_.roller_rpm = means[2];
  latest_.temp_c = means[3];
  latest_.window_end_unix_ns = end_ns;
  latest_.samples = window_samples_;
  sums_ = {};
  counts_ = {};
  window_samples_ = 0;
}

}  // namespace rollrig::host
