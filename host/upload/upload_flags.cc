#include "host/upload/upload_flags.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "rig/base/duration_text.h"

namespace rollrig::upload {
namespace {

constexpr int kMaxKeepLocalDays = 36500;  // a century: anything longer is a typo

// Splits "12h" into 12 and 'h'; the unit is 0 when there is none.
bool SplitNumberUnit(const std::string& text, uint64_t* number, char* unit) {
  if (text.empty()) return false;
  *unit = 0;
  std::string digits = text;
  if (!(text.back() >= '0' && text.back() <= '9')) {
    *unit = text.back();
    digits.pop_back();
  }
  return !digits.empty() && digits.find_first_not_of("0123456789") == std::string::npos &&
         absl::SimpleAtoi(digits, number);
}

}  // namespace

absl::StatusOr<absl::Duration> ParseKeepLocal(const std::string& text) {
  // A bare "7" could mean seconds or days: a retention names its unit.
  absl::StatusOr<double> seconds =
      ParseDurationSeconds(text, {.unit_required = true, .whole_numbers = true});
  if (!seconds.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--keep-local: ", seconds.status().message()));
  }
  if (*seconds > kMaxKeepLocalDays * 86400.0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--keep-local: '", text, "' is more than ", kMaxKeepLocalDays, " days"));
  }
  return absl::Seconds(*seconds);
}

absl::StatusOr<uint64_t> ParseByteRate(const std::string& text) {
  uint64_t n = 0;
  char unit = 0;
  const auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("--upload-max-rate: \"", text,
                     "\" is not a byte rate: bytes per second, a whole number "
                     "optionally with k, M or G (e.g. 4M)"));
  };
  if (!SplitNumberUnit(text, &n, &unit) || n > (uint64_t{1} << 40)) return bad();
  switch (unit) {
    case 0:
      return n;
    case 'k':
    case 'K':
      return n << 10;
    case 'M':
      return n << 20;
    case 'G':
      return n << 30;
    default:
      return bad();
  }
}

}  // namespace rollrig::upload
