#include "host/transport/sim_transport.h"

#include <algorithm>

#include "absl/status/status.h"

namespace rollrig::host {
namespace {

// A blocked Read() waits in slices this long, so Close() ends it promptly.
constexpr int64_t kReadSliceNs = 10'000'000;

absl::Status NotOpen() { return absl::UnavailableError("sim: transport is closed"); }

}  // namespace

SimTransport::SimTransport(const sim::SimOptions& options, Clock* clock)
    : runner_(std::make_unique<sim::SimRunner>(options, clock)) {}

SimTransport::~SimTransport() {
  Close();
  runner_->Stop();
}

absl::Status SimTransport::Open() {
  {
    std::lock_guard<std::mutex> lock(start_mu_);
    if (!started_) {
      runner_->Start();
      started_ = true;
    }
  }
  // A new connection starts clean: nothing of the previous one is delivered.
  runner_->DiscardPipes();
  open_.store(true, std::memory_order_release);
  return absl::OkStatus();
}

absl::Status SimTransport::Write(const uint8_t* data, size_t n) {
  if (!open_.load(std::memory_order_acquire)) return NotOpen();
  runner_->WriteFromHost(data, n);
  return absl::OkStatus();
}

absl::StatusOr<size_t> SimTransport::Read(uint8_t* buf, size_t cap, absl::Duration timeout) {
  int64_t remaining_ns = std::max<int64_t>(0, absl::ToInt64Nanoseconds(timeout));
  do {
    if (!open_.load(std::memory_order_acquire)) return NotOpen();
    const int64_t slice_ns = std::min(remaining_ns, kReadSliceNs);
    const size_t got = runner_->ReadToHost(buf, cap, slice_ns);
    if (got > 0) return got;
    remaining_ns -= slice_ns;
  } while (remaining_ns > 0);
  return size_t{0};
}

void SimTransport::Close() { open_.store(false, std::memory_order_release); }

}  // namespace rollrig::host
