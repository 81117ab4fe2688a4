// Turns telemetry as it arrives (rigd's TelemetryRow, a recording's TelemetryRecord) into
// points on one time axis, with the samples lost before each point, so the plots can
// break their lines there and show how many were dropped. Pure logic, no locking: one
// ingestor per source, used by that source's thread.
#pragma once

#include <cstdint>
#include <vector>

#include "rollrig/v1/recording.pb.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::gui {

// The plotted channels, in the order of TelemetryPoint::v.
enum Channel : int { kRollerCmd = 0, kRoller, kHeadCmd, kHead, kTorque, kForce, kChannelCount };
const char* ChannelName(Channel c);  // "roller rpm cmd", ...

struct TelemetryPoint {
  double t = 0;                 // seconds on the source's time axis
  float v[kChannelCount] = {};  // values, in Channel order
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
