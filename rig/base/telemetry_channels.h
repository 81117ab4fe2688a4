// The telemetry sample and its channels, defined once. TelemetrySample is one sample as
// the device produces it, in SI-ish display units: what the firmware fills at its tick,
// the wire protocol carries and the host records. The channel table says for each channel
// its name (its field in TelemetryRecord and TelemetryRow, and its CSV column), unit, wire
// column and fixed-point scale, the TelemetrySample member that carries it, the dashboard
// plot it belongs to, how `rigctl` prints it, and whether a limit may name it. The wire codec, the
// recording converters, the row aggregator, `rigctl watch`/`export`, the analysis and the dashboard
// all iterate this table; adding a channel is a member and a row here plus its fields in the
// protos.
//
// Plain constexpr data, no allocation, no OS: the firmware may include it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace rollrig {

// One sample. Plain data, no allocation: the firmware (no OS, no heap) and the recording
// codec both use it.
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
  float voltage_v = 0;       // applied motor voltage
  float head_current_a = 0;  // head servo supply current
  // While a program runs (or is paused): the active segment and the cycle number; -1 and
  // 0 otherwise, including the ramp-down after a program ends.
  int32_t segment = -1;
  uint32_t cycle = 0;
  // Bit i set: channel i of kTelemetryChannels (below) was not
  // measured -- a device or a recording from before the channel existed. Its value is 0
  // then and means nothing; readers show it as absent.
  uint32_t absent_channels = 0;
};

// A dashboard plot: the channels of one group share it.
struct PlotGroup {
  std::string_view title;
  std::string_view unit;
};

// Index = TelemetryChannel::plot_group.
// clang-format off
inline constexpr std::array kPlotGroups = {
    PlotGroup{"Roller speed", "rpm"},
    PlotGroup{"Head angle", "deg"},
    PlotGroup{"Torque", "N·m"},
    PlotGroup{"Force", "N"},
    PlotGroup{"Head current", "A"},
};
// clang-format on
inline constexpr int kNoPlot = -1;

// What a limit on a channel checks: nothing (limits may not name it), its value, or its
// magnitude (signed quantities whose bound is on |value|).
enum class LimitUse : uint8_t { kNone, kValue, kMagnitude };

// How `rigctl` prints a channel: CSV decimals (-1: not a CSV column), and the fixed-width
// table's heading, width and decimals (empty heading: not a table column).
struct TextFormat {
  int csv_decimals = -1;
  std::string_view heading;
  int width = 0;
  int decimals = 0;
};

struct TelemetryChannel {
  std::string_view name;        // field of TelemetryRecord and TelemetryRow; CSV column
  std::string_view unit;        // display unit
  std::string_view wire_field;  // column of TelemetryBatch (device.proto)
  double wire_scale;            // wire integer units per display unit
  float TelemetrySample::*member;
  int plot_group;  // index into kPlotGroups, or kNoPlot
  bool command;    // a command (drawn as the reference), not a measurement
  TextFormat text;
  // Limit.signal that names this channel (a rollrig.v1.Signal value; 0: none) and what
  // the limit checks.
  int limit_signal;
  LimitUse limit_use;
};

// Order: the sample's members, CSV columns and plot series follow it. Append new channels
// at the end so existing CSV columns keep their order. A table, so laid out as one.
// clang-format off
inline constexpr std::array kTelemetryChannels = {
    //               name              unit   wire_field          scale   member                            plot     command  text {csv, heading, width, decimals}  limit signal, use
    TelemetryChannel{"roller_rpm_cmd", "rpm", "roller_rpm_cmd_c", 100.0,  &TelemetrySample::roller_rpm_cmd, 0,       true,    {3, "rpm_cmd", 9, 2},    0, LimitUse::kNone},
    TelemetryChannel{"roller_rpm",     "rpm", "roller_rpm_c",     100.0,  &TelemetrySample::roller_rpm,     0,       false,   {3, "rpm", 9, 2},        0, LimitUse::kNone},
    TelemetryChannel{"head_deg_cmd",   "deg", "head_deg_cmd_c",   100.0,  &TelemetrySample::head_deg_cmd,   1,       true,    {3, "head_cmd", 8, 2},   0, LimitUse::kNone},
    TelemetryChannel{"head_deg",       "deg", "head_deg_c",       100.0,  &TelemetrySample::head_deg,       1,       false,   {3, "head", 8, 2},       0, LimitUse::kNone},
    TelemetryChannel{"torque_nm",      "N·m", "torque_mnm",       1000.0, &TelemetrySample::torque_nm,      2,       false,   {4, "torque_Nm", 9, 4},  1, LimitUse::kMagnitude},
    TelemetryChannel{"force_n",        "N",   "force_cn",         100.0,  &TelemetrySample::force_n,        3,       false,   {3, "force_N", 8, 2},    2, LimitUse::kValue},
    TelemetryChannel{"preload_cmd_n",  "N",   "preload_cmd_cn",   100.0,  &TelemetrySample::preload_cmd_n,  kNoPlot, true,    {},                      0, LimitUse::kNone},
    TelemetryChannel{"current_a",      "A",   "current_ma",       1000.0, &TelemetrySample::current_a,      kNoPlot, false,   {4, "current_A", 9, 3},  6, LimitUse::kMagnitude},
    TelemetryChannel{"temp_c",         "°C",  "temp_cc",          100.0,  &TelemetrySample::temp_c,         kNoPlot, false,   {2, "temp_C", 7, 2},     5, LimitUse::kValue},
    TelemetryChannel{"voltage_v",      "V",   "voltage_mv",       1000.0, &TelemetrySample::voltage_v,      kNoPlot, false,   {},                      0, LimitUse::kNone},
    TelemetryChannel{"head_current_a", "A",   "head_current_ma",  1000.0, &TelemetrySample::head_current_a, 4,       false,   {4, "head_A", 8, 3},     7, LimitUse::kValue},
};
// clang-format on
inline constexpr size_t kTelemetryChannelCount = kTelemetryChannels.size();
static_assert(kTelemetryChannelCount <= 32, "TelemetrySample::absent_channels has 32 bits");

constexpr uint32_t ChannelBit(size_t channel) { return uint32_t{1} << channel; }

constexpr bool ChannelPresent(const TelemetrySample& s, size_t channel) {
  return (s.absent_channels & ChannelBit(channel)) == 0;
}

// The channel's value, or nothing when the sample lacks it.
constexpr std::optional<float> ChannelValue(const TelemetrySample& s, size_t channel) {
  if (!ChannelPresent(s, channel)) return std::nullopt;
  return s.*kTelemetryChannels[channel].member;
}

// The channel a limit's signal names, if a channel backs it.
constexpr std::optional<size_t> ChannelOfLimitSignal(int signal) {
  for (size_t i = 0; i < kTelemetryChannelCount; ++i) {
    if (signal != 0 && kTelemetryChannels[i].limit_signal == signal) return i;
  }
  return std::nullopt;
}

// The channel called `name`, if any.
constexpr std::optional<size_t> FindChannel(std::string_view name) {
  for (size_t i = 0; i < kTelemetryChannelCount; ++i) {
    if (kTelemetryChannels[i].name == name) return i;
  }
  return std::nullopt;
}

}  // namespace rollrig
