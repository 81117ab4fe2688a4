// Readable words for the protocol's enums and bitmasks, the one vocabulary rigd, rigctl
// and rig-dash show users. Names derive from the .proto enum names
// (FAULT_OVER_TEMPERATURE -> "over-temperature"), so a new enum value needs no table
// update; an unset value reads as a word ("none", "unknown"), never as UNSPECIFIED or a
// number. Also the run-state predicates every binary asks ("is the run still going?").
// Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rollrig/v1/device.pb.h"
#include "rollrig/v1/profile.pb.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::v1 {

std::string FaultDisplayName(Fault fault);  // "stall", "estop-software"
std::vector<std::string> FaultDisplayNames(uint32_t faults);
std::vector<std::string> InterlockDisplayNames(uint32_t interlocks);  // "door-open"
std::string StateDisplayName(DeviceState state);                      // "idle", "faulted"
std::string BootReasonDisplayName(BootReason reason);              // "power-on", "watchdog-reset"
std::string CommandResultDisplayName(CommandResult result);        // "out-of-range"
std::string InjectedFaultDisplayName(InjectedFault fault);         // "stall", "firmware-hang"
std::string RigEventKindDisplayName(RigEventKind kind);            // "device", "telemetry-gap"
std::string ConnectionStateDisplayName(ConnectionState state);     // "connected"
std::string DisconnectPolicyDisplayName(DisconnectPolicy policy);  // "hold" (also unset)

// "running", "held", "completed"; "unknown" for an unset state.
std::string RunStateDisplayName(RunState state);
// The same word for a state stored by its proto name, as recordings keep it
// ("RUN_STATE_COMPLETED" -> "completed"); "unknown" for a name this build does not know.
std::string RunStateDisplayNameOf(const std::string& proto_name);
// "PASS", "MARGINAL", "FAIL", "ABORTED" (upper case, as verdicts are printed); "none"
// for a verdict not reached.
std::string VerdictDisplayName(Verdict verdict);

// A run that still holds the rig: arming, running, paused or held.
bool RunIsActive(RunState state);
// A run that has ended and will not change again: completed, aborted, faulted or
// interrupted.
bool RunIsFinal(RunState state);

// Where in the program a sample or a limit stands: "segment 2 'ramp'" (the label when it
// has one), or "not in a segment" for a sample outside every segment (segment < 0).
std::string SegmentDisplayText(int32_t segment, const std::string& label);

}  // namespace rollrig::v1
