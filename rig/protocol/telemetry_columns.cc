#include "rig/protocol/telemetry_columns.h"

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"

namespace rollrig::protocol {
namespace {

// Fixed-point scales of the wire columns (device.proto): display unit x scale.
constexpr double kCenti = 100.0;
constexpr double kMilli = 1000.0;

// Values are clamped so that the difference of any two still fits a sint32 column.
constexpr double kFixedPointLimit = 1.0e9;

int32_t ToFixed(float value, double scale) {
  const double scaled = static_cast<double>(value) * scale;
  if (!std::isfinite(scaled)) {
    // NaN has no fixed-point value; infinities saturate like any other overflow.
    if (std::isnan(scaled)) return 0;
    return scaled > 0 ? static_cast<int32_t>(kFixedPointLimit)
                      : static_cast<int32_t>(-kFixedPointLimit);
  }
  const double clamped = std::fmax(-kFixedPointLimit, std::fmin(kFixedPointLimit, scaled));
  return static_cast<int32_t>(std::lround(clamped));  // round half away from zero
}

// a - b with two's-complement wrap-around, so that any int32 pair codes exactly and
// summing the deltas in int32 restores the value.
int32_t Delta(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) - static_cast<uint32_t>(b));
}

int32_t Accumulate(int32_t sum, int32_t delta) {
  return static_cast<int32_t>(static_cast<uint32_t>(sum) + static_cast<uint32_t>(delta));
}

float FromFixed(int64_t value, double scale) {
  return static_cast<float>(static_cast<double>(value) / scale);
}

}  // namespace

bool TelemetryBatchPacker::Add(const firmware::TelemetrySample& s) {
  if (count_ > 0 && s.seq != last_.seq + 1) return false;

  FixedPointSample fixed;
  fixed.time_us = static_cast<int64_t>(s.time_us);
  fixed.roller_rpm_cmd_c = ToFixed(s.roller_rpm_cmd, kCenti);
  fixed.roller_rpm_c = ToFixed(s.roller_rpm, kCenti);
  fixed.head_deg_cmd_c = ToFixed(s.head_deg_cmd, kCenti);
  fixed.head_deg_c = ToFixed(s.head_deg, kCenti);
  fixed.torque_mnm = ToFixed(s.torque_nm, kMilli);
  fixed.force_cn = ToFixed(s.force_n, kCenti);
  fixed.preload_cmd_cn = ToFixed(s.preload_cmd_n, kCenti);
  fixed.current_ma = ToFixed(s.current_a, kMilli);
  fixed.temp_cc = ToFixed(s.temp_c, kCenti);
  fixed.voltage_mv = ToFixed(s.voltage_v, kMilli);
  fixed.segment = s.segment;
  fixed.cycle = static_cast<int32_t>(s.cycle);

  // The first sample of a batch is coded from zero (its time from first_time_us).
  const FixedPointSample previous = count_ == 0 ? FixedPointSample{} : last_fixed_;
  if (count_ == 0) {
    pending_.set_first_sample_seq(s.seq);
    pending_.set_first_time_us(s.time_us);
    pending_.add_time_delta_us(0);
  } else {
    pending_.add_time_delta_us(fixed.time_us - previous.time_us);
  }
  pending_.add_roller_rpm_cmd_c(fixed.roller_rpm_cmd_c - previous.roller_rpm_cmd_c);
  pending_.add_roller_rpm_c(fixed.roller_rpm_c - previous.roller_rpm_c);
  pending_.add_head_deg_cmd_c(fixed.head_deg_cmd_c - previous.head_deg_cmd_c);
  pending_.add_head_deg_c(fixed.head_deg_c - previous.head_deg_c);
  pending_.add_torque_mnm(fixed.torque_mnm - previous.torque_mnm);
  pending_.add_force_cn(fixed.force_cn - previous.force_cn);
  pending_.add_preload_cmd_cn(fixed.preload_cmd_cn - previous.preload_cmd_cn);
  pending_.add_current_ma(fixed.current_ma - previous.current_ma);
  pending_.add_temp_cc(fixed.temp_cc - previous.temp_cc);
  pending_.add_voltage_mv(fixed.voltage_mv - previous.voltage_mv);
  // Integers, coded like the other columns; wrap-around subtraction keeps any value exact.
  pending_.add_segment(Delta(fixed.segment, previous.segment));
  pending_.add_cycle(Delta(fixed.cycle, previous.cycle));

  last_ = s;
  last_fixed_ = fixed;
  ++count_;
  return true;
}

size_t TelemetryBatchPacker::size() const { return count_; }

