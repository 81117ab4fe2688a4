#include "rig/sim/pipe_runner.h"

#include <algorithm>
#include <chrono>
#include <cstring>

namespace rollrig::sim {

void PipeRunner::StartThreadLocked() {
  running_ = true;
  thread_ = std::thread([this] { Loop(); });
}

void PipeRunner::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!running_) return;
    running_ = false;
  }
  wake_.notify_all();
  output_ready_.notify_all();
  if (thread_.joinable()) thread_.join();
}

size_t PipeRunner::ReadToHost(uint8_t* buf, size_t cap, int64_t timeout_ns) {
  std::unique_lock<std::mutex> lock(mu_);
  output_ready_.wait_for(lock, std::chrono::nanoseconds(std::max<int64_t>(timeout_ns, 0)),
                         [this] { return !running_ || to_host_head_ < to_host_.size(); });
  if (!running_) return 0;
  const size_t n = std::min(cap, to_host_.size() - to_host_head_);
  if (n > 0) std::memcpy(buf, to_host_.data() + to_host_head_, n);
  to_host_head_ += n;
  if (to_host_head_ == to_host_.size()) DiscardHostPipeLocked();
  return n;
}

std::vector<uint8_t>* PipeRunner::host_pipe_back() {
  if (to_host_head_ > 0 && to_host_head_ == to_host_.size()) DiscardHostPipeLocked();
  return &to_host_;
}

void PipeRunner::DiscardHostPipeLocked() {
  to_host_.clear();
  to_host_head_ = 0;
}

}  // namespace rollrig::sim
