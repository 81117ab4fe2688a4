#include "enum_names.h"

#include <cctype>

namespace rollrig::v1 {
namespace {

// "FAULT_OVER_TEMPERATURE" minus "FAULT_" -> "over-temperature".
std::string Display(const std::string& enum_name, const std::string& prefix) {
  std::string s = enum_name.rfind(prefix, 0) == 0 ? enum_name.substr(prefix.size()) : enum_name;
  for (char& c : s)
    c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The display name of a value of a generated enum: `unset` for 0 (the UNSPECIFIED value),
// `fallback` and the number for a value this build does not know.
template <typename Enum>
std::string DisplayOf(Enum value, const std::string& enum_name, const std::string& prefix,
                      const std::string& unset, const std::string& fallback) {
  if (static_cast<int>(value) == 0) return unset;
  return enum_name.empty() ? fallback + "-" + std::to_string(static_cast<int>(value))
                           : Display(enum_name, prefix);
}

}  // namespace

std::string FaultDisplayName(Fault fault) {
  return DisplayOf(fault, Fault_Name(fault), "FAULT_", "none", "fault");
}

std::vector<std::string> FaultDisplayNames(uint32_t faults) {
  std::vector<std::string> names;
  for (int i = 1; i < 32; ++i) {
    if (faults & (1u << i)) names.push_back(FaultDisplayName(static_cast<Fault>(i)));
  }
  return names;
}

std::vector<std::string> InterlockDisplayNames(uint32_t interlocks) {
  std::vector<std::string> names;
  for (int i = 1; i < 32; ++i) {
    if ((interlocks & (1u << i)) == 0) continue;
    const auto interlock = static_cast<Interlock>(i);
    names.push_back(
        DisplayOf(interlock, Interlock_Name(interlock), "INTERLOCK_", "none", "interlock"));
  }
  return names;
}

std::string StateDisplayName(DeviceState state) {
  return DisplayOf(state, DeviceState_Name(state), "DEVICE_STATE_", "unknown", "state");
}

std::string BootReasonDisplayName(BootReason reason) {
  return DisplayOf(reason, BootReason_Name(reason), "BOOT_REASON_", "unknown", "reason");
}

std::string CommandResultDisplayName(CommandResult result) {
  return DisplayOf(result, CommandResult_Name(result), "COMMAND_RESULT_", "no result", "result");
}

std::string InjectedFaultDisplayName(InjectedFault fault) {
  return DisplayOf(fault, InjectedFault_Name(fault), "INJECTED_FAULT_", "none", "fault");
}

std::string RigEventKindDisplayName(RigEventKind kind) {
  return DisplayOf(kind, RigEventKind_Name(kind), "RIG_EVENT_", "event", "event");
}

std::string ConnectionStateDisplayName(ConnectionState state) {
  return DisplayOf(state, ConnectionState_Name(state), "CONNECTION_STATE_", "unknown", "state");
}

std::string DisconnectPolicyDisplayName(DisconnectPolicy policy) {
  if (policy == DISCONNECT_POLICY_UNSPECIFIED) policy = DISCONNECT_POLICY_HOLD;  // the default
  return DisplayOf(policy, DisconnectPolicy_Name(policy), "DISCONNECT_POLICY_", "hold", "policy");
}

std::string RunStateDisplayName(RunState state) {
  return DisplayOf(state, RunState_Name(state), "RUN_STATE_", "unknown", "state");
}

std::string RunStateDisplayNameOf(const std::string& proto_name) {
  RunState state = RUN_STATE_UNSPECIFIED;
  return RunStateDisplayName(RunState_Parse(proto_name, &state) ? state : RUN_STATE_UNSPECIFIED);
}

std::string VerdictDisplayName(Verdict verdict) {
  std::string name = DisplayOf(verdict, Verdict_Name(verdict), "VERDICT_", "none", "verdict");
  if (verdict == VERDICT_UNSPECIFIED) return name;
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

bool RunIsActive(RunState state) {
  return state == RUN_STATE_ARMING || state == RUN_STATE_RUNNING || state == RUN_STATE_PAUSED ||
         state == RUN_STATE_HELD;
}

bool RunIsFinal(RunState state) {
  return state == RUN_STATE_COMPLETED || state == RUN_STATE_ABORTED || state == RUN_STATE_FAULTED ||
         state == RUN_STATE_INTERRUPTED;
}

std::string SegmentDisplayText(int32_t segment, const std::string& label) {
  if (segment < 0) return "not in a segment";
  std::string text = "segment " + std::to_string(segment);
  if (!label.empty()) text += " '" + label + "'";
  return text;
}

}  // namespace rollrig::v1
