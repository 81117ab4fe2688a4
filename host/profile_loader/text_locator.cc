#include "host/profile_loader/text_locator.h"

#include <map>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "rollrig/v1/profile.pb.h"

namespace rollrig::host {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::TextFormat;
using google::protobuf::io::Tokenizer;

constexpr int kTabWidth = 8;  // protobuf's tokenizer counts tabs this way

absl::string_view LineOf(absl::string_view text, int line) {
  size_t begin = 0;
  for (int i = 0; i < line; ++i) {
    const size_t newline = text.find('\n', begin);
    if (newline == absl::string_view::npos) return {};
    begin = newline + 1;
  }
  const size_t end = text.find('\n', begin);
  return text.substr(begin, end == absl::string_view::npos ? absl::string_view::npos : end - begin);
}

int NextColumn(int column, char c) {
  return c == '\t' ? column + kTabWidth - column % kTabWidth : column + 1;
}

size_t ByteIndexOfColumn(absl::string_view line, int column) {
  int at = 0;
  size_t i = 0;
  while (i < line.size() && at < column) at = NextColumn(at, line[i++]);
  return i;
}

int ColumnOfByteIndex(absl::string_view line, size_t index) {
  int column = 0;
  for (size_t i = 0; i < index && i < line.size(); ++i) column = NextColumn(column, line[i]);
  return column;
}

bool IsNameChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_'; }

class SilentErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
};

}  // namespace

TextLocator::TextLocator(absl::string_view text, const TextFormat::ParseInfoTree& tree)
    : text_(text), tree_(tree) {}

std::optional<TextPosition> TextLocator::Locate(const FieldPath& path) const {
  std::optional<TextPosition> found;
  const TextFormat::ParseInfoTree* tree = &tree_;
  for (size_t i = 0; i < path.size() && tree != nullptr; ++i) {
    const FieldPathElement& element = path[i];
    // A repeated field as a whole (e.g. "steps" when there are none) has no one place.
    if (element.field->is_repeated() && element.index < 0) break;
    const TextFormat::ParseLocation location = tree->GetLocation(element.field, element.index);
    if (location.line < 0) break;
    const TextPosition name_start{location.line, location.column};
    const bool is_message = element.field->type() == FieldDescriptor::TYPE_MESSAGE;
    found = is_message ? name_start : ValueStart(name_start);
    if (!is_message) break;
    tree = tree->GetTreeForNested(element.field, element.index);
  }
  return found;
}

TextPosition TextLocator::ValueStart(TextPosition name_start) const {
  const absl::string_view line = LineOf(text_, name_start.line);
  size_t i = ByteIndexOfColumn(line, name_start.column);
  while (i < line.size() && IsNameChar(line[i])) ++i;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  if (i < line.size() && line[i] == ':') ++i;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  // A value on a later line (or a list) is rare; the field name is close enough then.
  if (i >= line.size() || line[i] == '[' || line[i] == '#') return name_start;
  return {name_start.line, ColumnOfByteIndex(line, i)};
}

std::string FieldPathAt(absl::string_view text, TextPosition position) {
  // One open message: its type (null if unknown), path, how many times each repeated
  // field was seen, and the repeated field whose [list] is open in it, if any.
  struct Level {
    const Descriptor* type = nullptr;
    std::string path;
    std::map<std::string, int> seen;
    std::string list_name;
    const FieldDescriptor* list_field = nullptr;
  };
  std::vector<Level> levels(1);
  levels[0].type = rollrig::v1::Profile::descriptor();
  std::string field_name;     // the field being read at the innermost level
  std::string field_element;  // it, with [index] when repeated
  const FieldDescriptor* field = nullptr;
  bool after_colon = false;

  auto element_name = [](Level& level, const std::string& name, const FieldDescriptor* f) {
    if (f == nullptr || !f->is_repeated()) return name;
    return absl::StrCat(name, "[", level.seen[name]++, "]");
  };

  google::protobuf::io::ArrayInputStream input(text.data(), static_cast<int>(text.size()));
  SilentErrorCollector errors;
  Tokenizer tokenizer(&input, &errors);
  tokenizer.set_comment_style(Tokenizer::SH_COMMENT_STYLE);
  while (tokenizer.Next()) {
    const Tokenizer::Token& token = tokenizer.current();
    if (token.line > position.line ||
        (token.line == position.line && token.column >= position.column)) {
      break;
    }
    Level& level = levels.back();
    const std::string& t = token.text;
    if (token.type == Tokenizer::TYPE_IDENTIFIER && !after_colon && level.list_name.empty()) {
      field_name = t;
      field = level.type == nullptr ? nullptr : level.type->FindFieldByName(t);
      field_element = element_name(level, t, field);
    } else if (t == ":") {
      after_colon = true;
    } else if (t == "[" && after_colon) {
      level.list_name = field_name;
      level.list_field = field;
      if (field != nullptr && field->is_repeated()) --level.seen[field_name];  // per element
    } else if (t == "]") {
      level.list_name.clear();
      level.list_field = nullptr;
      field_element.clear();
      after_colon = false;
    } else if (t == "{" || t == "<") {
      std::string opened = field_element;
      const FieldDescriptor* opened_field = field;
      if (!level.list_name.empty()) {
        opened_field = level.list_field;
        opened = element_name(level, level.list_name, opened_field);
      }
      Level nested;
      nested.type = opened_field == nullptr ? nullptr : opened_field->message_type();
      nested.path = JoinFieldPath(level.path, opened);
      levels.push_back(std::move(nested));
      field_element.clear();
      field = nullptr;
      after_colon = false;
    } else if (t == "}" || t == ">") {
      if (levels.size() > 1) levels.pop_back();
      field_element.clear();
      after_colon = false;
    } else if (t == "-" || t == "," || t == ";") {
      // A sign belongs to the value that follows; separators end nothing by themselves.
    } else if (!level.list_name.empty()) {
      element_name(level, level.list_name, level.list_field);  // a scalar list element
    } else if (after_colon) {
      field_element.clear();  // the value is complete
      after_colon = false;
    }
  }
  return JoinFieldPath(levels.back().path, field_element);
}

TextPosition FindNameBefore(absl::string_view text, TextPosition position, absl::string_view name) {
  const absl::string_view line = LineOf(text, position.line);
  const size_t limit = ByteIndexOfColumn(line, position.column);
  const size_t found = line.substr(0, limit).rfind(name);
  if (found == absl::string_view::npos) return position;
  return {position.line, ColumnOfByteIndex(line, found)};
}

}  // namespace rollrig::host
