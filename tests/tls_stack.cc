#include "tests/tls_stack.h"

#include <chrono>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "rig/base/sha256.h"
#include "tests/rig_stack.h"

namespace rollrig::testing {

std::string StackCredentials(bool with_operator) {
  return absl::StrCat(
      "# role identity credential\n",                                  //
      "observer alice@desk sha256:", Sha256Hex(kObserverToken), "\n",  //
      with_operator ? absl::StrCat("operator bob@bench sha256:", Sha256Hex(kOperatorToken), "\n")
                    : "",
      "admin root@lab sha256:", Sha256Hex(kAdminToken), "\n",  //
      "observer temp@desk sha256:", Sha256Hex(kExpiringToken), " expires=2026-03-01\n",
      "operator carol@desk cert:", kCarolSubject, "\n");
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc | std::ios::binary) << text;
}

TlsStack::TlsStack(TlsStackOptions options) : options_(options), dir_(MakeTempDir()) {
  const Issued server = ca_.IssueServer();
  WriteFile(dir_ + "/server.crt", server.cert_pem);
  WriteFile(dir_ + "/server.key", server.key_pem);
  WriteFile(dir_ + "/ca.crt", ca_.cert_pem());
  WriteFile(credentials_file(), StackCredentials());
  host::RigdConfig config;
  config.device = "sim";
  config.sim.firmware.tick_hz = options_.tick_hz;
  if (options_.speedup != 1.0) {
    // Heartbeats come in real time; on a sped-up device they would look late.
    sim_clock_ = std::make_unique<ScaledClock>(options_.speedup);
    config.sim_clock = sim_clock_.get();
    config.sim.firmware.watchdog_ms = 0;
    config.client.watchdog_ms = 0;
  }
  config.listen = "127.0.0.1:0";
  config.runs_dir = dir_ + "/runs";
  if (options_.tls) {
    config.tls = host::TlsServerFiles{dir_ + "/server.crt", dir_ + "/server.key", dir_ + "/ca.crt"};
  }
  config.credentials_file = credentials_file();
  config.wall_clock = options_.wall_clock;
  app_ = std::make_unique<host::RigdApp>(config);
  started_ = app_->Start();
  if (started_.ok()) started_ = app_->device().WaitConnected(absl::Seconds(10));
}

TlsStack::~TlsStack() {
  app_->Shutdown("test over");
  app_.reset();
  RemoveTree(dir_);
}

std::string TlsStack::target() const {
  return "127.0.0.1:" + app_->address().substr(app_->address().rfind(':') + 1);
}

std::unique_ptr<rollrig::v1::RigService::Stub> TlsStack::NewStub(const std::string& trusted_ca,
                                                                 const Issued& client) const {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = trusted_ca;
  ssl.pem_private_key = client.key_pem;
  ssl.pem_cert_chain = client.cert_pem;
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  return rollrig::v1::RigService::NewStub(
      grpc::CreateCustomChannel(target(), grpc::SslCredentials(ssl), args));
}

std::unique_ptr<rollrig::v1::RigService::Stub> TlsStack::NewStub() const {
  if (options_.tls) return NewStub(ca_.cert_pem());
  return rollrig::v1::RigService::NewStub(
      grpc::CreateChannel(target(), grpc::InsecureChannelCredentials()));
}

std::unique_ptr<grpc::ClientContext> TlsStack::Context(const std::string& authorization,
                                                       int deadline_s) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!authorization.empty()) ctx->AddMetadata("authorization", authorization);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(deadline_s));
  return ctx;
}

}  // namespace rollrig::testing
