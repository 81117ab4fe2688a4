// rigd over TLS with credentials, end to end on loopback with certificates the test makes:
// every RPC x {no credential, bad token, observer, operator, admin} gets the expected
// status; plaintext and clients trusting another CA cannot connect; client certificates
// are identified by their subject, or refused when another CA signed them; the e-stop
// records the authenticated identity; a reload revokes open streams and a bad reload
// keeps the table in force; an open stream ends when its token expires.
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "host/rigd/rigd_app.h"
#include "rig/base/sha256.h"
#include "rollrig/v1/rig_service.grpc.pb.h"
#include "tests/rig_stack.h"
#include "tests/test_pki.h"
#include "tests/tls_stack.h"

namespace rollrig {
namespace {

using ::testing::HasSubstr;
using Stub = rollrig::v1::RigService::Stub;
namespace v1 = rollrig::v1;

using testing::kAdminToken;
using testing::kExpiringToken;
using testing::kObserverToken;
using testing::kOperatorToken;
using testing::StackCredentials;
using testing::WriteFile;

int64_t UnixNanosAt(absl::CivilSecond when) {
  return absl::ToUnixNanos(absl::FromCivil(when, absl::UTCTimeZone()));
}

class AccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::TlsStackOptions options;
    options.wall_clock = &wall_clock_;
    stack_ = std::make_unique<testing::TlsStack>(options);
    ASSERT_TRUE(stack_->started().ok()) << stack_->started();
  }

  host::RigdApp* app() { return &stack_->app(); }
  const testing::TestCa& ca() const { return stack_->ca(); }
  std::string credentials_file() const { return stack_->credentials_file(); }
  std::unique_ptr<Stub> TlsStub(const std::string& trusted_ca, const testing::Issued& client = {}) {
    return stack_->NewStub(trusted_ca, client);
  }
  std::unique_ptr<Stub> TlsStub() { return stack_->NewStub(); }
  static std::unique_ptr<grpc::ClientContext> Context(const std::string& authorization,
                                                      int deadline_s = 10) {
    return testing::TlsStack::Context(authorization, deadline_s);
  }
  static std::string Bearer(const std::string& token) { return testing::TlsStack::Bearer(token); }

  // Every event rigd kept, read as `token`'s holder.
  std::vector<v1::RigEvent> Events(const std::string& token = kAdminToken) {
    std::unique_ptr<Stub> stub = TlsStub();
    auto ctx = Context(Bearer(token), 2);
    v1::StreamEventsRequest req;
    req.set_recent(1000);
    auto reader = stub->StreamEvents(ctx.get(), req);
    std::vector<v1::RigEvent> all;
    v1::RigEvent e;
    while (reader->Read(&e)) all.push_back(e);
    return all;
  }

  ManualClock wall_clock_{UnixNanosAt(absl::CivilSecond(2026, 3, 1, 12, 0, 0))};
  std::unique_ptr<testing::TlsStack> stack_;
};

// The first message of a server stream decides: one arrives -> OK; none -> the status.
template <typename Reader, typename Message>
grpc::Status FirstOfStream(grpc::ClientContext* ctx, Reader reader, Message* message) {
  if (reader->Read(message)) {
    ctx->TryCancel();
    return grpc::Status::OK;
  }
  return reader->Finish();
}

using Call = std::function<grpc::Status(Stub*, grpc::ClientContext*)>;

template <typename Request, typename Response>
Call Unary(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
           Request request = {}) {
  return [method, request](Stub* stub, grpc::ClientContext* ctx) {
    Response response;
    return (stub->*method)(ctx, request, &response);
  };
}

template <typename Request, typename Message>
Call Streaming(std::unique_ptr<grpc::ClientReader<Message>> (Stub::*method)(grpc::ClientContext*,
                                                                            const Request&),
               Request request = {}) {
  return [method, request](Stub* stub, grpc::ClientContext* ctx) {
    Message message;
    return FirstOfStream(ctx, (stub->*method)(ctx, request), &message);
  };
}

struct Row {
  std::string method;
  host::Role needed;
  grpc::StatusCode past_gate;  // with a role that suffices: what the call itself gives
  Call call;
};

