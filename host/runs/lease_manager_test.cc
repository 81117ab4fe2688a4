#include "host/runs/lease_manager.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rollrig::host {
namespace {

using ::testing::HasSubstr;

class LeaseManagerTest : public ::testing::Test {
 protected:
  std::vector<std::string> Messages() {
    std::vector<rollrig::v1::RigEvent> events;
    sub_->Drain(&events);
    std::vector<std::string> out;
    for (const auto& e : events) out.push_back(e.message());
    return out;
  }

  EventHub events_;
  std::shared_ptr<EventSubscription> sub_ = events_.Subscribe();
  ManualClock clock_{1'000'000'000};
  LeaseManager lease_{&events_, &clock_, absl::Seconds(10)};
};

TEST_F(LeaseManagerTest, OneHolderAtATimeAndObserversAreRefused) {
  auto alice = lease_.Acquire("alice@bench", "rig-dash", false, absl::ZeroDuration());
  ASSERT_TRUE(alice.ok());
  EXPECT_TRUE(lease_.Check(alice->token()).ok());
  auto bob = lease_.Acquire("bob@desk", "rigctl", false, absl::ZeroDuration());
  ASSERT_FALSE(bob.ok());
  EXPECT_EQ(bob.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(bob.status().message()), HasSubstr("alice@bench (rig-dash)"));
  // An observer without the token cannot move the rig, and is told who can.
  absl::Status s = lease_.Check("");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), HasSubstr("alice@bench"));
  EXPECT_FALSE(lease_.Check("forged").ok());
}

TEST_F(LeaseManagerTest, UseRenewsAndSilenceExpires) {
  auto lease = lease_.Acquire("alice@bench", "rigctl", false, absl::ZeroDuration());
  ASSERT_TRUE(lease.ok());
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(absl::ToInt64Nanoseconds(absl::Seconds(8)));
    EXPECT_TRUE(lease_.Check(lease->token()).ok()) << "renewed by use, round " << i;
  }
  clock_.Advance(absl::ToInt64Nanoseconds(absl::Seconds(11)));
  lease_.Poll();
  EXPECT_FALSE(lease_.Get().held());
  EXPECT_FALSE(lease_.Check(lease->token()).ok());
  EXPECT_THAT(Messages(), ::testing::Contains(HasSubstr("expired")));
  // A vanished holder's lease is free for the next one.
  EXPECT_TRUE(lease_.Acquire("bob@desk", "rigctl", false, absl::ZeroDuration()).ok());
}

TEST_F(LeaseManagerTest, ForcedTakeoverIsRecorded) {
  auto alice = lease_.Acquire("alice@bench", "rig-dash", false, absl::ZeroDuration());
  ASSERT_TRUE(alice.ok());
  auto bob = lease_.Acquire("bob@desk", "rigctl", true, absl::ZeroDuration(), /*may_force=*/true);
  ASSERT_TRUE(bob.ok());
  EXPECT_FALSE(lease_.Check(alice->token()).ok());
  EXPECT_TRUE(lease_.Check(bob->token()).ok());
  EXPECT_THAT(Messages(), ::testing::Contains(
                              HasSubstr("taken by force from alice@bench (rig-dash) by bob@desk")));
}

TEST_F(LeaseManagerTest, OnlyAnAdminMayTakeItByForceAndARefusalTakesNothing) {
  auto alice = lease_.Acquire("alice@bench", "rig-dash", false, absl::ZeroDuration());
  ASSERT_TRUE(alice.ok());
  Messages();
  auto bob = lease_.Acquire("bob@desk", "rigctl", true, absl::ZeroDuration(), /*may_force=*/false);
  EXPECT_EQ(bob.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(bob.status().message()), HasSubstr("admin role"));
  EXPECT_FALSE(IsLeaseRefusal(bob.status())) << "not a want of the lease: force cannot help";
  EXPECT_TRUE(lease_.Check(alice->token()).ok()) << "the refused takeover took the lease";
  EXPECT_EQ(lease_.Get().holder(), "alice@bench");
  EXPECT_TRUE(Messages().empty());
  // A free lease is simply acquired, force or not.
  ASSERT_TRUE(lease_.Release(alice->token()).ok());
  EXPECT_TRUE(lease_.Acquire("bob@desk", "rigctl", true, absl::ZeroDuration()).ok());
}

TEST_F(LeaseManagerTest, TheHolderItWasTakenFromIsToldByWhomAndWhen) {
  auto alice = lease_.Acquire("alice@bench", "rig-dash", false, absl::ZeroDuration());
  ASSERT_TRUE(alice.ok());
  clock_.Advance(absl::ToInt64Nanoseconds(absl::Seconds(2)));
  ASSERT_TRUE(lease_.Acquire("carol@lab", "rigctl", true, absl::ZeroDuration(), true).ok());
  const absl::Status refused = lease_.Check(alice->token());
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(IsLeaseRefusal(refused));
  EXPECT_THAT(std::string(refused.message()),
              HasSubstr("control was taken from you by force by carol@lab (rigctl) at "));
  EXPECT_THAT(std::string(refused.message()), HasSubstr(" UTC"));
  EXPECT_THAT(std::string(lease_.Release(alice->token()).message()), HasSubstr("carol@lab"));
  // Someone who never held it hears only who holds it now.
  const absl::Status other = lease_.Check("never-issued");
  EXPECT_TRUE(IsLeaseRefusal(other));
  EXPECT_THAT(std::string(other.message()), ::testing::Not(HasSubstr("taken from you")));
}

