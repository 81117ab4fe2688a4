#include "host/service/jog_validation.h"

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace rollrig::host {
namespace {

absl::Status CheckValue(const char* field, double value, const rollrig::v1::Range& range,
                        const char* unit) {
  if (!std::isfinite(value)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s must be a finite number, got %g", field, value));
  }
  if (value < range.min() || value > range.max()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s %g is outside the device's range %g..%g %s", field, value, range.min(),
                        range.max(), unit));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateJog(const rollrig::v1::JogRequest& jog,
                         const rollrig::v1::Capabilities& caps) {
  if (!jog.has_roller_rpm() && !jog.has_head_deg() && !jog.has_preload_n()) {
    return absl::InvalidArgumentError("jog needs at least one of roller_rpm, head_deg, preload_n");
  }
  if (jog.has_roller_rpm()) {
    if (absl::Status s = CheckValue("roller_rpm", jog.roller_rpm(), caps.roller_rpm(), "rpm");
        !s.ok()) {
      return s;
    }
  }
  if (jog.has_head_deg()) {
    if (absl::Status s = CheckValue("head_deg", jog.head_deg(), caps.head_deg(), "deg"); !s.ok()) {
      return s;
    }
  }
  if (jog.has_preload_n()) {
    if (absl::Status s = CheckValue("preload_n", jog.preload_n(), caps.preload_n(), "N"); !s.ok()) {
      return s;
    }
  }
  const double rate = jog.head_max_rate_dps();
  if (!std::isfinite(rate) || rate < 0 || rate > caps.head_max_rate_dps()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("head_max_rate_dps %g is outside 0..%g deg/s (0 = the device maximum)",
                        rate, caps.head_max_rate_dps()));
  }
  return absl::OkStatus();
}

}  // namespace rollrig::host
