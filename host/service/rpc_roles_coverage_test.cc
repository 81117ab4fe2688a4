// Every method of rollrig.v1.RigService has its entry in the table of required roles, and
// the table names no method the service lacks: a new RPC cannot ship without a rule.
#include <set>
#include <string>

#include "gtest/gtest.h"
#include "host/security/rpc_roles.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::host {
namespace {

TEST(RpcRolesCoverageTest, EveryServiceMethodHasARequiredRoleAndNoMore) {
  const google::protobuf::ServiceDescriptor* service =
      rollrig::v1::RigEvent::descriptor()->file()->FindServiceByName("RigService");
  ASSERT_NE(service, nullptr);
  std::set<std::string> methods;
  for (int i = 0; i < service->method_count(); ++i) {
    const std::string name = service->method(i)->name();
    methods.insert(name);
    EXPECT_TRUE(RequiredRole(name).has_value()) << name << " has no entry in rpc_roles.cc";
  }
  for (std::string_view name : MethodsWithRoles()) {
    EXPECT_TRUE(methods.count(std::string(name))) << name << " is not a RigService method";
  }
  EXPECT_EQ(MethodsWithRoles().size(), methods.size());
}

}  // namespace
}  // namespace rollrig::host
