#include "host/service/request_limits.h"

#include "absl/strings/str_cat.h"
#include "rig/base/bounded_text.h"

namespace rollrig::host {

absl::Status CheckFieldSize(std::string_view field, std::string_view value, size_t max_bytes) {
  if (!ExceedsBytes(value, max_bytes)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(absl::string_view(field.data(), field.size()),
                                                 " is ", value.size(), " bytes; at most ",
                                                 max_bytes, " are accepted"));
}

absl::Status CheckProfileSource(const rollrig::v1::ProfileSource& source,
                                const std::string& prefix) {
  if (absl::Status s = CheckFieldSize(prefix + "file_name", source.file_name(), kMaxFileNameBytes);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckFieldSize(prefix + "preset", source.preset(), kMaxFileNameBytes);
      !s.ok()) {
    return s;
  }
  return CheckFieldSize(prefix + "text", source.text(), kMaxProfileTextBytes);
}

absl::Status CheckRunSpec(const rollrig::v1::RunSpec& spec) {
  if (absl::Status s = CheckProfileSource(spec.profile(), "spec.profile."); !s.ok()) return s;
  if (absl::Status s = CheckFieldSize("spec.operator", spec.operator_(), kMaxIdentityBytes);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckFieldSize("spec.dut_serial", spec.dut_serial(), kMaxIdentityBytes);
      !s.ok()) {
    return s;
  }
  return CheckFieldSize("spec.notes", spec.notes(), kMaxNotesBytes);
}

std::string RecordedWho(std::string_view identity, std::string_view stated) {
  if (stated.empty()) return TruncateText(identity, kMaxIdentityBytes);
  const std::string own_prefix = std::string(identity) + " (";
  if (stated == identity || stated.starts_with(own_prefix)) {
    return TruncateText(stated, kMaxIdentityBytes);
  }
  return TruncateText(own_prefix + std::string(stated) + ")", kMaxIdentityBytes);
}

EStopFields BoundedEStopFields(const rollrig::v1::EStopRequest& request,
                               std::string_view identity) {
  EStopFields fields;
  fields.who = RecordedWho(identity, request.who());
  fields.reason = TruncateText(request.reason(), kMaxEStopReasonBytes);
  return fields;
}

}  // namespace rollrig::host
