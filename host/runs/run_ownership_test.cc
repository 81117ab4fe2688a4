#include "host/runs/run_ownership.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rollrig::host {
namespace {

using ::testing::HasSubstr;

rollrig::v1::RunInfo RunOf(const std::string& owner) {
  rollrig::v1::RunInfo run;
  run.set_id("20261202-140000-short-beef");
  run.set_started_by(owner);
  return run;
}

TEST(RunOwnershipTest, TheOwnerNeedsNeitherForceNorAdmin) {
  const RunActor bob{.identity = "bob@bench"};
  EXPECT_TRUE(CheckMayCommandRun(RunOf("bob@bench"), bob, "stop").ok());
  EXPECT_EQ(DescribeRunActor(RunOf("bob@bench"), bob), "bob@bench");
  // Force and a reason from the owner change nothing of how it is recorded.
  const RunActor forcing{.identity = "bob@bench", .force = true, .reason = "why not"};
  EXPECT_EQ(DescribeRunActor(RunOf("bob@bench"), forcing), "bob@bench");
}

TEST(RunOwnershipTest, AnotherOperatorIsRefusedNamingTheOwnerEvenWithForce) {
  for (bool force : {false, true}) {
    const RunActor alice{.identity = "alice@desk", .force = force, .reason = "lunch"};
    const absl::Status s = CheckMayCommandRun(RunOf("bob@bench"), alice, "pause");
    EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
    EXPECT_THAT(std::string(s.message()),
                HasSubstr("run 20261202-140000-short-beef belongs to bob@bench; only bob@bench, "
                          "or an admin with --force, may pause it"));
    EXPECT_THAT(std::string(s.message()), HasSubstr("alice@desk is not an admin"));
  }
}

TEST(RunOwnershipTest, AnAdminNeedsForceAndAReason) {
  const RunActor carol{.identity = "carol@lab", .admin = true};
  EXPECT_EQ(CheckMayCommandRun(RunOf("bob@bench"), carol, "stop").code(),
            absl::StatusCode::kPermissionDenied);
  const RunActor no_reason{.identity = "carol@lab", .admin = true, .force = true};
  const absl::Status s = CheckMayCommandRun(RunOf("bob@bench"), no_reason, "stop");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("needs a reason"));
  const RunActor forced{
      .identity = "carol@lab", .admin = true, .force = true, .reason = "rig needed for QA"};
  EXPECT_TRUE(CheckMayCommandRun(RunOf("bob@bench"), forced, "stop").ok());
  EXPECT_EQ(DescribeRunActor(RunOf("bob@bench"), forced),
            "carol@lab (admin, forced: rig needed for QA)");
}

TEST(RunOwnershipTest, AForcedReasonIsQuotedBounded) {
  const RunActor forced{
      .identity = "carol@lab", .admin = true, .force = true, .reason = std::string(5000, 'x')};
  EXPECT_LT(DescribeRunActor(RunOf("bob@bench"), forced).size(), 300u);
}

TEST(RunOwnershipTest, RigdItselfAndRunsOlderThanOwnersAreNotRefused) {
  EXPECT_TRUE(CheckMayCommandRun(RunOf("bob@bench"), RunActor{}, "resume").ok());
  EXPECT_EQ(DescribeRunActor(RunOf("bob@bench"), RunActor{}), "rigd");
  const RunActor alice{.identity = "alice@desk"};
  EXPECT_TRUE(CheckMayCommandRun(RunOf(""), alice, "stop").ok());
  EXPECT_EQ(DescribeRunActor(RunOf(""), alice), "alice@desk");
}

}  // namespace
}  // namespace rollrig::host
