// Bounded text: the one rule for how much of a person's or a client's input rollrig
// repeats back. Error messages and events quote at most kQuoteBytes of any input; a value
// that is kept (an e-stop's reason) is cut to its own bound. A cut text is marked as cut
// ("…[+N bytes]", counted within the bound) and never splits a UTF-8 sequence, so the
// result is valid UTF-8 whenever the input was.
//
// Pure functions of their arguments; thread-safe; allocate only the result.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace rollrig {

// How many bytes of any input an error message or event quotes.
inline constexpr size_t kQuoteBytes = 200;

// `text` itself when it fits in `max_bytes`; else its longest prefix that ends on a UTF-8
// boundary and leaves room for the mark "…[+N bytes]" (N = the bytes left out), with the
// mark appended. The result is at most `max_bytes` long (for max_bytes >= 24, room for
// any mark).
std::string TruncateText(std::string_view text, size_t max_bytes);

// Whether TruncateText would cut `text` at `max_bytes`.
inline bool ExceedsBytes(std::string_view text, size_t max_bytes) {
  return text.size() > max_bytes;
}

// `text` in single quotes for an error message or event, cut to kQuoteBytes: 'abc'.
std::string QuoteInput(std::string_view text);

// `text` with every byte that is not part of a well-formed UTF-8 sequence replaced by
// U+FFFD. Protobuf refuses to parse a string field that is not UTF-8, so a client that
// passes on arbitrary bytes (a pasted log as an e-stop's reason) makes them valid first.
std::string ToValidUtf8(std::string_view text);

}  // namespace rollrig
