// How call failures count, without a server: the statuses rigd answers with.
#include "host/client/connection_diagnosis.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rollrig::client {
namespace {

using ::testing::HasSubstr;

ClientSettings WithToken() {
  ClientSettings s;
  s.addr = "rig7.lab:50051";
  s.addr_from = "--addr";
  s.token = "t";
  s.token_from = "ROLLRIG_TOKEN";
  return s;
}

TEST(ConnectionDiagnosisTest, APermissionDeniedKeepsTheRoleRigdNames) {
  Failure f = DescribeCallFailure(
      grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "Jog needs the operator role"),
      WithToken());
  EXPECT_EQ(f.kind, FailureKind::kPermissionDenied);
  EXPECT_THAT(f.message, HasSubstr("Jog needs the operator role"));
  EXPECT_THAT(f.message, HasSubstr("token from ROLLRIG_TOKEN"));
}

TEST(ConnectionDiagnosisTest, NotFoundAndRefusalsKeepRigdsWords) {
  Failure f =
      DescribeCallFailure(grpc::Status(grpc::StatusCode::NOT_FOUND, "no run 'r9'"), WithToken());
  EXPECT_EQ(f.kind, FailureKind::kNotFound);
  EXPECT_EQ(f.message, "no run 'r9'");
  f = DescribeCallFailure(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "e-stopped"),
                          WithToken());
  EXPECT_EQ(f.kind, FailureKind::kRefused);
  // rigd's own UNAVAILABLE (no device) is a refusal, not a lost connection.
  f = DescribeCallFailure(grpc::Status(grpc::StatusCode::UNAVAILABLE, "no device connected"),
                          WithToken());
  EXPECT_EQ(f.kind, FailureKind::kRefused);
  f = DescribeCallFailure(grpc::Status(grpc::StatusCode::CANCELLED, ""), WithToken());
  EXPECT_EQ(f.kind, FailureKind::kRefused);
  EXPECT_THAT(f.message, HasSubstr("gRPC status 1")) << "a status without a message says which";
}

}  // namespace
}  // namespace rollrig::client
