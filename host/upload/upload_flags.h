// The values of rigd's upload flags: a retention (--keep-local) and a byte rate
// (--upload-max-rate). Pure; errors name the flag and what it takes.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace rollrig::upload {

// "0", or whole numbers with units ("7d", "12h", "1d12h"; rig/base/duration_text.h), up
// to a century. INVALID_ARGUMENT naming --keep-local otherwise.
absl::StatusOr<absl::Duration> ParseKeepLocal(const std::string& text);

// Bytes per second: a whole number, optionally with k, M or G (powers of 1024): "4M".
// 0 = no cap. INVALID_ARGUMENT otherwise.
absl::StatusOr<uint64_t> ParseByteRate(const std::string& text);

}  // namespace rollrig::upload
