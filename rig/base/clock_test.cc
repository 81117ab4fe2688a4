#include "rig/base/clock.h"

#include <gtest/gtest.h>

namespace rollrig {
namespace {

TEST(SteppingClockTest, AWaitJumpsToItsDeadlineAtOnce) {
  SteppingClock clock(100);
  clock.SleepUntil(5'000'000'000);  // five simulated seconds, no real time
  EXPECT_EQ(clock.NowNanos(), 5'000'000'000);
}

TEST(SteppingClockTest, NeverGoesBack) {
  SteppingClock clock(1'000);
  clock.SleepUntil(10);
  EXPECT_EQ(clock.NowNanos(), 1'000);
  clock.Advance(500);
  EXPECT_EQ(clock.NowNanos(), 1'500);
}

}  // namespace
}  // namespace rollrig
