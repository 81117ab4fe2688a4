#include "host/security/rpc_roles.h"

#include "gtest/gtest.h"

namespace rollrig::host {
namespace {

TEST(RpcRolesTest, ObserversWatchAndEStopOperatorsDrive) {
  EXPECT_EQ(RequiredRole("EStop"), Role::kObserver);
  EXPECT_EQ(RequiredRole("StreamTelemetry"), Role::kObserver);
  EXPECT_EQ(RequiredRole("Jog"), Role::kOperator);
  EXPECT_EQ(RequiredRole("AcquireLease"), Role::kOperator);
  EXPECT_EQ(RequiredRole("NoSuchMethod"), std::nullopt);
}

TEST(RpcRolesTest, ARoleTooLowIsDeniedNamingBothRoles) {
  const Caller alice{"alice@desk", Role::kObserver, true};
  EXPECT_TRUE(Authorize(alice, "GetStatus").ok());
  const absl::Status s = Authorize(alice, "Jog");
  EXPECT_TRUE(absl::IsPermissionDenied(s));
  EXPECT_EQ(s.message(), "Jog needs the operator role; alice@desk is an observer");
  EXPECT_TRUE(Authorize(Caller{"root@lab", Role::kAdmin, true}, "Jog").ok());
}

TEST(RpcRolesTest, AMethodOutsideTheTableIsDeniedToEveryone) {
  const absl::Status s = Authorize(Caller{"root@lab", Role::kAdmin, true}, "Reboot");
  EXPECT_TRUE(absl::IsPermissionDenied(s));
  EXPECT_EQ(s.message(), "Reboot is not in rigd's table of roles; nobody may call it");
}

}  // namespace
}  // namespace rollrig::host
