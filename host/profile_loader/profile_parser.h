// Turns profile text into a Profile message, with every problem the parsers report as a
// ProfileError (file, 1-based line and column, field path, message).
#pragma once

#include <memory>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/text_format.h"
#include "rollrig/v1/profile.pb.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::host {

struct ParsedProfile {
  rollrig::v1::Profile profile;
  // False after a syntax error: `profile` then holds only what came before it.
  bool complete = false;
  // Where each field is in the text (text format only; null for JSON).
  std::unique_ptr<google::protobuf::TextFormat::ParseInfoTree> locations;
  // Syntax errors and unknown fields. Unknown fields are skipped so the rest can be
  // checked too; `complete` stays true for them.
  std::vector<rollrig::v1::ProfileError> errors;
};

// Whether `text` is to be read as JSON: an explicit format wins; otherwise a ".json"
// file name or text whose first non-blank character is '{'.
bool IsJsonProfile(rollrig::v1::ProfileFormat format, absl::string_view file_name,
                   absl::string_view text);

ParsedProfile ParseProfileText(absl::string_view text, absl::string_view file_name);

// protobuf's JSON parser reports no positions: errors carry the field path only.
ParsedProfile ParseProfileJson(absl::string_view text, absl::string_view file_name);

}  // namespace rollrig::host
