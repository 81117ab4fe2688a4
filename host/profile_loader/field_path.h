// A field inside a profile, as a list of (field, index) steps from the Profile root. It
// prints as people write it ("steps[1].segment.roller.hold.rpm") and finds the field's
// place in the parsed text.
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"

namespace rollrig::host {

struct FieldPathElement {
  const google::protobuf::FieldDescriptor* field;
  int index;  // -1 for a singular field
};
using FieldPath = std::vector<FieldPathElement>;

// `parent` extended by the field `name` of the message type at its end (the Profile when
// empty); `index` for repeated fields, -1 otherwise. `name` must exist: it is a
// programming error otherwise (aborts).
FieldPath ChildPath(const FieldPath& parent, absl::string_view name, int index = -1);

// "steps[1].segment.roller.hold.rpm"; "" for the root.
std::string FieldPathToString(const FieldPath& path);

// "a.b" from "a" and "b", without a leading dot when `parent` is empty.
std::string JoinFieldPath(absl::string_view parent, absl::string_view child);

}  // namespace rollrig::host
