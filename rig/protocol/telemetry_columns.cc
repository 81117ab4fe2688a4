#include "rig/protocol/telemetry_columns.h"

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "rig/base/channel_fields.h"

namespace rollrig::protocol {
namespace {

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
  if (count_ > 0 && (s.seq != last_.seq + 1 || s.absent_channels != last_.absent_channels)) {
    return false;
  }

  FixedPointSample fixed;
  fixed.time_us = static_cast<int64_t>(s.time_us);
  for (size_t c = 0; c < kTelemetryChannelCount; ++c) {
    fixed.channels[c] = ToFixed(s.*kTelemetryChannels[c].member, kTelemetryChannels[c].wire_scale);
  }
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
  const ChannelFields& columns = WireColumnsOf<rollrig::v1::TelemetryBatch>();
  for (size_t c = 0; c < kTelemetryChannelCount; ++c) {
    if (!ChannelPresent(s, c)) continue;  // the column stays empty: absent
    columns.AddToColumn(&pending_, c, fixed.channels[c] - previous.channels[c]);
  }
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
  // A channel's column is whole or empty (the channel is absent).
  const ChannelFields& columns = WireColumnsOf<rollrig::v1::TelemetryBatch>();
  uint32_t absent = 0;
  for (size_t c = 0; c < kTelemetryChannelCount; ++c) {
    const int size = columns.ColumnSize(batch, c);
    if (size == 0 && n > 0) absent |= ChannelBit(c);
    if (size != 0 && size != n) {
      return absl::InvalidArgumentError(
          absl::StrCat("telemetry batch at sample ", batch.first_sample_seq(), ": column ",
                       std::string(kTelemetryChannels[c].wire_field), " has ", size,
                       " values, time_delta_us has ", n));
    }
  }

  out->reserve(out->size() + static_cast<size_t>(n));
  // Running sums in 64 bits: a corrupt batch may overflow 32-bit columns, never UB here.
  int64_t time_us = static_cast<int64_t>(batch.first_time_us());
  std::array<int64_t, kTelemetryChannelCount> sums{};
  int32_t segment = 0, cycle = 0;
  for (int i = 0; i < n; ++i) {
    time_us += batch.time_delta_us(i);
    segment = has_segment ? Accumulate(segment, batch.segment(i)) : -1;
    cycle = has_cycle ? Accumulate(cycle, batch.cycle(i)) : 0;

    firmware::TelemetrySample& s = out->emplace_back();
    s.seq = batch.first_sample_seq() + static_cast<uint64_t>(i);
    s.time_us = static_cast<uint64_t>(time_us);
    s.absent_channels = absent;
    for (size_t c = 0; c < kTelemetryChannelCount; ++c) {
      if ((absent & ChannelBit(c)) != 0) continue;
      sums[c] += columns.ColumnValue(batch, c, i);
      s.*kTelemetryChannels[c].member = FromFixed(sums[c], kTelemetryChannels[c].wire_scale);
    }
    s.segment = segment;
    s.cycle = static_cast<uint32_t>(cycle);
  }
  return absl::OkStatus();
}

}  // namespace rollrig::protocol
