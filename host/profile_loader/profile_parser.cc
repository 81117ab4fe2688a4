#include "host/profile_loader/profile_parser.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/util/json_util.h"
#include "host/profile_loader/field_path.h"
#include "host/profile_loader/text_locator.h"

namespace rollrig::host {
namespace {

using rollrig::v1::ProfileError;

// Collects what protobuf's text parser reports; positions stay 0-based here.
class CollectingErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  struct Report {
    TextPosition position;
    std::string message;
  };

  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    errors.push_back({{line, column}, message});
  }
  // With unknown fields allowed, the parser reports each one as a warning and goes on.
  void AddWarning(int line, google::protobuf::io::ColumnNumber column,
                  const std::string& message) override {
    warnings.push_back({{line, column}, message});
  }

  std::vector<Report> errors;
  std::vector<Report> warnings;
};

// The name in protobuf's 'Message type "X" has no field named "NAME".', or "".
std::string UnknownFieldName(absl::string_view message) {
  constexpr absl::string_view kMarker = "has no field named \"";
  const size_t start = message.find(kMarker);
  if (start == absl::string_view::npos) return "";
  const size_t name_start = start + kMarker.size();
  const size_t name_end = message.find('"', name_start);
  if (name_end == absl::string_view::npos) return "";
  return std::string(message.substr(name_start, name_end - name_start));
}

ProfileError MakeError(absl::string_view file_name, TextPosition position, std::string field,
                       std::string message) {
  ProfileError error;
  error.set_file_name(std::string(file_name));
  error.set_line(static_cast<uint32_t>(position.line + 1));
  error.set_column(static_cast<uint32_t>(position.column + 1));
  error.set_field(std::move(field));
  error.set_message(std::move(message));
  return error;
}

}  // namespace

bool IsJsonProfile(rollrig::v1::ProfileFormat format, absl::string_view file_name,
                   absl::string_view text) {
  if (format == rollrig::v1::PROFILE_FORMAT_JSON) return true;
  if (format == rollrig::v1::PROFILE_FORMAT_TEXT) return false;
  if (absl::EndsWithIgnoreCase(file_name, ".json")) return true;
  return absl::StartsWith(absl::StripLeadingAsciiWhitespace(text), "{");
}

ParsedProfile ParseProfileText(absl::string_view text, absl::string_view file_name) {
  ParsedProfile parsed;
  parsed.locations = std::make_unique<google::protobuf::TextFormat::ParseInfoTree>();
  CollectingErrorCollector collector;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&collector);
  parser.WriteLocationsTo(parsed.locations.get());
  parser.AllowUnknownField(true);
  parsed.complete = parser.ParseFromString(std::string(text), &parsed.profile);

  for (const CollectingErrorCollector::Report& warning : collector.warnings) {
    const std::string name = UnknownFieldName(warning.message);
    if (name.empty()) continue;  // only unknown fields are warnings we act on
    // protobuf points after the name; people look for the name itself.
    const TextPosition at = FindNameBefore(text, warning.position, name);
    const std::string field = FieldPathAt(text, warning.position);
    const std::string parent = field.size() > name.size()
                                   ? field.substr(0, field.size() - name.size() - 1)
                                   : std::string();
    parsed.errors.push_back(
        MakeError(file_name, at, field,
                  parent.empty() ? absl::StrCat("unknown field \"", name, "\" in the profile")
                                 : absl::StrCat("unknown field \"", name, "\" in ", parent)));
  }
  for (const CollectingErrorCollector::Report& error : collector.errors) {
    parsed.errors.push_back(
        MakeError(file_name, error.position, FieldPathAt(text, error.position), error.message));
  }
  return parsed;
}

ParsedProfile ParseProfileJson(absl::string_view text, absl::string_view file_name) {
  ParsedProfile parsed;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status =
      google::protobuf::util::JsonStringToMessage(std::string(text), &parsed.profile, options);
  parsed.complete = status.ok();
  if (status.ok()) return parsed;

  // protobuf words these as "(steps[0].segment) rmp: Cannot find field." or
  // "(steps[0].segment.duration_s): invalid value ...": pull the path out of the parentheses.
  const std::string full_message(status.message().data(), status.message().size());
  absl::string_view message = full_message;
  std::string field;
  if (absl::StartsWith(message, "(")) {
    const size_t close = message.find(')');
    if (close != absl::string_view::npos) {
      field = std::string(message.substr(1, close - 1));
      message.remove_prefix(close + 1);
      if (absl::StartsWith(message, ":")) message.remove_prefix(1);
      message = absl::StripLeadingAsciiWhitespace(message);
      const size_t colon = message.find(": ");
      if (colon != absl::string_view::npos &&
          std::all_of(message.begin(), message.begin() + colon,
                      [](char c) { return absl::ascii_isalnum(c) || c == '_'; })) {
        field = JoinFieldPath(field, message.substr(0, colon));
        message.remove_prefix(colon + 2);
      }
    }
  }
  // Multi-line messages end with a snippet and a caret; the first line says what is wrong.
  std::string first_line(message.substr(0, message.find('\n')));
  const size_t snippet_start = message.find('\n');
  if (snippet_start != absl::string_view::npos) {
    absl::string_view snippet = message.substr(snippet_start + 1);
    snippet = snippet.substr(0, snippet.find('\n'));
    snippet = absl::StripAsciiWhitespace(snippet);
    if (!snippet.empty()) absl::StrAppend(&first_line, " near \"", snippet, "\"");
  }
  ProfileError error;
  error.set_file_name(std::string(file_name));
  error.set_field(field);
  error.set_message(absl::StrCat("invalid JSON: ", first_line));
  parsed.errors.push_back(std::move(error));
  return parsed;
}

}  // namespace rollrig::host
