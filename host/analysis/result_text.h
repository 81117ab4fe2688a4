// The words of a verdict: how values, places in a run, limits and faults are printed.
// Deterministic (the same numbers give the same text); allocates, so it is used only
// when results are asked for, never per sample.
#pragma once

#include <cstdint>
#include <string>

#include "rollrig/v1/device.pb.h"
#include "rollrig/v1/profile.pb.h"

namespace rollrig::host {

// Up to 4 significant digits, no exponent for large values: 2.98, 41.2, 12346.
std::string FormatNumber(double value);
// Run time with up to 3 decimals, trailing zeros dropped: "41.2 s", "0.005 s".
std::string FormatSeconds(double t_s);
// Where in a run: `cycle 2, segment 3 "knead", 41.2 s`. A segment < 0 is left out, and
// the cycle too when cycle_known is false (no program sample yet).
std::string FormatWhere(bool cycle_known, uint32_t cycle, int32_t segment, const std::string& label,
                        double t_s);
// A value against a limit's bounds: "torque_nm 2.98 N·m above max 2.5", "force_n 3 N
// below min 5", "torque_nm 2.3 N·m within 0.25 of max 2.5", "torque_nm 1.2 N·m within
// [0, 2.5]".
std::string DescribeValue(const char* measurement, const char* unit, double value,
                          const rollrig::v1::Limit& limit);
// A fault and what tripped it: "stall: torque 2.98 N·m at the current limit (motor
// current 2.98 A)", "over-temperature: winding 100.2 °C", "estop-button: e-stop button
// pressed". value is the device's measurement; torque_nm the latest sample's |torque|.
// requested_by (software e-stop only): who asked and why, "alice@bench (rigctl): jam",
// making "estop-software: e-stop commanded by alice@bench (rigctl): jam".
std::string DescribeFault(rollrig::v1::Fault fault, double value, double torque_nm,
                          const std::string& requested_by = "");

}  // namespace rollrig::host
