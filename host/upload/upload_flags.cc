#include "host/upload/upload_flags.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace rollrig::upload {
namespace {

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
  uint64_t n = 0;
  char unit = 0;
  const auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("--keep-local: \"", text,
                     "\" is not a duration: 0, or a whole number with s, m, h or d "
                     "(e.g. 7d, 12h)"));
  };
  if (!SplitNumberUnit(text, &n, &unit) || n > 36500ull * 24 * 3600) return bad();
  const auto count = static_cast<int64_t>(n);
  switch (unit) {
    case 0:
      if (n != 0) return bad();
      return absl::ZeroDuration();
    case 's':
      return absl::Seconds(count);
    case 'm':
      return absl::Minutes(count);
    case 'h':
      return absl::Hours(count);
    case 'd':
      return absl::Hours(24 * count);
    default:
      return bad();
  }
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