TEST_F(LeaseManagerTest, ReleaseFreesItAndOnlyTheHolderCanRelease) {
  auto alice = lease_.Acquire("alice@bench", "rigctl", false, absl::ZeroDuration());
  ASSERT_TRUE(alice.ok());
  EXPECT_FALSE(lease_.Release("other").ok());
  EXPECT_TRUE(lease_.Release(alice->token()).ok());
  EXPECT_FALSE(lease_.Get().held());
  EXPECT_FALSE(lease_.Release(alice->token()).ok());
}

TEST_F(LeaseManagerTest, BadRequestsAreRefused) {
  EXPECT_EQ(lease_.Acquire("", "rigctl", false, absl::ZeroDuration()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(lease_.Acquire("a@b", "rigctl", false, absl::Hours(48)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(LeaseManagerTest, ExpiresExactlyAtItsTtlAndNotBefore) {
  auto lease = lease_.Acquire("alice@bench", "rigctl", false, absl::Seconds(30));
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(lease->expires_unix_ns() - lease->acquired_unix_ns(),
            absl::ToInt64Nanoseconds(absl::Seconds(30)));
  clock_.Advance(absl::ToInt64Nanoseconds(absl::Seconds(30)) - 1);
  lease_.Poll();
  EXPECT_TRUE(lease_.Get().held()) << "expired a nanosecond before its ttl";
  clock_.Advance(1);
  lease_.Poll();
  EXPECT_FALSE(lease_.Get().held()) << "still held at its ttl";
  EXPECT_THAT(Messages(), ::testing::ElementsAre(HasSubstr("acquired by alice@bench"),
                                                 HasSubstr("expired (not renewed)")));
  lease_.Poll();  // the expiry is announced once
  EXPECT_TRUE(Messages().empty());
}

TEST_F(LeaseManagerTest, RenewMovesTheExpiryAFullTtlFromNow) {
  auto lease = lease_.Acquire("alice@bench", "rigctl", false, absl::ZeroDuration());
  ASSERT_TRUE(lease.ok());
  clock_.Advance(absl::ToInt64Nanoseconds(absl::Seconds(9)));
  absl::StatusOr<rollrig::v1::LeaseInfo> renewed = lease_.Renew(lease->token());
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  EXPECT_EQ(renewed->token(), lease->token());
  EXPECT_EQ(renewed->acquired_unix_ns(), lease->acquired_unix_ns());
  EXPECT_EQ(renewed->expires_unix_ns() - lease->expires_unix_ns(),
            absl::ToInt64Nanoseconds(absl::Seconds(9)));
  // 10 s (the default ttl) after the renewal, not after the acquisition.
  clock_.Advance(absl::ToInt64Nanoseconds(absl::Seconds(9)));
  EXPECT_TRUE(lease_.Get().held());
  clock_.Advance(absl::ToInt64Nanoseconds(absl::Seconds(1)));
  EXPECT_FALSE(lease_.Get().held());
  EXPECT_FALSE(lease_.Renew(lease->token()).ok()) << "an expired lease was renewed";
}

TEST_F(LeaseManagerTest, AnExpiredLeaseIsTakenWithoutForce) {
  auto alice = lease_.Acquire("alice@bench", "rig-dash", false, absl::ZeroDuration());
  ASSERT_TRUE(alice.ok());
  clock_.Advance(absl::ToInt64Nanoseconds(absl::Seconds(10)));
  auto bob = lease_.Acquire("bob@desk", "rigctl", false, absl::ZeroDuration());
  ASSERT_TRUE(bob.ok()) << bob.status();
  EXPECT_THAT(Messages(),
              ::testing::ElementsAre(HasSubstr("acquired by alice@bench"), HasSubstr("expired"),
                                     HasSubstr("acquired by bob@desk")));
}

TEST_F(LeaseManagerTest, TheRefusalSaysHowLongTheLeaseLasts) {
  ASSERT_TRUE(lease_.Acquire("alice@bench", "rig-dash", false, absl::ZeroDuration()).ok());
  clock_.Advance(absl::ToInt64Nanoseconds(absl::Seconds(4)));
  auto bob = lease_.Acquire("bob@desk", "rigctl", false, absl::ZeroDuration());
  ASSERT_FALSE(bob.ok());
  EXPECT_THAT(std::string(bob.status().message()), HasSubstr("for another 6s unless renewed"));
}

}  // namespace
}  // namespace rollrig::host
