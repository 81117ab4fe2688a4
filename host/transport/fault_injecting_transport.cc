#include "host/transport/fault_injecting_transport.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace rollrig::host {
namespace {

constexpr auto kStallSlice = std::chrono::milliseconds(5);

}  // namespace

FaultInjectingTransport::FaultInjectingTransport(std::unique_ptr<Transport> inner,
                                                 const FaultInjectionOptions& options)
    : inner_(std::move(inner)), options_(options), rng_(options.seed) {}

FaultInjectingTransport::~FaultInjectingTransport() = default;

absl::Status FaultInjectingTransport::Open() {
  if (disconnected_.load()) {
    return absl::UnavailableError(
        absl::StrCat("device at ", inner_->Describe(), " is disconnected (fault injection)"));
  }
  closed_.store(false);
  return inner_->Open();
}

absl::Status FaultInjectingTransport::Write(const uint8_t* data, size_t n) {
  if (disconnected_.load()) {
    return absl::UnavailableError(
        absl::StrCat("device at ", inner_->Describe(), " disconnected (fault injection)"));
  }
  return inner_->Write(data, n);
}

absl::StatusOr<size_t> FaultInjectingTransport::Read(uint8_t* buf, size_t cap,
                                                     absl::Duration timeout) {
  if (disconnected_.load()) {
    return absl::UnavailableError(
        absl::StrCat("device at ", inner_->Describe(), " disconnected (fault injection)"));
  }
  if (stalled_.load()) {
    // Sleep in slices so Close(), a disconnect or the end of the stall end it early.
    const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(timeout);
    while (stalled_.load() && !closed_.load() && !disconnected_.load() &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(kStallSlice);
    }
    if (closed_.load()) return absl::UnavailableError("transport closed");
    return size_t{0};
  }
  absl::StatusOr<size_t> got = inner_->Read(buf, cap, timeout);
  if (!got.ok() || *got == 0) return got;
  return Mangle(buf, *got, cap);
}

size_t FaultInjectingTransport::Mangle(uint8_t* buf, size_t n, size_t cap) {
  std::lock_guard<std::mutex> lock(mu_);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  if (options_.drop_read_probability > 0 && unit(rng_) < options_.drop_read_probability) {
    ++stats_.reads_dropped;
    stats_.bytes_dropped += n;
    return 0;
  }
  if (options_.garbage_probability > 0 && n < cap && options_.max_garbage_bytes > 0 &&
      unit(rng_) < options_.garbage_probability) {
    const size_t room = std::min(cap - n, options_.max_garbage_bytes);
    const size_t k = std::uniform_int_distribution<size_t>(1, room)(rng_);
    std::memmove(buf + k, buf, n);
    for (size_t i = 0; i < k; ++i) buf[i] = static_cast<uint8_t>(rng_());
    stats_.garbage_bytes += k;
    n += k;
  }
  if (options_.corrupt_byte_probability > 0) {
    // Geometric skipping: one draw per corrupted byte instead of one per byte.
    std::geometric_distribution<size_t> skip(std::min(options_.corrupt_byte_probability, 1.0));
    for (size_t i = skip(rng_); i < n; i += 1 + skip(rng_)) {
      buf[i] ^= static_cast<uint8_t>(1u << (rng_() % 8));
      ++stats_.bytes_corrupted;
    }
  }
  return n;
}

void FaultInjectingTransport::Close() {
  closed_.store(true);
  inner_->Close();
}

void FaultInjectingTransport::SetOptions(const FaultInjectionOptions& options) {
  std::lock_guard<std::mutex> lock(mu_);
  options_ = options;
  rng_.seed(options.seed);
}

void FaultInjectingTransport::SetDisconnected(bool disconnected) {
  disconnected_.store(disconnected);
  // Pulling the cable ends the inner connection too: its buffered bytes are gone.
  if (disconnected) inner_->Close();
}

void FaultInjectingTransport::SetReadsStalled(bool stalled) { stalled_.store(stalled); }

FaultInjectionStats FaultInjectingTransport::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace rollrig::host
