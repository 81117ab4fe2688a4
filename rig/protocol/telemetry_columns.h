// Packs telemetry samples into a TelemetryBatch (delta-coded fixed-point columns, see
// protos/rollrig/v1/device.proto) and unpacks them again. Shared by the device side
// (rig-sim) and the host, so both agree on units and rounding. The channel columns, their
// scales and names come from the channel table (rig/base/telemetry_channels.h); a channel
// a sample lacks is left out of the batch, and a batch without a channel's column unpacks
// as samples lacking it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "rig/base/telemetry_channels.h"
#include "rig/firmware/firmware.h"
#include "rollrig/v1/device.pb.h"

namespace rollrig::protocol {

// Builds one batch of consecutive samples. Reuse it: Clear() keeps the capacity.
// Not thread-safe.
class TelemetryBatchPacker {
 public:
  // Appends a sample. Returns false (not appending) if it does not follow the previous
  // sample's counter by exactly one, or lacks other channels than the batch's samples: a
  // batch never spans a gap, and its columns are whole.
  bool Add(const firmware::TelemetrySample& s);
  size_t size() const;
  // Moves the samples into `batch` (with the status fields given) and clears the packer.
  void Finish(const firmware::FirmwareStatus& status, uint32_t sample_period_us,
              rollrig::v1::TelemetryBatch* batch);
  void Clear();

 private:
  // The previous sample in wire units: each column is coded as the change from it.
  struct FixedPointSample {
    int64_t time_us = 0;
    std::array<int32_t, kTelemetryChannelCount> channels{};  // table order
    int32_t segment = 0;
    int32_t cycle = 0;
  };

  rollrig::v1::TelemetryBatch pending_;
  firmware::TelemetrySample last_;
  FixedPointSample last_fixed_;
  size_t count_ = 0;
};

// Decodes every sample of `batch`, appending to `out`. Fails, naming the column, if the
// columns disagree in length; appends nothing then. The program columns (segment, cycle)
// may be absent altogether (batches from before programs existed): the samples then say
// "no program" (segment -1, cycle 0).
absl::Status UnpackTelemetryBatch(const rollrig::v1::TelemetryBatch& batch,
                                  std::vector<firmware::TelemetrySample>* out);

}  // namespace rollrig::protocol
