// A recording played back as the device: rigd's `--device replay:PATH` (paced by the
// recorded device times) and `replay-fast:PATH` (as fast as rigd reads).
//
// Owns a sim::ReplayRunner over a McapReplaySource. Playback starts at the host's first
// StartProgram (see rig/sim/replay_device.h) and plays once; where the host's commands
// differ from the recorded run a line goes to stderr ("replay: ...").
//
// Connections as DevicePipeTransport. Thread safety: as Transport.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "host/transport/device_pipe_transport.h"
#include "host/transport/mcap_replay_source.h"
#include "rig/base/clock.h"
#include "rig/sim/replay_runner.h"

namespace rollrig::host {

class ReplayTransport final : public DevicePipeTransport {
 public:
  // Opens the recording now, so a missing or corrupt file fails at once, naming it.
  static absl::StatusOr<std::unique_ptr<ReplayTransport>> Create(
      const std::string& path, const sim::ReplayOptions& options,
      const RecordedProgramLoader& load_program, Clock* clock = RealClock());
  ~ReplayTransport() override;

  std::string Describe() const override { return describe_; }

  // Samples the recording holds from the program's start on; samples sent so far.
  uint64_t samples_to_play() const { return samples_to_play_; }
  sim::ReplayRunner& runner() { return *runner_; }

 private:
  ReplayTransport() : DevicePipeTransport("replay") {}
  sim::DevicePipe& pipe() override { return *runner_; }
  void StartDevice() override { runner_->Start(); }

  std::string describe_;
  uint64_t samples_to_play_ = 0;
  std::unique_ptr<sim::ReplayRunner> runner_;
};

}  // namespace rollrig::host
