// Runs a ReplayDevice on its own thread, paced by a Clock, behind a thread-safe byte pipe
// to the host: the replay counterpart of SimRunner, for rig-sim --replay and rigd's
// `replay:` device.
//
// Flow control as SimRunner's (PipeRunner), so with `fast` the replay goes exactly as fast
// as the host reads and nothing is dropped.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "rig/base/clock.h"
#include "rig/sim/pipe_runner.h"
#include "rig/sim/replay_device.h"

namespace rollrig::sim {

// Thread-safe. Start() launches the thread; Stop() (or the destructor) joins it.
class ReplayRunner final : public PipeRunner {
 public:
  // `log` receives the device's notes (on the replay thread); `clock` must outlive it.
  ReplayRunner(std::unique_ptr<ReplaySource> source, const ReplayOptions& options, Clock* clock,
               std::function<void(const std::string&)> log);
  ~ReplayRunner() override;

  void Start();

  void WriteFromHost(const uint8_t* data, size_t n) override;
  void DiscardPipes() override;

  bool finished();
  uint64_t samples_sent();

 private:
  void Loop() override;

  Clock* clock_;
  std::function<void(const std::string&)> log_;
  ReplayDevice device_;
};

}  // namespace rollrig::sim
