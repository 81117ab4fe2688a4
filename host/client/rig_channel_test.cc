// The client's channel against small gRPC servers: TLS with a lab CA made by
// packaging/tls/rollrig-pki, plaintext, and nothing at all; the metadata every call
// carries, and the errors that say which of address, certificate or token is wrong.
#include "host/client/rig_channel.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "host/client/connection_diagnosis.h"
#include "rig/base/user_identity.h"
#include "rollrig/v1/rig_service.grpc.pb.h"

namespace rollrig::client {
namespace {

using ::testing::HasSubstr;

constexpr char kGoodToken[] = "good-token";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// GetStatus only: answers when the token is right, and keeps the metadata it saw.
class FakeRig final : public rollrig::v1::RigService::Service {
 public:
  grpc::Status GetStatus(grpc::ServerContext* ctx, const rollrig::v1::GetStatusRequest*,
                         rollrig::v1::RigStatus*) override {
    std::lock_guard<std::mutex> lock(mu_);
    const auto& md = ctx->client_metadata();
    auto user = md.find(kUserMetadataKey);
    auto auth = md.find(kAuthorizationKey);
    user_ = user == md.end() ? "" : std::string(user->second.data(), user->second.size());
    auth_ = auth == md.end() ? "" : std::string(auth->second.data(), auth->second.size());
    if (auth_ != std::string("Bearer ") + kGoodToken) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "no valid token");
    }
    return grpc::Status::OK;
  }
  std::string user() {
    std::lock_guard<std::mutex> lock(mu_);
    return user_;
  }
  std::string auth() {
    std::lock_guard<std::mutex> lock(mu_);
    return auth_;
  }

 private:
  std::mutex mu_;
  std::string user_, auth_;
};

class RigChannelTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char dir[] = "/tmp/rollrig-pki-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    pki_ = dir;
    const std::string script = std::string(ROLLRIG_SOURCE_DIR) + "/packaging/tls/rollrig-pki";
    const std::string other = pki_ + "/other";
    for (const std::string& cmd :
         {script + " ca " + pki_, script + " server " + pki_ + " localhost 127.0.0.1",
          script + " ca " + other}) {
      ASSERT_EQ(std::system((cmd + " >/dev/null").c_str()), 0) << cmd;
    }
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(pki_); }

  // Starts a server, TLS or plaintext, on a free loopback port.
  std::string Serve(bool tls) {
    std::shared_ptr<grpc::ServerCredentials> creds = grpc::InsecureServerCredentials();
    if (tls) {
      grpc::SslServerCredentialsOptions ssl;
      ssl.pem_key_cert_pairs.push_back(
          {ReadAll(pki_ + "/localhost.key"), ReadAll(pki_ + "/localhost.crt")});
      creds = grpc::SslServerCredentials(ssl);
    }
    int port = 0;
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", creds, &port);
    builder.RegisterService(&rig_);
    server_ = builder.BuildAndStart();
    EXPECT_GT(port, 0);
    return "localhost:" + std::to_string(port);
  }

  ClientSettings Settings(const std::string& addr, const std::string& ca_file,
                          const std::string& token) {
    ClientSettings s;
    s.addr = addr;
    s.addr_from = "--addr";
    if (!ca_file.empty()) {
      s.ca_file = ca_file;
      s.ca_pem = ReadAll(ca_file);
      s.ca_from = "--tls-ca";
    }
    s.token = token;
    s.token_from = token.empty() ? "" : "--token-file rig.token";
    return s;
  }

  static grpc::Status Call(const ClientSettings& s) {
    auto stub = rollrig::v1::RigService::NewStub(MakeRigChannel(s));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    rollrig::v1::RigStatus status;
    return stub->GetStatus(&ctx, {}, &status);
  }

  // A call that must fail, and why it failed.
  static Failure FailedCall(const ClientSettings& s) {
    grpc::Status status = Call(s);
    EXPECT_FALSE(status.ok());
    return DescribeCallFailure(status, s);
  }

  void TearDown() override {
    if (server_) server_->Shutdown(std::chrono::system_clock::now());
  }

  static inline std::string pki_;
  FakeRig rig_;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(RigChannelTest, TlsWithTheLabCaCarriesTheTokenAndTheUser) {
  const std::string addr = Serve(/*tls=*/true);
  grpc::Status s = Call(Settings(addr, pki_ + "/ca.crt", kGoodToken));
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(rig_.auth(), std::string("Bearer ") + kGoodToken);
  EXPECT_EQ(rig_.user(), UserAtHost());
}

