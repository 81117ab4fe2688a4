// The byte pipe between rigd and one device. Implementations: the in-process simulator
// (SimTransport), a rig-sim process over TCP (TcpTransport), and later USB and replay.
// Fault-injecting wrappers sit in front of any of them in tests.
//
// Thread safety: one thread calls Read(); any thread may call Write() (implementations
// serialize writes); Close() may be called from any thread and makes a blocked Read()
// return promptly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace rollrig::host {

class Transport {
 public:
  virtual ~Transport() = default;

  // Connects (opens the device). Errors name what was tried: UNAVAILABLE for a device
  // not there, FAILED_PRECONDITION for one busy or of the wrong kind.
  virtual absl::Status Open() = 0;
  // Sends all bytes or fails (UNAVAILABLE once the device is gone).
  virtual absl::Status Write(const uint8_t* data, size_t n) = 0;
  // Waits up to `timeout` for bytes; returns how many were read (0 on timeout).
  // UNAVAILABLE once the device is gone or the transport closed.
  virtual absl::StatusOr<size_t> Read(uint8_t* buf, size_t cap, absl::Duration timeout) = 0;
  virtual void Close() = 0;
  // "sim", "tcp:127.0.0.1:7000", ...
  virtual std::string Describe() const = 0;
};

}  // namespace rollrig::host
