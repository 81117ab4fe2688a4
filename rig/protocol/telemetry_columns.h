// Packs telemetry samples into a TelemetryBatch (delta-coded fixed-point columns, see
// protos/rollrig/v1/device.proto) and unpacks them again. Shared by the device side
// (rig-sim) and the host, so both agree on units and rounding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "rig/firmware/firmware.h"
#include "rollrig/v1/device.pb.h"

namespace rollrig::protocol {

// Builds one batch of consecutive samples. Reuse it: Clear() keeps the capacity.
// Not thread-safe.
class TelemetryBatchPacker {
 public:
  // Appends a sample. Returns false (not appending) if it does not follow the previous
  // sample's counter by exactly one: a batch never spans a gap.
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
    int32_t roller_rpm_cmd_c = 0;
    int32_t roller_rpm_c = 0;
    int32_t head_deg_cmd_c = 0;
    int32_t head_deg_c = 0;
    int32_t torque_mnm = 0;
    int32_t force_cn = 0;
    int32_t preload_cmd_cn = 0;
    int32_t current_ma = 0;
    int32_t temp_cc = 0;
    int32_t voltage_mv = 0;
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