void TelemetryBatchPacker::Finish(const firmware::FirmwareStatus& status, uint32_t sample_period_us,
                                  rollrig::v1::TelemetryBatch* batch) {
  pending_.set_state(static_cast<rollrig::v1::DeviceState>(status.state));
  pending_.set_faults(status.faults);
  pending_.set_interlocks(status.interlocks);
  pending_.set_dropped_total(status.samples_dropped);
  pending_.set_sample_period_us(sample_period_us);
  pending_.set_program_state(static_cast<rollrig::v1::ProgramState>(status.program_state));
  pending_.set_program_id(status.program_id);
  // Swapping hands over the columns without copying; the caller's old capacity is reused.
  batch->Swap(&pending_);
  Clear();
}

void TelemetryBatchPacker::Clear() {
  pending_.Clear();
  count_ = 0;
}

absl::Status UnpackTelemetryBatch(const rollrig::v1::TelemetryBatch& batch,
                                  std::vector<firmware::TelemetrySample>* out) {
  const int n = batch.time_delta_us_size();
  struct Column {
    const char* name;
    int size;
  };
  const Column columns[] = {
      {"roller_rpm_cmd_c", batch.roller_rpm_cmd_c_size()},
      {"roller_rpm_c", batch.roller_rpm_c_size()},
      {"head_deg_cmd_c", batch.head_deg_cmd_c_size()},
      {"head_deg_c", batch.head_deg_c_size()},
      {"torque_mnm", batch.torque_mnm_size()},
      {"force_cn", batch.force_cn_size()},
      {"preload_cmd_cn", batch.preload_cmd_cn_size()},
      {"current_ma", batch.current_ma_size()},
      {"temp_cc", batch.temp_cc_size()},
      {"voltage_mv", batch.voltage_mv_size()},
  };
  const bool has_segment = batch.segment_size() > 0;
  const bool has_cycle = batch.cycle_size() > 0;
  if ((has_segment && batch.segment_size() != n) || (has_cycle && batch.cycle_size() != n)) {
    const bool segment_wrong = has_segment && batch.segment_size() != n;
    return absl::InvalidArgumentError(
        absl::StrCat("telemetry batch at sample ", batch.first_sample_seq(), ": column ",
                     segment_wrong ? "segment" : "cycle", " has ",
                     segment_wrong ? batch.segment_size() : batch.cycle_size(),
                     " values, time_delta_us has ", n));
  }
  for (const Column& column : columns) {
    if (column.size != n) {
      return absl::InvalidArgumentError(
          absl::StrCat("telemetry batch at sample ", batch.first_sample_seq(), ": column ",
                       column.name, " has ", column.size, " values, time_delta_us has ", n));
    }
  }

  out->reserve(out->size() + static_cast<size_t>(n));
  // Running sums in 64 bits: a corrupt batch may overflow 32-bit columns, never UB here.
  int64_t time_us = static_cast<int64_t>(batch.first_time_us());
  int64_t rpm_cmd = 0, rpm = 0, head_cmd = 0, head = 0, torque = 0, force = 0, preload = 0,
          current = 0, temp = 0, voltage = 0;
  int32_t segment = 0, cycle = 0;
  for (int i = 0; i < n; ++i) {
    time_us += batch.time_delta_us(i);
    rpm_cmd += batch.roller_rpm_cmd_c(i);
    rpm += batch.roller_rpm_c(i);
    head_cmd += batch.head_deg_cmd_c(i);
    head += batch.head_deg_c(i);
    torque += batch.torque_mnm(i);
    force += batch.force_cn(i);
    preload += batch.preload_cmd_cn(i);
    current += batch.current_ma(i);
    temp += batch.temp_cc(i);
    voltage += batch.voltage_mv(i);
    segment = has_segment ? Accumulate(segment, batch.segment(i)) : -1;
    cycle = has_cycle ? Accumulate(cycle, batch.cycle(i)) : 0;

    firmware::TelemetrySample& s = out->emplace_back();
    s.seq = batch.first_sample_seq() + static_cast<uint64_t>(i);
    s.time_us = static_cast<uint64_t>(time_us);
    s.roller_rpm_cmd = FromFixed(rpm_cmd, kCenti);
    s.roller_rpm = FromFixed(rpm, kCenti);
    s.head_deg_cmd = FromFixed(head_cmd, kCenti);
    s.head_deg = FromFixed(head, kCenti);
    s.torque_nm = FromFixed(torque, kMilli);
    s.force_n = FromFixed(force, kCenti);
    s.preload_cmd_n = FromFixed(preload, kCenti);
    s.current_a = FromFixed(current, kMilli);
    s.temp_c = FromFixed(temp, kCenti);
    s.voltage_v = FromFixed(voltage, kMilli);
    s.segment = segment;
    s.cycle = static_cast<uint32_t>(cycle);
  }
  return absl::OkStatus();
}

}  // namespace rollrig::protocol
