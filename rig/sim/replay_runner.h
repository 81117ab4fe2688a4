// Runs a ReplayDevice on its own thread, paced by a Clock, behind a thread-safe byte pipe
// to the host: the replay counterpart of SimRunner, for rig-sim --replay and rigd's
// `replay:` device.
//
// Flow control as SimRunner's: device output moves into the host pipe only while it holds
// less than kHostPipeBytes, so with `fast` the replay goes exactly as fast as the host
// reads and nothing is dropped.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "rig/base/clock.h"
#include "rig/sim/device_pipe.h"
#include "rig/sim/replay_device.h"

namespace rollrig::sim {

// Thread-safe. Start() launches the thread; Stop() (or the destructor) joins it.
class ReplayRunner final : public DevicePipe {
 public:
  static constexpr size_t kHostPipeBytes = 64 * 1024;

  // `log` receives the device's notes (on the replay thread); `clock` must outlive it.
  ReplayRunner(std::unique_ptr<ReplaySource> source, const ReplayOptions& options, Clock* clock,
               std::function<void(const std::string&)> log);
  ~ReplayRunner() override;

  void Start();
  void Stop();

  void WriteFromHost(const uint8_t* data, size_t n) override;
  size_t ReadToHost(uint8_t* buf, size_t cap, int64_t timeout_ns) override;
  void DiscardPipes() override;

  bool finished();
  uint64_t samples_sent();

 private:
  void Loop();

  Clock* clock_;
  std::function<void(const std::string&)> log_;
  std::mutex mu_;
  std::condition_variable output_ready_;
  std::condition_variable wake_;
  ReplayDevice device_;
  std::vector<uint8_t> to_host_;
  size_t to_host_head_ = 0;
  std::vector<uint8_t> scratch_;
  bool running_ = false;
  std::thread thread_;
};

}  // namespace rollrig::sim
