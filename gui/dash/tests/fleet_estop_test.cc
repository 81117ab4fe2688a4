#include "gui/dash/fleet_estop.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rollrig::gui {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(FleetEStopTargets, WithoutFocusTheShortcutStopsEveryRig) {
  FleetEStopTargets t({"A", "B", "C"});
  EXPECT_FALSE(t.focused());
  EXPECT_THAT(t.ShortcutTargets(), ElementsAre("A", "B", "C"));
}

TEST(FleetEStopTargets, WithFocusTheShortcutStopsOnlyTheFocusedRig) {
  FleetEStopTargets t({"A", "B", "C"});
  ASSERT_TRUE(t.Focus("B"));
  EXPECT_TRUE(t.IsFocused("B"));
  EXPECT_FALSE(t.IsFocused("A"));
  EXPECT_THAT(t.ShortcutTargets(), ElementsAre("B"));
  ASSERT_TRUE(t.Focus("C"));  // the focus moves; it is never on two rigs
  EXPECT_THAT(t.ShortcutTargets(), ElementsAre("C"));
  t.ClearFocus();
  EXPECT_THAT(t.ShortcutTargets(), ElementsAre("A", "B", "C"));
}

TEST(FleetEStopTargets, AnUnknownRigCannotTakeTheFocus) {
  FleetEStopTargets t({"A", "B"});
  ASSERT_TRUE(t.Focus("A"));
  EXPECT_FALSE(t.Focus("Z"));
  EXPECT_THAT(t.ShortcutTargets(), ElementsAre("A"));
}

TEST(FleetEStopTargets, ATileButtonStopsExactlyItsRigWhateverTheFocus) {
  FleetEStopTargets t({"A", "B"});
  EXPECT_THAT(t.ButtonTargets("A"), ElementsAre("A"));
  ASSERT_TRUE(t.Focus("B"));
  EXPECT_THAT(t.ButtonTargets("A"), ElementsAre("A"));
  EXPECT_TRUE(t.ButtonTargets("Z").empty());
}

TEST(FleetEStopTargets, RemovingTheFocusedRigFallsBackToEveryRigNotToAStaleOne) {
  FleetEStopTargets t({"A", "B", "C"});
  ASSERT_TRUE(t.Focus("B"));
  t.SetRigs({"A", "C"});
  EXPECT_FALSE(t.focused());
  EXPECT_THAT(t.ShortcutTargets(), ElementsAre("A", "C"));
  EXPECT_TRUE(t.ButtonTargets("B").empty());
}

TEST(FleetEStopTargets, KeepsTheFocusWhenAnotherRigIsRemoved) {
  FleetEStopTargets t({"A", "B", "C"});
  ASSERT_TRUE(t.Focus("C"));
  t.SetRigs({"B", "C"});
  EXPECT_THAT(t.ShortcutTargets(), ElementsAre("C"));
}

TEST(FleetEStopTargets, NeverNoneWhileTheViewHasRigs) {
  for (const auto& rigs : std::vector<std::vector<std::string>>{{"A"}, {"A", "B"}}) {
    FleetEStopTargets t(rigs);
    EXPECT_FALSE(t.ShortcutTargets().empty());
    ASSERT_TRUE(t.Focus(rigs.back()));
    EXPECT_FALSE(t.ShortcutTargets().empty());
  }
  EXPECT_TRUE(FleetEStopTargets(std::vector<std::string>{}).ShortcutTargets().empty());
}

TEST(DescribeEStopPress, NamesTheRigsItWasSentTo) {
  EXPECT_EQ(DescribeEStopPress({{"A", true}, {"B", true}}), "E-STOP sent to A, B");
}

TEST(DescribeEStopPress, AnUnreachableRigIsStillAttemptedAndSaidToBe) {
  const std::string s = DescribeEStopPress({{"A", true}, {"B", false}});
  EXPECT_THAT(s, HasSubstr("sent to A"));
  EXPECT_THAT(s, HasSubstr("E-STOP to B attempted but NOT CONNECTED"));
  EXPECT_THAT(s, HasSubstr("own e-stop"));
  EXPECT_THAT(DescribeEStopPress({{"B", false}}), Not(HasSubstr("sent to")));
}

TEST(DescribeEStopPress, NoRigIsSaid) { EXPECT_THAT(DescribeEStopPress({}), HasSubstr("no rig")); }

}  // namespace
}  // namespace rollrig::gui
