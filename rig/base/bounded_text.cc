#include "rig/base/bounded_text.h"

#include <algorithm>

namespace rollrig {
namespace {

bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// The length of text's longest prefix of at most `limit` bytes that does not end inside
// a UTF-8 sequence.
size_t Utf8PrefixLength(std::string_view text, size_t limit) {
  if (limit >= text.size()) return text.size();
  size_t n = limit;
  // text[n] is the first byte left out: while it continues a sequence, the sequence's
  // start is inside the prefix, so cut before that start (at most 3 bytes back).
  for (int back = 0; back < 4 && n > 0 && IsContinuationByte(text[n]); ++back) --n;
  return n;
}

// The length of the well-formed UTF-8 sequence at text[i], or 0 if there is none
// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
size_t Utf8SequenceLength(std::string_view text, size_t i) {
  const auto at = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = at(i);
  if (c < 0x80) return 1;
  size_t len = 0;
  unsigned char low = 0x80, high = 0xBF;  // bounds of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) low = 0xA0;
    if (c == 0xED) high = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) low = 0x90;
    if (c == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (i + len > text.size()) return 0;
  if (at(i + 1) < low || at(i + 1) > high) return 0;
  for (size_t k = 2; k < len; ++k) {
    if (!IsContinuationByte(text[i + k])) return 0;
  }
  return len;
}

}  // namespace

std::string ToValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t len = Utf8SequenceLength(text, i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  return out;
}

std::string TruncateText(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  // The mark names how much was left out; that number depends on the prefix, so size it
  // for the worst case (everything left out) first.
  const std::string worst_mark = "…[+" + std::to_string(text.size()) + " bytes]";
  const size_t budget = max_bytes > worst_mark.size() ? max_bytes - worst_mark.size() : 0;
  const size_t kept = Utf8PrefixLength(text, budget);
  std::string out(text.substr(0, kept));
  out += "…[+" + std::to_string(text.size() - kept) + " bytes]";
  return out;
}

std::string QuoteInput(std::string_view text) {
  return "'" + TruncateText(text, kQuoteBytes) + "'";
}

}  // namespace rollrig
