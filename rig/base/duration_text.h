// Durations as people type them, one rule for every command line of rollrig (rigctl's
// --duration and --hold-timeout, rigd's --keep-local, rig-dash's --window): a number of
// seconds ("90", "1.5"), or numbers with units ms, s, m, h, d, summed ("30s", "2h",
// "1h30m", "3d"). Pure functions; any thread.
#pragma once

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rollrig {

// What an option is stricter about than the plain rule.
struct DurationSyntax {
  // A bare number other than 0 is refused: for a retention, "7" could mean seconds or days.
  bool unit_required = false;
  // "1.5h" is refused; "90m" is meant.
  bool whole_numbers = false;
};

// The duration in seconds, or INVALID_ARGUMENT naming the text and the syntax expected
// ("invalid duration '5x': expected ..."). Signs, NaN, infinity, an exponent on a term
// with a unit and whitespace are refused.
absl::StatusOr<double> ParseDurationSeconds(absl::string_view text, DurationSyntax syntax = {});

}  // namespace rollrig
