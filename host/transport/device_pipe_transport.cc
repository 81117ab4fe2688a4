#include "host/transport/device_pipe_transport.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace rollrig::host {
namespace {

// A blocked Read() waits in slices this long, so Close() ends it promptly.
constexpr int64_t kReadSliceNs = 10'000'000;

}  // namespace

absl::Status DevicePipeTransport::NotOpen() const {
  return absl::UnavailableError(absl::StrCat(name_, ": transport is closed"));
}

absl::Status DevicePipeTransport::Open() {
  {
    std::lock_guard<std::mutex> lock(start_mu_);
    if (!started_) {
      StartDevice();
      started_ = true;
    }
  }
  // A new connection starts clean: nothing of the previous one is delivered.
  pipe().DiscardPipes();
  open_.store(true, std::memory_order_release);
  return absl::OkStatus();
}

absl::Status DevicePipeTransport::Write(const uint8_t* data, size_t n) {
  if (!open_.load(std::memory_order_acquire)) return NotOpen();
  pipe().WriteFromHost(data, n);
  return absl::OkStatus();
}

absl::StatusOr<size_t> DevicePipeTransport::Read(uint8_t* buf, size_t cap, absl::Duration timeout) {
  int64_t remaining_ns = std::max<int64_t>(0, absl::ToInt64Nanoseconds(timeout));
  do {
    if (!open_.load(std::memory_order_acquire)) return NotOpen();
    const int64_t slice_ns = std::min(remaining_ns, kReadSliceNs);
    const size_t got = pipe().ReadToHost(buf, cap, slice_ns);
    if (got > 0) return got;
    remaining_ns -= slice_ns;
  } while (remaining_ns > 0);
  return size_t{0};
}

void DevicePipeTransport::Close() { open_.store(false, std::memory_order_release); }

}  // namespace rollrig::host
