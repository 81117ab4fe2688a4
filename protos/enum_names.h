// Readable names for the protocol's enums and bitmasks, derived from the .proto enum
// names (FAULT_OVER_TEMPERATURE -> "over-temperature"), so a new enum value needs no
// table update. Shared by rigd, rigctl and rig-dash.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rollrig/v1/device.pb.h"

namespace rollrig::v1 {

std::string FaultDisplayName(Fault fault);  // "stall", "estop-software"
std::vector<std::string> FaultDisplayNames(uint32_t faults);
std::vector<std::string> InterlockDisplayNames(uint32_t interlocks);  // "door-open"
std::string StateDisplayName(DeviceState state);                      // "idle", "faulted"
std::string BootReasonDisplayName(BootReason reason);  // "power-on", "watchdog-reset"

}  // namespace rollrig::v1
