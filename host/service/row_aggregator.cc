#include "host/service/row_aggregator.h"

#include <cmath>

#include "rig/base/channel_fields.h"

namespace rollrig::host {
void SampleToRow(const Sample& s, rollrig::v1::TelemetryRow* row) {
  DisplayFieldsOf<rollrig::v1::TelemetryRow>().Write(s, row);
  row->set_t_s(static_cast<double>(s.time_us) * 1e-6);
  row->set_seq(s.seq);
  row->set_samples(1);
  row->set_drops(0);
  row->set_host_time_ns(s.host_time_ns);
}

RowAggregator::RowAggregator(double rate_hz)
    : interval_us_(rate_hz > 0 && std::isfinite(rate_hz)
                       ? static_cast<uint64_t>(std::llround(1e6 / rate_hz))
                       : 0) {}

void RowAggregator::Add(const Sample& s,
                        google::protobuf::RepeatedPtrField<rollrig::v1::TelemetryRow>* out) {
  const uint64_t gap = have_last_seq_ && s.seq > last_seq_ + 1 ? s.seq - last_seq_ - 1 : 0;
  have_last_seq_ = true;
  last_seq_ = s.seq;

  if (interval_us_ == 0) {
    pending_drops_ += gap;
    rollrig::v1::TelemetryRow* row = out->Add();
    SampleToRow(s, row);
    row->set_drops(pending_drops_);
    pending_drops_ = 0;
    return;
  }
  // Rows are aligned to multiples of the interval in device time, so two clients asking
  // for the same rate see the same rows.
  if (n_ > 0 && s.time_us >= row_end_us_) Emit(out);
  // A gap just before this sample belongs to the row this sample is in.
  pending_drops_ += gap;
  if (n_ == 0) row_end_us_ = (s.time_us / interval_us_ + 1) * interval_us_;
  for (size_t c = 0; c < kTelemetryChannelCount; ++c) {
    if (!ChannelPresent(s, c)) continue;
    sum_[c] += s.*kTelemetryChannels[c].member;
    ++count_[c];
  }
  ++n_;
  last_ = s;
}

void RowAggregator::Flush(google::protobuf::RepeatedPtrField<rollrig::v1::TelemetryRow>* out) {
  if (n_ > 0) Emit(out);
}

void RowAggregator::Emit(google::protobuf::RepeatedPtrField<rollrig::v1::TelemetryRow>* out) {
  rollrig::v1::TelemetryRow* row = out->Add();
  const ChannelFields& fields = DisplayFieldsOf<rollrig::v1::TelemetryRow>();
  for (size_t c = 0; c < kTelemetryChannelCount; ++c) {
    if (count_[c] > 0) fields.Set(row, c, sum_[c] / count_[c]);
  }
  row->set_t_s(static_cast<double>(last_.time_us) * 1e-6);
  row->set_seq(last_.seq);
  row->set_samples(n_);
  row->set_host_time_ns(last_.host_time_ns);
  row->set_drops(pending_drops_);
  pending_drops_ = 0;
  n_ = 0;
  sum_.fill(0);
  count_.fill(0);
}

}  // namespace rollrig::host
