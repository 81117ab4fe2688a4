// A recording played back as the device: rigd's `--device replay:PATH` (paced by the
// recorded device times) and `replay-fast:PATH` (as fast as rigd reads).
//
// Owns a sim::ReplayRunner over a McapReplaySource. Playback starts at the host's first
// StartProgram (see rig/sim/replay_device.h) and plays once; where the host's commands
// differ from the recorded run a line goes to stderr ("replay: ...").
//
// Thread safety: as Transport.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "host/transport/mcap_replay_source.h"
#include "host/transport/transport.h"
#include "rig/base/clock.h"
#include "rig/sim/replay_runner.h"

namespace rollrig::host {

class ReplayTransport final : public Transport {
 public:
  // Opens the recording now, so a missing or corrupt file fails at once, naming it.
  static absl::StatusOr<std::unique_ptr<ReplayTransport>> Create(
      const std::string& path, const sim::ReplayOptions& options,
      const RecordedProgramLoader& load_program, Clock* clock = RealClock());
  ~ReplayTransport() override;

  absl::Status Open() override;
  absl::Status Write(const uint8_t* data, size_t n) override;
  absl::StatusOr<size_t> Read(uint8_t* buf, size_t cap, absl::Duration timeout) override;
  void Close() override;
  std::string Describe() const override { return describe_; }

  // Samples the recording holds from the program's start on; samples sent so far.
  uint64_t samples_to_play() const { return samples_to_play_; }
  sim::ReplayRunner& runner() { return *runner_; }

 private:
  ReplayTransport() = default;

  std::string describe_;
  uint64_t samples_to_play_ = 0;
  std::unique_ptr<sim::ReplayRunner> runner_;
  std::mutex start_mu_;
  bool started_ = false;
  std::atomic<bool> open_{false};
};

}  // namespace rollrig::host
