// The words of the simulated device: its identity and capabilities, the human details of
// its acknowledgements, and its events, built from the firmware's plain structs.
// Pure functions; no state.
#pragma once

#include <cstdint>
#include <string>

#include "rig/firmware/firmware.h"
#include "rig/plant/plant.h"
#include "rollrig/v1/device.pb.h"

namespace rollrig::sim {

inline constexpr char kVendor[] = "rollrig";
inline constexpr char kModel[] = "massager-sim";
inline constexpr char kFirmwareVersion[] = "0.1.0-sim";
inline constexpr uint32_t kMaxTickHz = 10000;

// What the device reports it can do: the firmware's limits and the plant's figures.
rollrig::v1::Capabilities MakeCapabilities(const firmware::FirmwareConfig& config,
                                           const plant::PlantParams& plant, uint32_t watchdog_ms,
                                           uint32_t telemetry_divisor);

// "stall, watchdog" for a fault bitmask; "none" when empty.
std::string FaultList(uint32_t faults);
// "e-stop button pressed, guard door open" for an interlock bitmask; "none" when empty.
std::string InterlockList(uint32_t interlocks);

// The reason a command was refused, for results other than kOk, as the operator should
// read it. `what` names the refused request ("roller 500 rpm", "preload 200 N").
std::string RefusalDetail(firmware::CommandResult result, const firmware::FirmwareStatus& status,
                          const std::string& what, const std::string& allowed);

rollrig::v1::DeviceEvent ToDeviceEvent(const firmware::FirmwareEvent& event);

// The BOOTED event's detail: "firmware 0.1.0-sim booted after a watchdog reset (...)".
std::string BootDetail(rollrig::v1::BootReason reason);

}  // namespace rollrig::sim
