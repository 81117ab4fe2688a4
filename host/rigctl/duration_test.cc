#include "host/rigctl/duration.h"

#include <gtest/gtest.h>

namespace rollrig::host {
namespace {

TEST(DurationTest, ParsesSecondsAndUnits) {
  EXPECT_DOUBLE_EQ(*ParseDurationSeconds("10"), 10);
  EXPECT_DOUBLE_EQ(*ParseDurationSeconds("0.5"), 0.5);
  EXPECT_DOUBLE_EQ(*ParseDurationSeconds("30s"), 30);
  EXPECT_DOUBLE_EQ(*ParseDurationSeconds("1.5m"), 90);
  EXPECT_DOUBLE_EQ(*ParseDurationSeconds("2h"), 7200);
  EXPECT_DOUBLE_EQ(*ParseDurationSeconds("3d"), 3 * 86400);
}

TEST(DurationTest, RefusesGarbageNamingIt) {
  for (const char* bad : {"", "s", "5x", "abc", "nan", "inf", "1e999", "--1"}) {
    absl::StatusOr<double> d = ParseDurationSeconds(bad);
    EXPECT_FALSE(d.ok()) << bad;
  }
  absl::StatusOr<double> d = ParseDurationSeconds("5x");
  EXPECT_NE(std::string(d.status().message()).find("'5x'"), std::string::npos);
  EXPECT_FALSE(ParseDurationSeconds("-3").ok());
}

}  // namespace
}  // namespace rollrig::host
