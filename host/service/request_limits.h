// How large the fields of a RigService request may be, and the check that refuses one
// that is larger (INVALID_ARGUMENT naming the field, its size and its limit) before
// anything is done with it. Quoting input back in messages follows rig/base/bounded_text.h.
//
// The e-stop is the exception: it is never refused, its fields are cut to their bounds
// (EStopFields).
//
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::host {

// Names of people and programs: who, holder, client, operator, DUT serial.
inline constexpr size_t kMaxIdentityBytes = 256;
// An e-stop's reason as it is kept (event, run verdict); longer ones are cut and marked.
inline constexpr size_t kMaxEStopReasonBytes = 256;
// Why an admin forced a command on another identity's run (recorded with it).
inline constexpr size_t kMaxForceReasonBytes = 256;
// A run's notes.
inline constexpr size_t kMaxNotesBytes = 4096;
// A profile's file name (used in messages only) and a preset's name.
inline constexpr size_t kMaxFileNameBytes = 256;
// A profile's text.
inline constexpr size_t kMaxProfileTextBytes = 1 << 20;

// OK, or INVALID_ARGUMENT "FIELD is N bytes; at most MAX are accepted".
absl::Status CheckFieldSize(std::string_view field, std::string_view value, size_t max_bytes);

// The checks for a profile source and a run spec (field names as in the proto, under
// `prefix`, e.g. "spec.profile.").
absl::Status CheckProfileSource(const rollrig::v1::ProfileSource& source,
                                const std::string& prefix);
absl::Status CheckRunSpec(const rollrig::v1::RunSpec& spec);

// Who is recorded for a request of the admitted `identity` whose client states `stated`
// (a request's `who`): the identity, with the client's words after it in parentheses
// unless they are the identity or its own "IDENTITY (program)" ("bob@bench (rigctl)").
// A client's words never stand in for the identity. Cut to kMaxIdentityBytes.
std::string RecordedWho(std::string_view identity, std::string_view stated);

// An e-stop request's fields cut to their bounds; who as RecordedWho for `identity`.
struct EStopFields {
  std::string who;
  std::string reason;
};
EStopFields BoundedEStopFields(const rollrig::v1::EStopRequest& request, std::string_view identity);

}  // namespace rollrig::host
