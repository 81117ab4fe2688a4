#include "host/service/row_aggregator.h"

#include <cmath>

namespace rollrig::host {
namespace {

constexpr int kFields = 11;

void Values(const Sample& s, double v[kFields]) {
  v[0] = s.roller_rpm_cmd;
  v[1] = s.roller_rpm;
  v[2] = s.head_deg_cmd;
  v[3] = s.head_deg;
  v[4] = s.torque_nm;
  v[5] = s.force_n;
  v[6] = s.preload_cmd_n;
  v[7] = s.current_a;
  v[8] = s.temp_c;
  v[9] = s.voltage_v;
  v[10] = 0;
}

void SetValues(const double v[kFields], rollrig::v1::TelemetryRow* row) {
  row->set_roller_rpm_cmd(v[0]);
  row->set_roller_rpm(v[1]);
  row->set_head_deg_cmd(v[2]);
  row->set_head_deg(v[3]);
  row->set_torque_nm(v[4]);
  row->set_force_n(v[5]);
  row->set_preload_cmd_n(v[6]);
  row->set_current_a(v[7]);
  row->set_temp_c(v[8]);
  row->set_voltage_v(v[9]);
}

}  // namespace

void SampleToRow(const Sample& s, rollrig::v1::TelemetryRow* row) {
  double v[kFields];
  Values(s, v);
  SetValues(v, row);
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
  double v[kFields];
  Values(s, v);
  for (int i = 0; i < kFields; ++i) sum_[i] += v[i];
  ++n_;
  last_ = s;
}

void RowAggregator::Flush(google::protobuf::RepeatedPtrField<rollrig::v1::TelemetryRow>* out) {
  if (n_ > 0) Emit(out);
}

void RowAggregator::Emit(google::protobuf::RepeatedPtrField<rollrig::v1::TelemetryRow>* out) {
  double mean[kFields];
  for (int i = 0; i < kFields; ++i) mean[i] = sum_[i] / n_;
  rollrig::v1::TelemetryRow* row = out->Add();
  SetValues(mean, row);
  row->set_t_s(static_cast<double>(last_.time_us) * 1e-6);
  row->set_seq(last_.seq);
  row->set_samples(n_);
  row->set_host_time_ns(last_.host_time_ns);
  row->set_drops(pending_drops_);
  pending_drops_ = 0;
  n_ = 0;
  for (double& x : sum_) x = 0;
}

}  // namespace rollrig::host
