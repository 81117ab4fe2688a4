#include "rig/sim/replay_runner.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <utility>

namespace rollrig::sim {
namespace {

// The replay thread looks at the clock this often (real time).
constexpr auto kWake = std::chrono::milliseconds(1);
// Recorded items per wake when fast: bounded so the lock is never held for long.
constexpr size_t kFastItemsPerWake = 2000;

}  // namespace

ReplayRunner::ReplayRunner(std::unique_ptr<ReplaySource> source, const ReplayOptions& options,
                           Clock* clock, std::function<void(const std::string&)> log)
    : clock_(clock), log_(std::move(log)), device_(std::move(source), options) {}

ReplayRunner::~ReplayRunner() { Stop(); }

void ReplayRunner::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (running_) return;
  running_ = true;
  thread_ = std::thread([this] { Loop(); });
}

void ReplayRunner::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!running_) return;
    running_ = false;
  }
  wake_.notify_all();
  output_ready_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ReplayRunner::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (running_) {
    if (to_host_.size() - to_host_head_ < kHostPipeBytes) {
      device_.Pump(clock_->NowNanos(), kFastItemsPerWake);
      scratch_.clear();
      device_.TakeOutput(&scratch_);
      if (!scratch_.empty()) {
        if (to_host_head_ > 0 && to_host_head_ == to_host_.size()) {
          to_host_.clear();
          to_host_head_ = 0;
        }
        to_host_.insert(to_host_.end(), scratch_.begin(), scratch_.end());
        output_ready_.notify_all();
      }
    }
    std::vector<std::string> notes = device_.TakeNotes();
    if (!notes.empty() && log_) {
      lock.unlock();
      for (const std::string& note : notes) log_(note);
      lock.lock();
    }
    wake_.wait_for(lock, kWake);
  }
}

void ReplayRunner::WriteFromHost(const uint8_t* data, size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  device_.ReceiveFromHost(data, n);
}

size_t ReplayRunner::ReadToHost(uint8_t* buf, size_t cap, int64_t timeout_ns) {
  std::unique_lock<std::mutex> lock(mu_);
  output_ready_.wait_for(lock, std::chrono::nanoseconds(timeout_ns),
                         [&] { return !running_ || to_host_head_ < to_host_.size(); });
  const size_t n = std::min(cap, to_host_.size() - to_host_head_);
  if (n == 0) return 0;
  std::memcpy(buf, to_host_.data() + to_host_head_, n);
  to_host_head_ += n;
  if (to_host_head_ == to_host_.size()) {
    to_host_.clear();
    to_host_head_ = 0;
  }
  return n;
}

void ReplayRunner::DiscardPipes() {
  std::lock_guard<std::mutex> lock(mu_);
  to_host_.clear();
  to_host_head_ = 0;
  scratch_.clear();
  std::vector<uint8_t> drop;
  device_.TakeOutput(&drop);
}

bool ReplayRunner::finished() {
  std::lock_guard<std::mutex> lock(mu_);
  return device_.finished();
}

uint64_t ReplayRunner::samples_sent() {
  std::lock_guard<std::mutex> lock(mu_);
  return device_.samples_sent();
}

}  // namespace rollrig::sim
