// Turns a stream of samples into telemetry rows at a requested rate: each row is the
// mean over its interval of device time, carrying the last sample's counter and how many
// samples were lost since the previous row (counter gaps: device losses and this
// stream's own drops alike). Rate 0 gives one row per sample. The channels are the channel
// table's (rig/base/telemetry_channels.h); a channel no sample of a row carried is left
// unset in it (absent), and a mean is over the samples that carried it.
//
// Not thread-safe: one stream's pump owns it. Allocates nothing per sample.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "host/recording/sample.h"
#include "rig/base/telemetry_channels.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::host {

class RowAggregator {
 public:
  explicit RowAggregator(double rate_hz);

  // Adds samples in counter order; appends each completed row to `out`.
  void Add(const Sample& s, google::protobuf::RepeatedPtrField<rollrig::v1::TelemetryRow>* out);
  // Emits the partial row now (end of stream). No-op when empty.
  void Flush(google::protobuf::RepeatedPtrField<rollrig::v1::TelemetryRow>* out);

 private:
  void Emit(google::protobuf::RepeatedPtrField<rollrig::v1::TelemetryRow>* out);

  uint64_t interval_us_;  // 0 = every sample
  bool have_last_seq_ = false;
  uint64_t last_seq_ = 0;
  uint64_t row_end_us_ = 0;  // the row being built covers device time < row_end_us_
  uint64_t pending_drops_ = 0;
  // Sums for the row being built.
  uint32_t n_ = 0;
  std::array<double, kTelemetryChannelCount> sum_{};
  std::array<uint32_t, kTelemetryChannelCount> count_{};  // samples that carried the channel
  Sample last_;
};

// Converts one sample to a row (samples = 1, drops = 0).
void SampleToRow(const Sample& s, rollrig::v1::TelemetryRow* row);

}  // namespace rollrig::host
