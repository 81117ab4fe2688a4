// Turns telemetry as it arrives (rigd's TelemetryRow, a recording's TelemetryRecord) into
// points on one time axis, with the samples lost before each point, so the plots can
// break their lines there and show how many were dropped. The channels are the channel
// table's (rig/base/telemetry_channels.h); a channel the source lacks is marked absent on
// the point and not drawn. Pure logic, no locking: one ingestor per source, used by that
// source's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "rig/base/telemetry_channels.h"
#include "rollrig/v1/recording.pb.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::gui {

// A channel: its index in kTelemetryChannels.
using Channel = size_t;
inline constexpr size_t kChannelCount = kTelemetryChannelCount;
// The channel called `name` (a table name such as "torque_nm"; it must exist).
constexpr Channel ChannelNamed(std::string_view name) { return FindChannel(name).value(); }
std::string_view ChannelName(Channel c);  // "roller_rpm_cmd", ...

struct TelemetryPoint {
  double t = 0;                 // seconds on the source's time axis
  float v[kChannelCount] = {};  // values, in channel-table order
  uint32_t absent = 0;          // ChannelBit(c) set: the source lacks channel c here
  uint64_t dropped_before = 0;  // samples lost between the previous point and this one
};

class TelemetryIngestor {
 public:
  // Live rows: time is device time since the first row seen (t_s - first t_s); rows carry
  // their own drop counts (device gaps and the stream's drops).
  void AddRow(const rollrig::v1::TelemetryRow& row, std::vector<TelemetryPoint>* out);
  // Recorded samples: time is device time since the first record (the recording's run
  // time); lost samples show as jumps of the 64-bit sample counter.
  void AddRecord(const rollrig::v1::TelemetryRecord& record, std::vector<TelemetryPoint>* out);

  // Device time of the first sample (seconds), the zero of the time axis.
  double time_zero_s() const { return t0_; }
  bool started() const { return started_; }
  uint64_t dropped_total() const { return dropped_total_; }

 private:
  void Emit(double device_t, uint64_t dropped, TelemetryPoint p, std::vector<TelemetryPoint>* out);

  bool started_ = false;
  double t0_ = 0;
  double last_t_ = 0;  // on our axis
  double rebase_ = 0;  // added after the device's clock restarted (a reset)
  uint64_t last_seq_ = 0;
  uint64_t dropped_total_ = 0;
};

}  // namespace rollrig::gui
