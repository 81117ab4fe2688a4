// Where things are in a profile written in protobuf text format. Positions follow
// protobuf's tokenizer: 0-based lines and columns, tabs advancing to the next multiple
// of 8 (callers add 1 for people).
#pragma once

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/text_format.h"
#include "host/profile_loader/field_path.h"

namespace rollrig::host {

struct TextPosition {
  int line = 0;
  int column = 0;
};

// Finds fields of a parsed profile in its text.
class TextLocator {
 public:
  // Both must outlive the locator.
  TextLocator(absl::string_view text, const google::protobuf::TextFormat::ParseInfoTree& tree);

  // The start of the value of the field at `path` (for a scalar, the value after the
  // colon; for a message, its field name). When the field is not in the text (it has its
  // default value), the nearest enclosing field that is; nullopt when none is.
  std::optional<TextPosition> Locate(const FieldPath& path) const;

 private:
  // From a field name at `name_start`, skips the name, the colon and spaces.
  TextPosition ValueStart(TextPosition name_start) const;

  absl::string_view text_;
  const google::protobuf::TextFormat::ParseInfoTree& tree_;
};

// The field path ("steps[1].segment.roller.hold.rpm") of the text at `position` in a
// Profile written in text format, as far as the text before `position` tells: the
// enclosing messages and the field whose name was the last thing read, if its value has
// not been read yet. Works on text that does not parse; names unknown fields as written.
std::string FieldPathAt(absl::string_view text, TextPosition position);

// Where `name` starts on `position`'s line, searching backwards from `position`; the
// position itself when the name is not found there.
TextPosition FindNameBefore(absl::string_view text, TextPosition position, absl::string_view name);

}  // namespace rollrig::host
