// Durations as people type them: seconds ("10", "1.5") or a number with s, m, h or d
// ("30s", "5m", "2h", "3d").
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace rollrig::host {

// Seconds, or INVALID_ARGUMENT naming the text: "invalid duration '5x': expected seconds
// or a number with s, m, h or d". Negative, NaN and infinite durations are refused.
absl::StatusOr<double> ParseDurationSeconds(const std::string& text);

}  // namespace rollrig::host