// One valid-enough request per RPC; with no run and no lease held, each outcome past the
// gate is deterministic. The run and lease handlers (StartRun .. ReleaseLease) call Admit
// themselves, as they also decide who owns a run and who may take over by force.
std::vector<Row> EveryRpc(host::LeaseManager* lease) {
  using host::Role;
  using C = grpc::StatusCode;
  v1::StreamTelemetryRequest telemetry;
  telemetry.set_rate_hz(50);
  v1::StreamEventsRequest events;
  events.set_recent(100);
  v1::ValidateProfileRequest validate;
  validate.mutable_source()->set_preset("no-such-preset");
  v1::RunRequest no_run;
  no_run.set_id("no-such-run");
  v1::GetCyclesRequest cycles;
  cycles.set_id("no-such-run");
  v1::DownloadRecordingRequest download;
  download.set_run_id("no-such-run");
  v1::GetRunHistoryRequest history;
  history.set_run_id("no-such-run");
  v1::GetRunReportRequest report;
  report.set_run_id("no-such-run");
  v1::JogRequest jog;
  jog.set_roller_rpm(10);
  v1::InjectFaultRequest inject;
  inject.set_clear_all(true);
  v1::AcquireLeaseRequest acquire;
  acquire.set_holder("table@test");
  acquire.set_client("access_test");
  v1::LeaseRequest no_lease;
  no_lease.set_token("not-a-lease");
  return {
      {"GetDeviceInfo", Role::kObserver, C::OK, Unary(&Stub::GetDeviceInfo)},
      {"GetStatus", Role::kObserver, C::OK, Unary(&Stub::GetStatus)},
      {"StreamTelemetry", Role::kObserver, C::OK, Streaming(&Stub::StreamTelemetry, telemetry)},
      {"StreamEvents", Role::kObserver, C::OK, Streaming(&Stub::StreamEvents, events)},
      {"ListPresets", Role::kObserver, C::OK, Unary(&Stub::ListPresets)},
      {"ValidateProfile", Role::kObserver, C::NOT_FOUND, Unary(&Stub::ValidateProfile, validate)},
      {"GetRun", Role::kObserver, C::NOT_FOUND, Unary(&Stub::GetRun, no_run)},
      {"ListRuns", Role::kObserver, C::OK, Unary(&Stub::ListRuns)},
      {"WatchRun", Role::kObserver, C::NOT_FOUND, Streaming(&Stub::WatchRun, no_run)},
      {"GetCycles", Role::kObserver, C::NOT_FOUND, Unary(&Stub::GetCycles, cycles)},
      {"DownloadRecording", Role::kObserver, C::NOT_FOUND,
       Streaming(&Stub::DownloadRecording, download)},
      {"GetRunHistory", Role::kObserver, C::NOT_FOUND, Unary(&Stub::GetRunHistory, history)},
      {"GetRunReport", Role::kObserver, C::NOT_FOUND, Streaming(&Stub::GetRunReport, report)},
      {"GetLease", Role::kObserver, C::OK, Unary(&Stub::GetLease)},
      {"GetUploads", Role::kObserver, C::OK, Unary(&Stub::GetUploads)},
      {"EStop", Role::kObserver, C::OK, Unary(&Stub::EStop)},
      // Motion needs the lease, which nobody holds here.
      {"Jog", Role::kOperator, C::FAILED_PRECONDITION, Unary(&Stub::Jog, jog)},
      {"Stop", Role::kOperator, C::FAILED_PRECONDITION, Unary(&Stub::Stop)},
      {"ClearFault", Role::kOperator, C::FAILED_PRECONDITION, Unary(&Stub::ClearFault)},
      {"StartRun", Role::kOperator, C::FAILED_PRECONDITION, Unary(&Stub::StartRun)},
      {"PauseRun", Role::kOperator, C::FAILED_PRECONDITION, Unary(&Stub::PauseRun, no_run)},
      {"ResumeRun", Role::kOperator, C::FAILED_PRECONDITION, Unary(&Stub::ResumeRun, no_run)},
      {"StopRun", Role::kOperator, C::FAILED_PRECONDITION, Unary(&Stub::StopRun, no_run)},
      // Taken, then given back at once (below), so the rows after it find no lease.
      {"AcquireLease", Role::kOperator, C::OK,
       [acquire, lease](Stub* stub, grpc::ClientContext* ctx) {
         v1::LeaseInfo info;
         const grpc::Status s = stub->AcquireLease(ctx, acquire, &info);
         if (s.ok()) {
           EXPECT_TRUE(lease->Release(info.token()).ok());
         }
         return s;
       }},
      {"RenewLease", Role::kOperator, C::FAILED_PRECONDITION, Unary(&Stub::RenewLease, no_lease)},
      {"ReleaseLease", Role::kOperator, C::FAILED_PRECONDITION,
       Unary(&Stub::ReleaseLease, no_lease)},
      {"InjectFault", Role::kOperator, C::OK, Unary(&Stub::InjectFault, inject)},
  };
}

