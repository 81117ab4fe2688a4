// What a replayed device plays back: the recorded device's identity, the program the
// recorded run uploaded, and its samples and device events in the order the device made
// them. The device side (ReplayDevice) only knows this interface; reading a recording
// file is the host's business (host/transport/mcap_replay_source.h).
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "rig/firmware/firmware.h"
#include "rollrig/v1/device.pb.h"

namespace rollrig::sim {

struct ReplayItem {
  bool is_event = false;
  firmware::TelemetrySample sample;  // when !is_event
  rollrig::v1::DeviceEvent event;    // when is_event
};

// Not thread-safe: one reader.
class ReplaySource {
 public:
  virtual ~ReplaySource() = default;
  virtual const rollrig::v1::DeviceInfo& device_info() const = 0;
  // The program and cycle count the recorded run started (empty when unknown), so a host
  // asking for something else can be told.
  virtual const std::vector<rollrig::v1::ProgramSegment>& recorded_program() const = 0;
  virtual uint32_t recorded_cycles() const = 0;
  // The next item; false at the end of the recording. An event comes before the sample
  // its sample_seq names; samples come in counter order (a gap is a jump in it).
  virtual absl::StatusOr<bool> Next(ReplayItem* item) = 0;
};

}  // namespace rollrig::sim
