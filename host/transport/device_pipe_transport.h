// A Transport over a device that runs on its own thread behind a sim::DevicePipe: the
// simulated massager (SimTransport) or a recording played back (ReplayTransport).
//
// The first Open() starts the device; every Open() gives the new connection clean pipes,
// like plugging a cable in; Close() only ends the connection: the device keeps running,
// as a real one would. A blocked Read() waits in short slices so Close() ends it promptly.
//
// Thread safety: as Transport. A subclass stops its device in its own destructor.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>

#include "host/transport/transport.h"
#include "rig/sim/device_pipe.h"

namespace rollrig::host {

class DevicePipeTransport : public Transport {
 public:
  absl::Status Open() override;
  absl::Status Write(const uint8_t* data, size_t n) override;
  absl::StatusOr<size_t> Read(uint8_t* buf, size_t cap, absl::Duration timeout) override;
  void Close() override;

 protected:
  // `name` begins the errors: "sim: transport is closed".
  explicit DevicePipeTransport(std::string name) : name_(std::move(name)) {}

  // The device's pipe, and starting its thread (called once, on the first Open()).
  virtual sim::DevicePipe& pipe() = 0;
  virtual void StartDevice() = 0;

 private:
  absl::Status NotOpen() const;

  const std::string name_;
  std::mutex start_mu_;
  bool started_ = false;
  std::atomic<bool> open_{false};
};

}  // namespace rollrig::host
