#include "rig/base/bounded_text.h"

#include <string>

#include "gtest/gtest.h"

namespace rollrig {
namespace {

// True when `s` is well-formed UTF-8 (enough for these tests: lead bytes and lengths).
bool IsValidUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t len = c < 0x80           ? 1
                       : (c >> 5) == 0x6  ? 2
                       : (c >> 4) == 0xE  ? 3
                       : (c >> 3) == 0x1E ? 4
                                          : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

TEST(TruncateText, ShortTextIsKeptWhole) {
  EXPECT_EQ(TruncateText("operator pressed it", 200), "operator pressed it");
  EXPECT_EQ(TruncateText("", 10), "");
  const std::string exact(200, 'x');
  EXPECT_EQ(TruncateText(exact, 200), exact);
}

TEST(TruncateText, LongTextIsCutToTheBoundAndMarked) {
  const std::string long_text(70000, 'r');
  const std::string cut = TruncateText(long_text, 256);
  EXPECT_LE(cut.size(), 256u);
  EXPECT_GT(cut.size(), 200u);  // the mark leaves most of the bound to the text
  const size_t kept = cut.find("…");
  ASSERT_NE(kept, std::string::npos);
  EXPECT_EQ(cut.substr(0, kept), std::string(kept, 'r'));
  EXPECT_EQ(cut.substr(kept), "…[+" + std::to_string(70000 - kept) + " bytes]");
}

TEST(TruncateText, NeverSplitsAUtf8Sequence) {
  // "é" is 2 bytes, "€" 3, "😀" 4: every cut position lands inside some sequence.
  std::string text;
  for (int i = 0; i < 200; ++i) text += "é€😀a";
  for (size_t bound = 24; bound < 120; ++bound) {
    const std::string cut = TruncateText(text, bound);
    EXPECT_LE(cut.size(), bound) << bound;
    EXPECT_TRUE(IsValidUtf8(cut)) << "bound " << bound << ": " << cut;
  }
}

TEST(TruncateText, ATinyBoundKeepsOnlyTheMark) {
  const std::string cut = TruncateText(std::string(50, 'a'), 5);
  EXPECT_EQ(cut, "…[+50 bytes]");
}

TEST(ToValidUtf8, KeepsValidTextAndReplacesEveryInvalidByte) {
  EXPECT_EQ(ToValidUtf8("pad slipped é€😀"), "pad slipped é€😀");
  EXPECT_EQ(ToValidUtf8(std::string("a\xff"
                                    "b",
                                    3)),
            "a\uFFFDb");
  EXPECT_EQ(ToValidUtf8("\xC3"), "\uFFFD");                      // cut sequence
  EXPECT_EQ(ToValidUtf8("\xC0\xAF"), "\uFFFD\uFFFD");            // overlong
  EXPECT_EQ(ToValidUtf8("\xED\xA0\x80"), "\uFFFD\uFFFD\uFFFD");  // surrogate
  std::string binary;
  for (int i = 0; i < 256; ++i) binary += static_cast<char>(i);
  EXPECT_TRUE(IsValidUtf8(ToValidUtf8(binary)));
}

TEST(QuoteInput, QuotesAtMostTheQuoteBound) {
  EXPECT_EQ(QuoteInput("run-7"), "'run-7'");
  const std::string megabyte(1 << 20, 'i');
  const std::string quoted = QuoteInput(megabyte);
  EXPECT_LE(quoted.size(), kQuoteBytes + 2);
  EXPECT_EQ(quoted.front(), '\'');
  EXPECT_EQ(quoted.back(), '\'');
  EXPECT_NE(quoted.find("bytes]"), std::string::npos);
}

}  // namespace
}  // namespace rollrig
