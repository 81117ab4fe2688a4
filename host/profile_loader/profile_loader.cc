#include "host/profile_loader/profile_loader.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "host/profile_loader/presets.h"
#include "host/profile_loader/profile_hash.h"
#include "host/profile_loader/profile_parser.h"
#include "host/profile_loader/profile_validation.h"
#include "host/profile_loader/program_unrolling.h"
#include "host/profile_loader/text_locator.h"
#include "rig/base/bounded_text.h"

namespace rollrig::host {
namespace {

using rollrig::v1::ProfileError;

// A parser's message around the piece of input it quotes.
constexpr size_t kMaxProfileErrorBytes = 2 * kQuoteBytes;

std::string FileStem(absl::string_view file_name) {
  const size_t slash = file_name.find_last_of('/');
  if (slash != absl::string_view::npos) file_name.remove_prefix(slash + 1);
  return std::string(file_name.substr(0, file_name.find('.')));
}

ProfileError ToProfileError(const ProfileIssue& issue, absl::string_view file_name,
                            const TextLocator* locator) {
  ProfileError error;
  error.set_file_name(std::string(file_name));
  error.set_field(FieldPathToString(issue.field));
  error.set_message(issue.message);
  if (locator != nullptr) {
    if (std::optional<TextPosition> at = locator->Locate(issue.field)) {
      error.set_line(static_cast<uint32_t>(at->line + 1));
      error.set_column(static_cast<uint32_t>(at->column + 1));
    }
  }
  return error;
}

}  // namespace

ProfileCheck LoadProfile(const rollrig::v1::ProfileSource& source,
                         const rollrig::v1::Capabilities& caps) {
  ProfileCheck check;
  std::string file_name = source.file_name();
  absl::string_view text = source.text();
  rollrig::v1::ProfileFormat format = source.format();
  if (!source.preset().empty()) {
    const rollrig::v1::Preset* preset = FindPreset(source.preset());
    if (preset == nullptr) {
      std::string known;
      for (const rollrig::v1::Preset& p : Presets()) {
        absl::StrAppend(&known, known.empty() ? "" : ", ", p.name());
      }
      ProfileError error;
      error.set_file_name(file_name);
      error.set_field("preset");
      error.set_message(absl::StrCat("no preset named ", QuoteInput(source.preset()),
                                     "; the presets are ", known));
      check.errors.push_back(std::move(error));
      return check;
    }
    file_name = preset->file_name();
    text = preset->text();
    format = rollrig::v1::PROFILE_FORMAT_TEXT;
  }

  ParsedProfile parsed = IsJsonProfile(format, file_name, text) ? ParseProfileJson(text, file_name)
                                                                : ParseProfileText(text, file_name);
  check.errors = std::move(parsed.errors);
  // A parser's message may quote the text (an unknown field's name): bounded, as all input.
  for (ProfileError& error : check.errors) {
    error.set_message(TruncateText(error.message(), kMaxProfileErrorBytes));
    error.set_field(TruncateText(error.field(), kMaxProfileErrorBytes));
  }
  if (!parsed.complete) return check;  // the rest of the text was never read

  std::optional<TextLocator> locator;
  if (parsed.locations != nullptr) locator.emplace(text, *parsed.locations);
  for (const ProfileIssue& issue : ValidateProfile(parsed.profile, caps)) {
    check.errors.push_back(
        ToProfileError(issue, file_name, locator.has_value() ? &*locator : nullptr));
  }
  if (!check.errors.empty()) return check;

  UnrolledProgram unrolled = UnrollProfile(parsed.profile);
  LoadedProfile loaded;
  loaded.hash = ProfileHash(parsed.profile);
  loaded.name = !parsed.profile.name().empty() ? parsed.profile.name() : FileStem(file_name);
  loaded.profile = std::move(parsed.profile);
  loaded.program = std::move(unrolled.program);
  loaded.segments = std::move(unrolled.segments);
  loaded.cycle_s = unrolled.cycle_s;
  check.loaded = std::move(loaded);
  return check;
}

std::vector<rollrig::v1::ProgramSegment> ProgramOf(const rollrig::v1::ProfileSource& source,
                                                   const rollrig::v1::Capabilities& caps) {
  ProfileCheck check = LoadProfile(source, caps);
  if (!check.ok()) return {};
  return std::move(check.loaded->program);
}

std::string FormatProfileError(const ProfileError& e) {
  std::string text = e.file_name().empty() ? "<profile>" : e.file_name();
  if (e.line() > 0) {
    absl::StrAppend(&text, ":", e.line());
    if (e.column() > 0) absl::StrAppend(&text, ":", e.column());
  }
  absl::StrAppend(&text, ": ");
  if (!e.field().empty()) absl::StrAppend(&text, e.field(), ": ");
  absl::StrAppend(&text, e.message());
  return text;
}

}  // namespace rollrig::host
