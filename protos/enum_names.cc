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

}  // namespace

std::string FaultDisplayName(Fault fault) {
  const std::string& name = Fault_Name(fault);
  return name.empty() ? "fault-" + std::to_string(static_cast<int>(fault))
                      : Display(name, "FAULT_");
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
    const std::string& name = Interlock_Name(static_cast<Interlock>(i));
    names.push_back(name.empty() ? "interlock-" + std::to_string(i) : Display(name, "INTERLOCK_"));
  }
  return names;
}

std::string StateDisplayName(DeviceState state) {
  const std::string& name = DeviceState_Name(state);
  return name.empty() ? "unknown" : Display(name, "DEVICE_STATE_");
}

std::string BootReasonDisplayName(BootReason reason) {
  const std::string& name = BootReason_Name(reason);
  return name.empty() || reason == BOOT_REASON_UNSPECIFIED ? "unknown"
                                                           : Display(name, "BOOT_REASON_");
}

}  // namespace rollrig::v1
