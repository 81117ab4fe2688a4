#include "host/profile_loader/field_path.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "rollrig/v1/profile.pb.h"

namespace rollrig::host {

FieldPath ChildPath(const FieldPath& parent, absl::string_view name, int index) {
  const google::protobuf::Descriptor* type =
      parent.empty() ? rollrig::v1::Profile::descriptor() : parent.back().field->message_type();
  const google::protobuf::FieldDescriptor* field =
      type == nullptr ? nullptr : type->FindFieldByName(std::string(name));
  if (field == nullptr) std::abort();  // a typo in the validator, never bad input
  FieldPath path = parent;
  path.push_back({field, field->is_repeated() ? index : -1});
  return path;
}

std::string FieldPathToString(const FieldPath& path) {
  std::string text;
  for (const FieldPathElement& element : path) {
    if (!text.empty()) text += '.';
    text += element.field->name();
    if (element.index >= 0) absl::StrAppend(&text, "[", element.index, "]");
  }
  return text;
}

std::string JoinFieldPath(absl::string_view parent, absl::string_view child) {
  if (parent.empty()) return std::string(child);
  if (child.empty()) return std::string(parent);
  return absl::StrCat(parent, ".", child);
}

}  // namespace rollrig::host
