#include "gui/dash/telemetry_ingest.h"

namespace rollrig::gui {

const char* ChannelName(Channel c) {
  switch (c) {
    case kRollerCmd:
      return "roller rpm cmd";
    case kRoller:
      return "roller rpm";
    case kHeadCmd:
      return "head deg cmd";
    case kHead:
      return "head deg";
    case kTorque:
      return "torque";
    case kForce:
      return "force";
    default:
      return "?";
  }
}

void TelemetryIngestor::Emit(double device_t, uint64_t dropped, TelemetryPoint p,
                             std::vector<TelemetryPoint>* out) {
  if (!started_) {
    started_ = true;
    t0_ = device_t;
    dropped = 0;  // nothing was lost before the first sample we ever saw
  }
  double t = device_t - t0_ + rebase_;
  if (t < last_t_) {
    // The device's clock went back (it was reset): continue the axis after a gap instead
    // of drawing backwards.
    rebase_ += last_t_ - t;
    t = last_t_;
    if (dropped == 0) dropped = 1;
  }
  last_t_ = t;
  p.t = t;
  p.dropped_before = dropped;
  dropped_total_ += dropped;
  out->push_back(p);
}

void TelemetryIngestor::AddRow(const rollrig::v1::TelemetryRow& row,
                               std::vector<TelemetryPoint>* out) {
  TelemetryPoint p;
  p.v[kRollerCmd] = static_cast<float>(row.roller_rpm_cmd());
  p.v[kRoller] = static_cast<float>(row.roller_rpm());
  p.v[kHeadCmd] = static_cast<float>(row.head_deg_cmd());
  p.v[kHead] = static_cast<float>(row.head_deg());
  p.v[kTorque] = static_cast<float>(row.torque_nm());
  p.v[kForce] = static_cast<float>(row.force_n());
  last_seq_ = row.seq();
  Emit(row.t_s(), row.drops(), p, out);
}

void TelemetryIngestor::AddRecord(const rollrig::v1::TelemetryRecord& record,
                                  std::vector<TelemetryPoint>* out) {
  TelemetryPoint p;
  p.v[kRollerCmd] = static_cast<float>(record.roller_rpm_cmd());
  p.v[kRoller] = static_cast<float>(record.roller_rpm());
  p.v[kHeadCmd] = static_cast<float>(record.head_deg_cmd());
  p.v[kHead] = static_cast<float>(record.head_deg());
  p.v[kTorque] = static_cast<float>(record.torque_nm());
  p.v[kForce] = static_cast<float>(record.force_n());
  uint64_t dropped = 0;
  if (started_ && record.seq() > last_seq_ + 1) dropped = record.seq() - last_seq_ - 1;
  if (started_ && record.seq() <= last_seq_) dropped = 1;  // counter restarted: a reset
  last_seq_ = record.seq();
  Emit(static_cast<double>(record.device_time_us()) * 1e-6, dropped, p, out);
}

}  // namespace rollrig::gui
