// rigd in this process with TLS and a credentials file, for tests and benchmarks: a
// throwaway CA (test_pki.h) signs rigd's certificate and is its client CA; the credentials
// give tokens to an observer, an operator and an admin, a token that expires at the end
// of 2026-03-01, and carol's client certificate the operator role.
//
// Not thread-safe; stubs it makes are used as gRPC allows.
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "grpcpp/grpcpp.h"
#include "host/rigd/rigd_app.h"
#include "rollrig/v1/rig_service.grpc.pb.h"
#include "tests/test_pki.h"

namespace rollrig::testing {

inline constexpr char kObserverToken[] = "observer-token-0123456789";  // alice@desk
inline constexpr char kOperatorToken[] = "operator-token-0123456789";  // bob@bench
inline constexpr char kAdminToken[] = "admin-token-0123456789";        // root@lab
inline constexpr char kExpiringToken[] = "expiring-token-0123456789";  // temp@desk, observer
inline constexpr char kCarolSubject[] = "CN=carol at desk,O=Test Lab\\, Inc.,C=DE";

// The credentials file's text; bob (the operator) left out with `with_operator` false.
std::string StackCredentials(bool with_operator = true);
void WriteFile(const std::string& path, const std::string& text);

struct TlsStackOptions {
  bool tls = true;  // false: plaintext on loopback, the credentials still apply
  uint32_t tick_hz = 1000;
  double speedup = 1.0;             // > 1: the simulator runs that much faster than real time
  Clock* wall_clock = WallClock();  // credential expiry; must outlive the stack
};

class TlsStack {
 public:
  explicit TlsStack(TlsStackOptions options = {});
  ~TlsStack();

  // Start()'s outcome, then the device's connection.
  const absl::Status& started() const { return started_; }
  host::RigdApp& app() { return *app_; }
  const TestCa& ca() const { return ca_; }
  std::string credentials_file() const { return dir_ + "/credentials"; }

  // A stub trusting `trusted_ca`, presenting `client`'s certificate if it has one.
  std::unique_ptr<rollrig::v1::RigService::Stub> NewStub(const std::string& trusted_ca,
                                                         const Issued& client = {}) const;
  // A stub trusting the stack's CA (plaintext when the stack has no TLS).
  std::unique_ptr<rollrig::v1::RigService::Stub> NewStub() const;
  std::string target() const;

  // A context sending `authorization` ("" = none) with a deadline.
  static std::unique_ptr<grpc::ClientContext> Context(const std::string& authorization,
                                                      int deadline_s = 10);
  static std::string Bearer(const std::string& token) { return "Bearer " + token; }

 private:
  TlsStackOptions options_;
  std::unique_ptr<ScaledClock> sim_clock_;
  TestCa ca_{"rollrig test CA"};
  std::string dir_;
  std::unique_ptr<host::RigdApp> app_;
  absl::Status started_;
};

}  // namespace rollrig::testing