TEST_F(RigChannelTest, PlaintextCarriesTheUserAndTheTokenToo) {
  const std::string addr = Serve(/*tls=*/false);
  EXPECT_TRUE(Call(Settings(addr, "", kGoodToken)).ok());
  EXPECT_EQ(rig_.user(), UserAtHost());
  EXPECT_EQ(rig_.auth(), std::string("Bearer ") + kGoodToken);
}

TEST_F(RigChannelTest, ABadOrMissingTokenNamesWhereItCameFrom) {
  const std::string addr = Serve(/*tls=*/true);
  ClientSettings bad = Settings(addr, pki_ + "/ca.crt", "wrong");
  Failure f = FailedCall(bad);
  EXPECT_EQ(f.kind, FailureKind::kUnauthenticated);
  EXPECT_THAT(f.message, HasSubstr("refused the token from --token-file rig.token"));
  ClientSettings none = Settings(addr, pki_ + "/ca.crt", "");
  f = FailedCall(none);
  EXPECT_EQ(f.kind, FailureKind::kUnauthenticated);
  EXPECT_THAT(f.message, HasSubstr("wants a token"));
  EXPECT_THAT(f.message, HasSubstr("--token-file"));
}

TEST_F(RigChannelTest, AnotherCaIsACertificateError) {
  const std::string addr = Serve(/*tls=*/true);
  ClientSettings s = Settings(addr, pki_ + "/other/ca.crt", kGoodToken);
  Failure f = FailedCall(s);
  EXPECT_EQ(f.kind, FailureKind::kUnreachable);
  EXPECT_THAT(f.message, HasSubstr("TLS handshake"));
  EXPECT_THAT(f.message, HasSubstr("certificate"));
  EXPECT_THAT(f.message, HasSubstr("other/ca.crt (--tls-ca)"));
}

TEST_F(RigChannelTest, PlaintextToATlsPortSaysItWantsTls) {
  const std::string addr = Serve(/*tls=*/true);
  ClientSettings s = Settings(addr, "", kGoodToken);
  Failure f = FailedCall(s);
  EXPECT_EQ(f.kind, FailureKind::kUnreachable);
  EXPECT_THAT(f.message, HasSubstr("wants TLS"));
  EXPECT_THAT(f.message, HasSubstr("--tls-ca"));
}

TEST_F(RigChannelTest, TlsToAPlaintextPortSaysItSpeaksPlaintext) {
  const std::string addr = Serve(/*tls=*/false);
  ClientSettings s = Settings(addr, pki_ + "/ca.crt", kGoodToken);
  Failure f = FailedCall(s);
  EXPECT_EQ(f.kind, FailureKind::kUnreachable);
  EXPECT_THAT(f.message, HasSubstr("speaks plaintext, not TLS"));
}

TEST_F(RigChannelTest, NothingListeningIsAnAddressError) {
  const std::string addr = Serve(/*tls=*/false);
  server_->Shutdown(std::chrono::system_clock::now());
  server_->Wait();
  server_.reset();
  EXPECT_EQ(ProbePort(addr, 2), PortAnswer::kNothing);
  ClientSettings s = Settings(addr, "", "");
  EXPECT_THAT(DescribeConnectFailure(s), HasSubstr("cannot reach rigd at " + addr));
  EXPECT_THAT(DescribeConnectFailure(s), HasSubstr("nothing accepts connections"));
}

TEST_F(RigChannelTest, TheProbeTellsPlaintextFromTls) {
  const std::string plain = Serve(/*tls=*/false);
  EXPECT_EQ(ProbePort(plain, 5), PortAnswer::kPlaintextGrpc);
  server_->Shutdown(std::chrono::system_clock::now());
  EXPECT_EQ(ProbePort(Serve(/*tls=*/true), 5), PortAnswer::kNotPlaintext);
}

}  // namespace
}  // namespace rollrig::client
