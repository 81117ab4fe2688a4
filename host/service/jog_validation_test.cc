#include "host/service/jog_validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace rollrig::host {
namespace {

using ::testing::HasSubstr;

rollrig::v1::Capabilities Caps() {
  rollrig::v1::Capabilities c;
  c.mutable_roller_rpm()->set_min(-120);
  c.mutable_roller_rpm()->set_max(120);
  c.mutable_head_deg()->set_min(-180);
  c.mutable_head_deg()->set_max(180);
  c.mutable_preload_n()->set_min(0);
  c.mutable_preload_n()->set_max(150);
  c.set_head_max_rate_dps(120);
  return c;
}

TEST(JogValidationTest, AcceptsValuesInRange) {
  rollrig::v1::JogRequest j;
  j.set_roller_rpm(-120);
  j.set_head_deg(30);
  j.set_preload_n(150);
  EXPECT_TRUE(ValidateJog(j, Caps()).ok());
}

TEST(JogValidationTest, NamesFieldValueAndRange) {
  rollrig::v1::JogRequest j;
  j.set_roller_rpm(100000);
  absl::Status s = ValidateJog(j, Caps());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("roller_rpm 100000"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("-120..120 rpm"));

  rollrig::v1::JogRequest h;
  h.set_head_deg(181);
  EXPECT_THAT(std::string(ValidateJog(h, Caps()).message()), HasSubstr("head_deg 181"));
  rollrig::v1::JogRequest p;
  p.set_preload_n(-1);
  EXPECT_THAT(std::string(ValidateJog(p, Caps()).message()), HasSubstr("preload_n -1"));
}

TEST(JogValidationTest, RefusesNonFinite) {
  for (double bad : {std::nan(""), std::numeric_limits<double>::infinity(),
                     -std::numeric_limits<double>::infinity()}) {
    rollrig::v1::JogRequest j;
    j.set_roller_rpm(bad);
    absl::Status s = ValidateJog(j, Caps());
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(s.message()), HasSubstr("finite"));
  }
}

TEST(JogValidationTest, RefusesEmptyJogAndBadRate) {
  EXPECT_EQ(ValidateJog(rollrig::v1::JogRequest(), Caps()).code(),
            absl::StatusCode::kInvalidArgument);
  rollrig::v1::JogRequest j;
  j.set_head_deg(10);
  j.set_head_max_rate_dps(500);
  EXPECT_THAT(std::string(ValidateJog(j, Caps()).message()), HasSubstr("head_max_rate_dps"));
}

}  // namespace
}  // namespace rollrig::host
