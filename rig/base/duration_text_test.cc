// The one duration rule: bare seconds, numbers with units, sums of terms; the stricter
// syntaxes a retention asks for; garbage refused naming the text.
#include "rig/base/duration_text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace rollrig {
namespace {

using ::testing::HasSubstr;

TEST(DurationTextTest, ParsesSecondsAndUnits) {
  EXPECT_DOUBLE_EQ(*ParseDurationSeconds("10"), 10);
  EXPECT_DOUBLE_EQ(*ParseDurationSeconds("0.5"), 0.5);
  EXPECT_DOUBLE_EQ(*ParseDurationSeconds("1e3"), 1000);
  EXPECT_DOUBLE_EQ(*ParseDurationSeconds("30s"), 30);
  EXPECT_DOUBLE_EQ(*ParseDurationSeconds("250ms"), 0.25);
  EXPECT_DOUBLE_EQ(*ParseDurationSeconds("1.5m"), 90);
  EXPECT_DOUBLE_EQ(*ParseDurationSeconds("2h"), 7200);
  EXPECT_DOUBLE_EQ(*ParseDurationSeconds("3d"), 3 * 86400);
}

TEST(DurationTextTest, SumsTerms) {
  EXPECT_DOUBLE_EQ(*ParseDurationSeconds("1h30m"), 5400);
  EXPECT_DOUBLE_EQ(*ParseDurationSeconds("1d12h"), 36 * 3600);
  EXPECT_DOUBLE_EQ(*ParseDurationSeconds("1m500ms"), 60.5);
}

TEST(DurationTextTest, RefusesGarbageNamingIt) {
  for (const char* bad : {"", "s", "5x", "abc", "nan", "inf", "1e999", "--1", "+5", "1e3s", "5 s",
                          " 5", "1h30", "h1", "1..5s", "1.2.3"}) {
    absl::StatusOr<double> d = ParseDurationSeconds(bad);
    EXPECT_FALSE(d.ok()) << bad << " = " << *d;
  }
  EXPECT_THAT(ParseDurationSeconds("5x").status().message(), HasSubstr("'5x'"));
  EXPECT_THAT(ParseDurationSeconds("-3").status().message(), HasSubstr("negative"));
  EXPECT_THAT(ParseDurationSeconds("-5m").status().message(), HasSubstr("negative"));
}

TEST(DurationTextTest, ARetentionWantsWholeNumbersWithUnits) {
  const DurationSyntax retention{.unit_required = true, .whole_numbers = true};
  EXPECT_DOUBLE_EQ(*ParseDurationSeconds("0", retention), 0);
  EXPECT_DOUBLE_EQ(*ParseDurationSeconds("7d", retention), 7 * 86400);
  EXPECT_DOUBLE_EQ(*ParseDurationSeconds("1d12h", retention), 36 * 3600);
  for (const char* bad : {"7", "1.5h", "7w", "d", "7 d"}) {
    absl::StatusOr<double> d = ParseDurationSeconds(bad, retention);
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_THAT(d.status().message(), HasSubstr("whole numbers with")) << bad;
  }
}

}  // namespace
}  // namespace rollrig
