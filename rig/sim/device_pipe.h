// The byte pipe between a device running on its own thread and one host: what the TCP
// server (and an in-process transport) move bytes through. Implemented by SimRunner (the
// simulated massager) and ReplayRunner (a recording played back).
//
// Thread-safe: one host-side reader, any writer.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rollrig::sim {

class DevicePipe {
 public:
  virtual ~DevicePipe() = default;
  // Host-to-device bytes (any chunking).
  virtual void WriteFromHost(const uint8_t* data, size_t n) = 0;
  // Device-to-host bytes: waits up to timeout_ns for some, then copies at most `cap`.
  // Returns the count (0 on timeout or once stopped).
  virtual size_t ReadToHost(uint8_t* buf, size_t cap, int64_t timeout_ns) = 0;
  // Discards bytes queued in both directions (a new host connection starts clean).
  virtual void DiscardPipes() = 0;
};

}  // namespace rollrig::sim
