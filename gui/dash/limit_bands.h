// The live limits on channels a run is judged by, for the plots' limit bands: from a
// profile's text (what a run will be held to) or from a verdict (what it was held to). A
// limit is on a channel when its signal is one the channel table backs
// (rig/base/telemetry_channels.h); derived signals (tracking errors) draw no band.
#pragma once

#include <array>
#include <cstddef>
#include <string>

#include "rig/base/telemetry_channels.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::gui {

struct SignalLimit {
  bool has_min = false, has_max = false;
  double min = 0, max = 0;
  std::string name;  // the limit's name in the profile
};

struct RunLimits {
  std::array<SignalLimit, kTelemetryChannelCount> channels;  // channel-table order

  SignalLimit& of(size_t channel) { return channels[channel]; }
  const SignalLimit& of(size_t channel) const { return channels[channel]; }
  // Each channel without a limit here takes `fallback`'s.
  void FillFrom(const RunLimits& fallback);
};

// Profile-wide live limits on channels in a textproto profile; empty limits when the text
// does not parse (validation reports that, not the plots).
RunLimits LimitsFromProfileText(const std::string& text);
// The live-signal limits a verdict lists (measurement "torque_nm", ...).
RunLimits LimitsFromVerdict(const rollrig::v1::RunVerdict& verdict);

}  // namespace rollrig::gui
