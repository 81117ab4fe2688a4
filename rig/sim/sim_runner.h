// Runs a SimulatedDevice on its own thread, paced by a Clock (real time, or a
// ManualClock that tests advance), and gives it a thread-safe byte pipe to the host.
// Used by the host's in-process sim transport and by rig-sim's TCP server.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "rig/base/clock.h"
#include "rig/sim/simulated_device.h"

namespace rollrig::sim {

// Thread-safe. Start() launches the simulator thread; Stop() (or the destructor) joins it.
class SimRunner {
 public:
  SimRunner(const SimOptions& options, Clock* clock);
  ~SimRunner();

  void Start();
  void Stop();

  // Host-to-device bytes (any chunking).
  void WriteFromHost(const uint8_t* data, size_t n);
  // Device-to-host bytes: waits up to timeout_ns for some, then copies at most `cap`.
  // Returns the count (0 on timeout or after Stop()).
  size_t ReadToHost(uint8_t* buf, size_t cap, int64_t timeout_ns);
  // Discards bytes queued in both directions (a new host connection starts clean).
  void DiscardPipes();

  // Runs fn with the device locked: fault injection and inspection.
  void WithDevice(const std::function<void(SimulatedDevice&)>& fn);

 private:
  void Loop();

  Clock* clock_;
  SimulatedDevice device_;
  std::mutex mu_;
  std::condition_variable output_ready_;
  std::vector<uint8_t> from_host_;
  std::vector<uint8_t> to_host_;
  bool running_ = false;
  std::thread thread_;
};

}  // namespace rollrig::sim
