// Fault, interlock and state codes of the firmware. Their numeric values are the wire
// values of rollrig.v1.Fault / Interlock / DeviceState (rig/sim checks this at compile
// time), so they are append-only like the proto enums.
#pragma once

#include <cstdint>

namespace rollrig::firmware {

enum class Fault : uint8_t {
  kNone = 0,
  kStall = 1,
  kOverTemperature = 2,
  kOverSpeed = 3,
  kEncoderLoss = 4,
  kLoadCellSaturation = 5,
  kWatchdog = 6,
  kEStopSoftware = 7,
  kEStopButton = 8,
  kDoorOpen = 9,
  kHeadLimit = 10,
};
inline constexpr int kFaultCount = 11;

constexpr uint32_t FaultBit(Fault f) { return 1u << static_cast<uint32_t>(f); }

enum class Interlock : uint8_t { kNone = 0, kEStopButton = 1, kDoorOpen = 2 };
constexpr uint32_t InterlockBit(Interlock i) { return 1u << static_cast<uint32_t>(i); }

enum class DeviceState : uint8_t {
  kUnspecified = 0,
  kIdle = 1,      // bridge off, nothing commanded
  kActive = 2,    // bridge on, tracking setpoints
  kStopping = 3,  // stop category 1: braking at the current limit, then bridge off
  kFaulted = 4,   // a fault or e-stop is latched; bridge off until cleared
};

enum class CommandResult : uint8_t {
  kUnspecified = 0,
  kOk = 1,
  kOutOfRange = 2,
  kFaultLatched = 3,
  kInterlockActive = 4,
  kBadRequest = 5,
  kUnsupported = 6,
  kBusy = 7,
  kConditionPersists = 8,
};

// Short stable names ("stall", "over-temperature", ...) for logs and messages.
const char* FaultName(Fault f);

}  // namespace rollrig::firmware
