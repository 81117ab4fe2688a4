#include "host/service/stream_pump.h"

#include <chrono>

namespace rollrig::host {

void PumpedStream::RequestFinish(const grpc::Status& status) {
  {
    std::lock_guard<std::mutex> lock(status_mu_);
    finish_status_ = status;
  }
  finish_requested_.store(true);
}

grpc::Status PumpedStream::finish_status() const {
  std::lock_guard<std::mutex> lock(status_mu_);
  return finish_status_;
}

void PumpedStream::RecheckAdmission() {
  if (!admission_ || finish_requested()) return;
  if (grpc::Status s = admission_(); !s.ok()) RequestFinish(s);
}

StreamPump::StreamPump(absl::Duration period, const AccessControl* access)
    : period_(period), access_(access) {}

StreamPump::~StreamPump() { Stop(); }

void StreamPump::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (running_) return;
  running_ = true;
  thread_ = std::thread([this] { Loop(); });
}

void StreamPump::Add(PumpedStream* stream) {
  std::lock_guard<std::mutex> lock(mu_);
  streams_.emplace_back(stream);
}

size_t StreamPump::open_streams() const {
  std::lock_guard<std::mutex> lock(mu_);
  return streams_.size();
}

bool StreamPump::FinishAll(const grpc::Status& status, absl::Duration timeout) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& s : streams_) s->RequestFinish(status);
  }
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (open_streams() == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return open_streams() == 0;
}

void StreamPump::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!running_) return;
    running_ = false;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(streams_, [](const std::unique_ptr<PumpedStream>& s) { return s->done(); });
}

bool StreamPump::AdmissionsDue() {
  if (access_ == nullptr) return false;
  const absl::Time now = absl::Now();
  const uint64_t generation = access_->generation();
  if (generation == checked_generation_ && now < next_admission_check_) return false;
  checked_generation_ = generation;
  next_admission_check_ = now + absl::Seconds(1);
  return true;
}

void StreamPump::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (running_) {
    std::erase_if(streams_, [](const std::unique_ptr<PumpedStream>& s) { return s->done(); });
    if (AdmissionsDue()) {
      for (auto& s : streams_) s->RecheckAdmission();
    }
    for (auto& s : streams_) s->Pump();
    cv_.wait_for(lock, absl::ToChronoNanoseconds(period_), [this] { return !running_; });
  }
}

}  // namespace rollrig::host
