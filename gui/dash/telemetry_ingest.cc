#include "gui/dash/telemetry_ingest.h"

#include <optional>

#include "rig/base/channel_fields.h"

namespace rollrig::gui {

namespace {

// The channels of `m` (a TelemetryRow or TelemetryRecord) onto a point.
void ChannelsOf(const google::protobuf::Message& m, const ChannelFields& fields,
                TelemetryPoint* p) {
  for (Channel c = 0; c < kChannelCount; ++c) {
    const std::optional<double> v = fields.Get(m, c);
    p->v[c] = v ? static_cast<float>(*v) : 0.0f;
    if (!v) p->absent |= ChannelBit(c);
  }
}

}  // namespace

std::string_view ChannelName(Channel c) { return kTelemetryChannels[c].name; }

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
  ChannelsOf(row, DisplayFieldsOf<rollrig::v1::TelemetryRow>(), &p);
  last_seq_ = row.seq();
  Emit(row.t_s(), row.drops(), p, out);
}

void TelemetryIngestor::AddRecord(const rollrig::v1::TelemetryRecord& record,
                                  std::vector<TelemetryPoint>* out) {
  TelemetryPoint p;
  ChannelsOf(record, DisplayFieldsOf<rollrig::v1::TelemetryRecord>(), &p);
  uint64_t dropped = 0;
  if (started_ && record.seq() > last_seq_ + 1) dropped = record.seq() - last_seq_ - 1;
  if (started_ && record.seq() <= last_seq_) dropped = 1;  // counter restarted: a reset
  last_seq_ = record.seq();
  Emit(static_cast<double>(record.device_time_us()) * 1e-6, dropped, p, out);
}

}  // namespace rollrig::gui
