#include "host/analysis/result_text.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include "enum_names.h"

namespace rollrig::host {

namespace v1 = rollrig::v1;

std::string FormatNumber(double value) {
  char buf[64];
  if (std::isfinite(value) && std::fabs(value) >= 1e4) {
    std::snprintf(buf, sizeof buf, "%.0f", value);
  } else {
    std::snprintf(buf, sizeof buf, "%.4g", value);
  }
  return buf;
}

std::string FormatSeconds(double t_s) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", t_s);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  return s + " s";
}

std::string FormatWhere(bool cycle_known, uint32_t cycle, int32_t segment, const std::string& label,
                        double t_s) {
  std::string out;
  if (cycle_known) out += "cycle " + std::to_string(cycle) + ", ";
  if (segment >= 0) {
    out += "segment " + std::to_string(segment);
    if (!label.empty()) out += " \"" + label + "\"";
    out += ", ";
  }
  return out + FormatSeconds(t_s);
}

namespace {

std::string WithUnit(double value, const char* unit) {
  std::string s = FormatNumber(value);
  if (unit != nullptr && unit[0] != '\0') s += std::string(" ") + unit;
  return s;
}

std::string Bounds(const v1::Limit& limit) {
  if (limit.has_min() && limit.has_max()) {
    return "[" + FormatNumber(limit.min()) + ", " + FormatNumber(limit.max()) + "]";
  }
  if (limit.has_max()) return "max " + FormatNumber(limit.max());
  if (limit.has_min()) return "min " + FormatNumber(limit.min());
  return "no bounds";
}

}  // namespace

std::string DescribeValue(const char* measurement, const char* unit, double value,
                          const v1::Limit& limit) {
  const std::string head = std::string(measurement) + " ";
  if (std::isnan(value)) return head + "is not a number, outside " + Bounds(limit);
  constexpr double kNone = -std::numeric_limits<double>::infinity();
  const double above = limit.has_max() ? value - limit.max() : kNone;
  const double below = limit.has_min() ? limit.min() - value : kNone;
  const std::string shown = head + WithUnit(value, unit);
  if (above > 0) return shown + " above max " + FormatNumber(limit.max());
  if (below > 0) return shown + " below min " + FormatNumber(limit.min());
  const double band = limit.marginal_band();
  if (band > 0 && std::fmax(above, below) >= -band) {
    const bool near_max = above >= below;
    return shown + " within " + FormatNumber(band) + " of " + (near_max ? "max " : "min ") +
           FormatNumber(near_max ? limit.max() : limit.min());
  }
  return shown + " within " + Bounds(limit);
}

std::string DescribeFault(v1::Fault fault, double value, double torque_nm,
                          const std::string& requested_by) {
  std::string detail;
  switch (fault) {
    case v1::FAULT_STALL:
      detail = "torque " + WithUnit(torque_nm, "N·m") + " at the current limit (motor current " +
               WithUnit(value, "A") + ")";
      break;
    case v1::FAULT_OVER_TEMPERATURE:
      detail = "winding " + WithUnit(value, "°C");
      break;
    case v1::FAULT_OVER_SPEED:
      detail = "roller " + WithUnit(value, "rpm");
      break;
    case v1::FAULT_ENCODER_LOSS:
      detail = "encoder disagrees with the back-EMF speed " + WithUnit(value, "rpm");
      break;
    case v1::FAULT_LOAD_CELL_SATURATION:
      detail = "load cell at " + WithUnit(value, "N");
      break;
    case v1::FAULT_WATCHDOG:
      detail = "no host heartbeat for " + WithUnit(value, "ms");
      break;
    case v1::FAULT_ESTOP_SOFTWARE:
      detail = requested_by.empty() ? "e-stop commanded by the host"
                                    : "e-stop commanded by " + requested_by;
      break;
    case v1::FAULT_ESTOP_BUTTON:
      detail = "e-stop button pressed";
      break;
    case v1::FAULT_DOOR_OPEN:
      detail = "guard door opened";
      break;
    case v1::FAULT_HEAD_LIMIT:
      detail = "head reached a hard stop it was not commanded to";
      break;
    default:
      detail = "value " + FormatNumber(value);
      break;
  }
  return v1::FaultDisplayName(fault) + ": " + detail;
}

}  // namespace rollrig::host