TEST_F(AccessTest, EveryRpcByCredentialGetsTheExpectedStatus) {
  struct Column {
    std::string name;
    std::string authorization;
    std::optional<host::Role> role;  // nullopt: not authenticated
  };
  const std::vector<Column> columns = {
      {"no credential", "", std::nullopt},
      {"bad token", Bearer("not-a-token"), std::nullopt},
      {"observer", Bearer(kObserverToken), host::Role::kObserver},
      {"operator", Bearer(kOperatorToken), host::Role::kOperator},
      {"admin", Bearer(kAdminToken), host::Role::kAdmin},
  };
  std::unique_ptr<Stub> stub = TlsStub();
  const std::vector<Row> rows = EveryRpc(&app()->lease());
  const google::protobuf::ServiceDescriptor* service =
      v1::RigEvent::descriptor()->file()->FindServiceByName("RigService");
  ASSERT_EQ(rows.size(), static_cast<size_t>(service->method_count())) << "a row per RPC";
  for (const Row& row : rows) {
    ASSERT_NE(service->FindMethodByName(row.method), nullptr) << row.method;
    for (const Column& column : columns) {
      const grpc::StatusCode want = !column.role ? grpc::StatusCode::UNAUTHENTICATED
                                    : *column.role < row.needed
                                        ? grpc::StatusCode::PERMISSION_DENIED
                                        : row.past_gate;
      auto ctx = Context(column.authorization);
      const grpc::Status got = row.call(stub.get(), ctx.get());
      EXPECT_EQ(got.error_code(), want)
          << row.method << " as " << column.name << ": " << got.error_message();
      if (want == grpc::StatusCode::PERMISSION_DENIED) {
        EXPECT_THAT(got.error_message(),
                    HasSubstr(absl::StrCat(row.method, " needs the operator role")));
      }
    }
  }
}

TEST_F(AccessTest, PlaintextToTheTlsPortCannotConnect) {
  auto stub = v1::RigService::NewStub(
      grpc::CreateChannel(stack_->target(), grpc::InsecureChannelCredentials()));
  v1::RigStatus status;
  const grpc::Status s = stub->GetStatus(Context(Bearer(kAdminToken), 5).get(), {}, &status);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
}

TEST_F(AccessTest, AClientTrustingAnotherCaCannotConnect) {
  const testing::TestCa other("another CA");
  v1::RigStatus status;
  const grpc::Status s =
      TlsStub(other.cert_pem())->GetStatus(Context(Bearer(kAdminToken), 5).get(), {}, &status);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
}

