// A run's recording (MCAP, host/recording/recording_layout.h) as a ReplaySource: what a
// ReplayDevice plays back.
//
// It reads the recorded DeviceInfo ("rollrig.device"), the run's profile and cycle count
// ("rollrig.run", the profile turned by `load_program` into the program the run uploaded),
// the device events on /events, and streams /telemetry in windows of
// log time, so memory stays flat however long the recording is. Playback starts at the
// program's PROGRAM_STARTED (samples and events before it were the arming, which rigd
// drops from a run); a recording without one plays from its first sample.
//
// Not thread-safe: one reader.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "host/recording/file_system.h"
#include "host/recording/mcap_reader.h"
#include "rig/sim/replay_source.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::host {

// The program a recorded run uploaded, from its profile and the recorded device's
// capabilities; empty when the profile does not load. Loading profiles is a layer above the
// transports (host/profile_loader): whoever opens a recording passes it in.
using RecordedProgramLoader = std::function<std::vector<rollrig::v1::ProgramSegment>(
    const rollrig::v1::ProfileSource& profile, const rollrig::v1::Capabilities& capabilities)>;

class McapReplaySource final : public sim::ReplaySource {
 public:
  // Errors name the file and what was missing or corrupt. Without `load_program` the
  // recorded program is empty (unknown).
  static absl::StatusOr<std::unique_ptr<McapReplaySource>> Open(
      const std::string& path, const RecordedProgramLoader& load_program,
      recording::FileSystem* fs = recording::RealFileSystem());
  ~McapReplaySource() override;

  const rollrig::v1::DeviceInfo& device_info() const override { return info_; }
  const std::vector<rollrig::v1::ProgramSegment>& recorded_program() const override {
    return program_;
  }
  uint32_t recorded_cycles() const override { return cycles_; }
  absl::StatusOr<bool> Next(sim::ReplayItem* item) override;

  // Samples in the recording from the program's start on (what a full replay sends).
  uint64_t samples_to_play() const { return samples_to_play_; }

 private:
  McapReplaySource() = default;
  // Reads the next window of telemetry; false when the recording has no more.
  absl::StatusOr<bool> ReadWindow();

  std::string path_;
  std::unique_ptr<recording::RandomAccessFile> file_;
  std::unique_ptr<recording::McapReader> reader_;
  rollrig::v1::DeviceInfo info_;
  std::vector<rollrig::v1::ProgramSegment> program_;
  uint32_t cycles_ = 0;
  std::optional<uint64_t> start_seq_;
  std::vector<rollrig::v1::DeviceEvent> events_;  // from PROGRAM_STARTED on, by sample_seq
  size_t next_event_ = 0;
  std::deque<firmware::TelemetrySample> samples_;
  uint64_t window_start_ = 0;
  uint64_t end_time_ = 0;
  bool telemetry_done_ = false;
  uint64_t samples_to_play_ = 0;
};

}  // namespace rollrig::host
