// Text for the run report's HTML: escaping of everything that came from a recording, and
// the number and time formats the report uses. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace rollrig::report {

// Escapes &, <, >, " and ' so `text` reads as text inside an element or an attribute
// value. Bytes that are not valid UTF-8 become U+FFFD, so a damaged string cannot break
// the page's encoding.
std::string HtmlEscape(absl::string_view text);

// A number for a table cell: `digits` significant digits, "-" for NaN or infinity.
std::string Number(double value, int digits = 4);

// Unix-epoch nanoseconds as "2025-01-01 00:00:00 UTC"; "-" for 0 (unknown).
std::string UtcTime(int64_t unix_ns);

// Seconds as "1 h 02 min 03 s" (or "12.3 s" under a minute).
std::string Duration(double seconds);

// Bytes as "455.7 KiB", "1.2 GiB".
std::string Bytes(uint64_t bytes);

}  // namespace rollrig::report
