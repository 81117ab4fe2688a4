// One telemetry sample as the device produces it, in SI-ish display units: what the
// firmware fills at its tick, the wire protocol carries and the host records. Plain data,
// no allocation: the firmware (no OS, no heap) and the recording codec both use it.
#pragma once

#include <cstdint>

namespace rollrig {

struct TelemetrySample {
  uint64_t seq = 0;          // 64-bit sample counter since boot; never wraps in practice
  uint64_t time_us = 0;      // device time since boot
  float roller_rpm_cmd = 0;  // ramped reference the speed loop tracks
  float roller_rpm = 0;      // filtered estimate from the encoder
  float head_deg_cmd = 0;    // ramped head reference
  float head_deg = 0;
  float torque_nm = 0;  // at the roller, from the motor current (Kt·I·gear)
  float force_n = 0;    // tared load cell
  float preload_cmd_n = 0;
  float current_a = 0;
  float temp_c = 0;
  float voltage_v = 0;  // applied motor voltage
  // While a program runs (or is paused): the active segment and the cycle number; -1 and
  // 0 otherwise, including the ramp-down after a program ends.
  int32_t segment = -1;
  uint32_t cycle = 0;
};

}  // namespace rollrig