TEST_F(AccessTest, AClientCertificateIsIdentifiedByItsRfc2253Subject) {
  const testing::Issued carol =
      ca().IssueClient({{"C", "DE"}, {"O", "Test Lab, Inc."}, {"CN", "carol at desk"}});
  std::unique_ptr<Stub> stub = TlsStub(ca().cert_pem(), carol);
  v1::RigStatus status;
  const grpc::Status got = stub->GetStatus(Context("").get(), {}, &status);
  ASSERT_TRUE(got.ok()) << got.error_message();
  // An operator past the gate: refused only for want of the lease.
  v1::JogRequest jog;
  jog.set_roller_rpm(10);
  v1::JogResponse jogged;
  EXPECT_EQ(stub->Jog(Context("").get(), jog, &jogged).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  v1::EStopResponse stopped;
  ASSERT_TRUE(stub->EStop(Context("").get(), {}, &stopped).ok());
  bool named = false;
  for (const v1::RigEvent& e : Events()) {
    named |= e.kind() == v1::RIG_EVENT_ESTOP_REQUESTED && e.who() == "carol@desk";
  }
  EXPECT_TRUE(named);
}

TEST_F(AccessTest, AClientCertificateNotInTheCredentialsIsUnauthenticated) {
  const testing::Issued dave = ca().IssueClient({{"CN", "dave"}});
  v1::RigStatus status;
  const grpc::Status s = TlsStub(ca().cert_pem(), dave)->GetStatus(Context("").get(), {}, &status);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(s.error_message(), HasSubstr("'CN=dave' is not in this rig's credentials"));
}

TEST_F(AccessTest, AClientCertificateFromAnotherCaIsRefused) {
  const testing::TestCa other("another CA");
  const testing::Issued mallory =
      other.IssueClient({{"C", "DE"}, {"O", "Test Lab, Inc."}, {"CN", "carol at desk"}});
  v1::RigStatus status;
  const grpc::Status s =
      TlsStub(ca().cert_pem(), mallory)->GetStatus(Context("", 5).get(), {}, &status);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
}

TEST_F(AccessTest, BadTokensAreUnauthenticatedSayingWhichWithoutEchoingThem) {
  std::unique_ptr<Stub> stub = TlsStub();
  const std::map<std::string, std::string> cases = {
      {Bearer("secret-guess"), "unknown token"},
      {"secret-guess", "malformed token"},
      {Bearer(std::string(5000, 's')), "oversized token"},
      {Bearer(kExpiringToken), ""},  // valid on 1 March (the clock's date)
  };
  for (const auto& [authorization, why] : cases) {
    v1::RigStatus status;
    const grpc::Status s = stub->GetStatus(Context(authorization).get(), {}, &status);
    if (why.empty()) {
      EXPECT_TRUE(s.ok()) << s.error_message();
      continue;
    }
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << why;
    EXPECT_THAT(s.error_message(), HasSubstr(why));
    EXPECT_THAT(s.error_message(), ::testing::Not(HasSubstr("secret")));
    EXPECT_THAT(s.error_message(), ::testing::Not(HasSubstr("sss")));
  }
  wall_clock_.Set(UnixNanosAt(absl::CivilSecond(2026, 3, 2, 0, 0, 0)));
  v1::RigStatus status;
  const grpc::Status expired = stub->GetStatus(Context(Bearer(kExpiringToken)).get(), {}, &status);
  EXPECT_EQ(expired.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(expired.error_message(), HasSubstr("expired at the end of 2026-03-01"));
}

TEST_F(AccessTest, TheEStopRecordsTheAuthenticatedIdentityNotTheStatedOne) {
  std::unique_ptr<Stub> stub = TlsStub();
  v1::EStopRequest plain;
  plain.set_reason("seen from the desk");
  v1::EStopRequest claiming;
  claiming.set_who("somebody else");
  v1::EStopResponse resp;
  ASSERT_TRUE(stub->EStop(Context(Bearer(kObserverToken)).get(), plain, &resp).ok());
  ASSERT_TRUE(stub->EStop(Context(Bearer(kObserverToken)).get(), claiming, &resp).ok());
  // The authenticated identity comes first; what the client states follows it in
  // parentheses, never in its place.
  std::vector<std::string> who;
  for (const v1::RigEvent& e : Events()) {
    if (e.kind() == v1::RIG_EVENT_ESTOP_REQUESTED) who.push_back(e.who());
  }
  EXPECT_THAT(who, ::testing::ElementsAre("alice@desk", "alice@desk (somebody else)"));
  // Without a credential the e-stop is refused: it reaches no device.
  EXPECT_EQ(stub->EStop(Context("").get(), plain, &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

// Reads `reader` until it ends; returns its status, or nullopt if it still runs at
// `deadline`.
template <typename Reader, typename Message>
std::optional<grpc::Status> ReadUntilEnd(Reader* reader, Message* message, absl::Time deadline) {
  while (absl::Now() < deadline) {
    if (!reader->Read(message)) return reader->Finish();
  }
  return std::nullopt;
}

TEST_F(AccessTest, AReloadRevokesOpenStreamsOfARemovedTokenOnly) {
  std::unique_ptr<Stub> stub = TlsStub();
  v1::StreamTelemetryRequest req;
  req.set_rate_hz(50);
  auto bob_ctx = Context(Bearer(kOperatorToken), 60);
  auto bob = stub->StreamTelemetry(bob_ctx.get(), req);
  auto alice_ctx = Context(Bearer(kObserverToken), 60);
  auto alice = stub->StreamTelemetry(alice_ctx.get(), req);
  v1::TelemetryChunk chunk;
  ASSERT_TRUE(bob->Read(&chunk));
  ASSERT_TRUE(alice->Read(&chunk));

  WriteFile(credentials_file(), StackCredentials(false));
  ASSERT_TRUE(app()->ReloadCredentials().ok());
  const std::optional<grpc::Status> ended =
      ReadUntilEnd(bob.get(), &chunk, absl::Now() + absl::Seconds(20));
  ASSERT_TRUE(ended.has_value()) << "the revoked stream still runs";
  EXPECT_EQ(ended->error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(ended->error_message(), HasSubstr("no longer admits"));
  // Alice's stream goes on, and new calls with bob's token are refused.
  ASSERT_TRUE(alice->Read(&chunk));
  alice_ctx->TryCancel();
  v1::RigStatus status;
  EXPECT_EQ(stub->GetStatus(Context(Bearer(kOperatorToken)).get(), {}, &status).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  bool event = false;
  for (const v1::RigEvent& e : Events()) {
    event |= e.kind() == v1::RIG_EVENT_CREDENTIALS &&
             e.message().find("credentials reloaded") != std::string::npos;
  }
  EXPECT_TRUE(event);
}

TEST_F(AccessTest, AReloadWithAnErrorKeepsTheTableAndSaysWhichLine) {
  WriteFile(credentials_file(),
            StackCredentials(false) + "superuser eve sha256:" + Sha256Hex("eve") + "\n");
  const absl::Status reload = app()->ReloadCredentials();
  EXPECT_TRUE(absl::IsInvalidArgument(reload));
  EXPECT_THAT(reload.message(), HasSubstr("line 6: unknown role 'superuser'"));
  std::unique_ptr<Stub> stub = TlsStub();
  v1::RigStatus status;
  EXPECT_TRUE(stub->GetStatus(Context(Bearer(kOperatorToken)).get(), {}, &status).ok());
  bool event = false;
  for (const v1::RigEvent& e : Events()) {
    event |= e.kind() == v1::RIG_EVENT_CREDENTIALS &&
             e.message().find("not reloaded") != std::string::npos &&
             e.message().find("line 6") != std::string::npos;
  }
  EXPECT_TRUE(event);
}

TEST_F(AccessTest, AnOpenStreamEndsWhenItsTokenExpires) {
  std::unique_ptr<Stub> stub = TlsStub();
  v1::StreamEventsRequest req;
  auto ctx = Context(Bearer(kExpiringToken), 60);
  auto stream = stub->StreamEvents(ctx.get(), req);
  v1::RigEvent event;
  v1::RigStatus status;
  ASSERT_TRUE(stub->GetStatus(Context(Bearer(kExpiringToken)).get(), {}, &status).ok());
  wall_clock_.Set(UnixNanosAt(absl::CivilSecond(2026, 3, 2, 0, 0, 0)));
  const std::optional<grpc::Status> ended =
      ReadUntilEnd(stream.get(), &event, absl::Now() + absl::Seconds(20));
  ASSERT_TRUE(ended.has_value()) << "the expired stream still runs";
  EXPECT_EQ(ended->error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(ended->error_message(), HasSubstr("expired"));
}

// rigd refuses to start, naming the problem, on a bad configuration.
class AccessStartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir();
    const testing::TestCa ca("start CA");
    const testing::Issued server = ca.IssueServer();
    const testing::Issued other = ca.IssueServer();
    WriteFile(dir_ + "/server.crt", server.cert_pem);
    WriteFile(dir_ + "/server.key", server.key_pem);
    WriteFile(dir_ + "/other.key", other.key_pem);
    WriteFile(dir_ + "/credentials", "observer a sha256:" + Sha256Hex("a") + "\n");
  }
  void TearDown() override { testing::RemoveTree(dir_); }

  absl::Status Start(const std::string& listen, bool tls, bool credentials,
                     const std::string& key = "server.key") {
    host::RigdConfig config;
    config.listen = listen;
    config.runs_dir = dir_ + "/runs";
    if (tls) config.tls = host::TlsServerFiles{dir_ + "/server.crt", dir_ + "/" + key, ""};
    if (credentials) config.credentials_file = dir_ + "/credentials";
    host::RigdApp app(config);
    absl::Status s = app.Start();
    app.Shutdown("test over");
    return s;
  }

  std::string dir_;
};

TEST_F(AccessStartTest, AnOpenAddressNeedsTlsAndCredentialsAndSaysHowToSetThemUp) {
  for (const auto& [tls, credentials] : {std::pair{false, false}, {true, false}, {false, true}}) {
    const absl::Status s = Start("0.0.0.0:0", tls, credentials);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
    const std::string message(s.message());
    EXPECT_THAT(message, HasSubstr("TLS"));
    EXPECT_THAT(message, HasSubstr("--tls-cert FILE --tls-key FILE"));
    EXPECT_THAT(message, HasSubstr("--credentials FILE"));
    EXPECT_THAT(message, HasSubstr("\"Remote use\""));
  }
  EXPECT_TRUE(Start("0.0.0.0:0", true, true).ok());
  EXPECT_TRUE(Start("127.0.0.1:0", false, false).ok());
  EXPECT_TRUE(Start("127.0.0.1:0", false, true).ok());
}

TEST_F(AccessStartTest, BadTlsFilesAreNamed) {
  absl::Status s = Start("127.0.0.1:0", true, false, "missing.key");
  EXPECT_TRUE(absl::IsNotFound(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("cannot read the TLS key " + dir_ + "/missing.key"));
  s = Start("127.0.0.1:0", true, false, "other.key");
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr(dir_ + "/other.key does not belong to the certificate"));
  WriteFile(dir_ + "/garbage.key", "not a key");
  s = Start("127.0.0.1:0", true, false, "garbage.key");
  EXPECT_THAT(s.message(), HasSubstr(dir_ + "/garbage.key holds no PEM private key"));
}

TEST_F(AccessStartTest, ABadCredentialsFileNamesTheLine) {
  WriteFile(dir_ + "/credentials", "# ok\nobserver a sha256:" + Sha256Hex("a") +
                                       "\noperator b sha256:" + Sha256Hex("b") +
                                       " expires=2026-02-30\n");
  const absl::Status s = Start("127.0.0.1:0", false, true);
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("line 3: bad date '2026-02-30'"));
}

// Eight remote-style subscribers, over TLS and each with its token, take every sample of
// the simulator at 10 kHz for 5 s, and none loses one. The margin: each subscription
// buffers 2 s of samples, so only a stall of that length could lose any; the rows
// received need only show the streams ran (a loaded machine may slow them).
TEST(TlsStreamsTest, EightSubscribersTakeEverySampleAt10kHzWithoutLoss) {
  testing::TlsStackOptions options;
  options.tick_hz = 10000;
  testing::TlsStack stack(options);
  ASSERT_TRUE(stack.started().ok()) << stack.started();
  struct Received {
    uint64_t rows = 0;
    uint64_t missing = 0;  // gaps in the sample counter
    uint64_t dropped = 0;  // as rigd reports for the subscription
    grpc::Status end;
  };
  const std::string tokens[] = {kObserverToken, kOperatorToken, kAdminToken};
  std::vector<Received> received(8);
  std::vector<std::thread> subscribers;
  const absl::Time until = absl::Now() + absl::Seconds(5);
  for (size_t i = 0; i < received.size(); ++i) {
    subscribers.emplace_back([&, i] {
      std::unique_ptr<Stub> stub = stack.NewStub();
      auto ctx = testing::TlsStack::Context(testing::TlsStack::Bearer(tokens[i % 3]), 60);
      v1::StreamTelemetryRequest req;
      req.set_rate_hz(0);  // every sample
      auto reader = stub->StreamTelemetry(ctx.get(), req);
      v1::TelemetryChunk chunk;
      uint64_t last = 0;
      Received& r = received[i];
      while (absl::Now() < until && reader->Read(&chunk)) {
        for (const v1::TelemetryRow& row : chunk.rows()) {
          if (last != 0 && row.seq() > last + 1) r.missing += row.seq() - last - 1;
          last = row.seq();
          ++r.rows;
        }
        r.dropped = chunk.dropped_total();
      }
      ctx->TryCancel();
      while (reader->Read(&chunk)) {
      }
      r.end = reader->Finish();
    });
  }
  for (std::thread& t : subscribers) t.join();
  for (size_t i = 0; i < received.size(); ++i) {
    EXPECT_EQ(received[i].missing, 0u) << "subscriber " << i;
    EXPECT_EQ(received[i].dropped, 0u) << "subscriber " << i;
    EXPECT_GT(received[i].rows, 10000u)
        << "subscriber " << i << ": " << received[i].end.error_message();
    EXPECT_EQ(received[i].end.error_code(), grpc::StatusCode::CANCELLED)
        << "subscriber " << i << ": " << received[i].end.error_message();
  }
}

}  // namespace
}  // namespace rollrig
