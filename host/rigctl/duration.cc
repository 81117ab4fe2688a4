#include "host/rigctl/duration.h"

#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace rollrig::host {

absl::StatusOr<double> ParseDurationSeconds(const std::string& text) {
  auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid duration '", text, "': expected seconds or a number with s, m, h or d"));
  };
  if (text.empty()) return bad();
  double scale = 1;
  std::string number = text;
  switch (text.back()) {
    case 's':
      scale = 1;
      number.pop_back();
      break;
    case 'm':
      scale = 60;
      number.pop_back();
      break;
    case 'h':
      scale = 3600;
      number.pop_back();
      break;
    case 'd':
      scale = 86400;
      number.pop_back();
      break;
    default:
      break;
  }
  double value = 0;
  // SimpleAtod accepts "nan" and "inf"; durations must be plain finite numbers.
  if (number.empty() || !absl::SimpleAtod(number, &value) || !std::isfinite(value) ||
      number.find_first_not_of("0123456789.+-eE") != std::string::npos) {
    return bad();
  }
  if (value < 0) {
    return absl::InvalidArgumentError(absl::StrCat("invalid duration '", text, "': negative"));
  }
  return value * scale;
}

}  // namespace rollrig::host
