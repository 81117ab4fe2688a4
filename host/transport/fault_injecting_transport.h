// A Transport wrapper that misbehaves on purpose, for tests: it corrupts bytes, drops
// whole reads, inserts garbage, stalls reads (the host stops reading, so the device's
// buffers fill), and can play an unplugged device. Everything is seeded, so a failing
// test fails the same way again.
//
// Thread safety: as Transport; the setters may be called from any thread at any time.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>

#include "host/transport/transport.h"

namespace rollrig::host {

struct FaultInjectionOptions {
  uint64_t seed = 1;
  double corrupt_byte_probability = 0;  // per byte read: one bit flipped
  double drop_read_probability = 0;     // per Read(): the bytes read are discarded
  double garbage_probability = 0;       // per Read(): random bytes inserted before them
  size_t max_garbage_bytes = 32;
};

struct FaultInjectionStats {
  uint64_t bytes_corrupted = 0;
  uint64_t reads_dropped = 0;
  uint64_t bytes_dropped = 0;
  uint64_t garbage_bytes = 0;
};

class FaultInjectingTransport final : public Transport {
 public:
  explicit FaultInjectingTransport(std::unique_ptr<Transport> inner,
                                   const FaultInjectionOptions& options = {});
  ~FaultInjectingTransport() override;

  absl::Status Open() override;
  absl::Status Write(const uint8_t* data, size_t n) override;
  absl::StatusOr<size_t> Read(uint8_t* buf, size_t cap, absl::Duration timeout) override;
  void Close() override;
  // The inner transport's description: the wrapper is invisible to users.
  std::string Describe() const override { return inner_->Describe(); }

  // Replaces the options; the random sequence restarts from the new seed.
  void SetOptions(const FaultInjectionOptions& options);
  // While disconnected, Open(), Read() and Write() fail UNAVAILABLE as if the cable were
  // out (the inner transport is closed); after reconnecting, Open() works again.
  void SetDisconnected(bool disconnected);
  // While stalled, Read() waits out its timeout and returns nothing, reading nothing
  // from the inner transport.
  void SetReadsStalled(bool stalled);

  FaultInjectionStats stats() const;
  Transport& inner() { return *inner_; }

 private:
  // Applies drops, garbage and corruption to `n` bytes just read into `buf`.
  size_t Mangle(uint8_t* buf, size_t n, size_t cap);

  std::unique_ptr<Transport> inner_;
  std::atomic<bool> disconnected_{false};
  std::atomic<bool> stalled_{false};
  std::atomic<bool> closed_{false};
  mutable std::mutex mu_;  // guards the options, the generator and the stats
  FaultInjectionOptions options_;
  std::mt19937_64 rng_;
  FaultInjectionStats stats_;
};

}  // namespace rollrig::host
