#include "rig/base/duration_text.h"

#include <cmath>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace rollrig {
namespace {

absl::Status Invalid(absl::string_view text, DurationSyntax syntax) {
  const char* whole = syntax.whole_numbers ? "whole " : "";
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid duration '", text, "': expected ", syntax.unit_required ? "0" : "seconds", ", or ",
      whole, "numbers with ms, s, m, h or d (e.g. ", syntax.unit_required ? "7d, 12h" : "90, 30s",
      ", 1h30m)"));
}

// A plain non-negative decimal ("12", "1.5", ".5"); exponents only for bare seconds.
bool ParseNumber(absl::string_view digits, bool allow_exponent, bool whole, double* out) {
  if (digits.empty()) return false;
  const absl::string_view allowed =
      whole ? "0123456789" : (allow_exponent ? "0123456789.eE+-" : "0123456789.");
  if (digits.find_first_not_of(allowed) != absl::string_view::npos) return false;
  if (!absl::ascii_isdigit(static_cast<unsigned char>(digits.front())) && digits.front() != '.') {
    return false;  // a sign: durations are not negative
  }
  return absl::SimpleAtod(digits, out) && std::isfinite(*out) && *out >= 0;
}

// The unit at the start of `rest` (longest first: "ms" before "m"): its length and seconds;
// length 0 when there is none.
struct Unit {
  absl::string_view name;
  double seconds;
};
constexpr Unit kUnits[] = {{"ms", 1e-3}, {"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400}};

size_t UnitAt(absl::string_view rest, double* seconds) {
  for (const Unit& u : kUnits) {
    if (absl::StartsWith(rest, u.name)) {
      *seconds = u.seconds;
      return u.name.size();
    }
  }
  return 0;
}

}  // namespace

absl::StatusOr<double> ParseDurationSeconds(absl::string_view text, DurationSyntax syntax) {
  if (!text.empty() && (text.front() == '-')) {
    return absl::InvalidArgumentError(absl::StrCat("invalid duration '", text, "': negative"));
  }
  double bare = 0;
  if (ParseNumber(text, /*allow_exponent=*/true, syntax.whole_numbers, &bare)) {
    if (syntax.unit_required && bare != 0) return Invalid(text, syntax);
    return bare;
  }
  // Terms of a number and a unit, summed: "1h30m".
  double total = 0;
  absl::string_view rest = text;
  if (rest.empty()) return Invalid(text, syntax);
  while (!rest.empty()) {
    const size_t digits = rest.find_first_not_of("0123456789.");
    if (digits == 0 || digits == absl::string_view::npos) return Invalid(text, syntax);
    double value = 0, unit = 0;
    if (!ParseNumber(rest.substr(0, digits), false, syntax.whole_numbers, &value)) {
      return Invalid(text, syntax);
    }
    const size_t unit_length = UnitAt(rest.substr(digits), &unit);
    if (unit_length == 0) return Invalid(text, syntax);
    total += value * unit;
    rest.remove_prefix(digits + unit_length);
  }
  if (!std::isfinite(total)) return Invalid(text, syntax);
  return total;
}

}  // namespace rollrig
