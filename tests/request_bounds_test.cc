// Every RPC of rollrig.v1.RigService against oversized input: the e-stop is accepted
// whatever it carries (and brakes, latches, keeps the device link); every other request
// with a field over its bound is refused with INVALID_ARGUMENT naming the field and the
// bound, before anything reaches the device; ids and names that are not found are quoted
// back cut to a few hundred bytes, so the client gets the real error, never
// RESOURCE_EXHAUSTED for an oversized status message.
#include <chrono>
#include <cmath>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/rig_stack.h"

namespace rollrig {
namespace {

using ::testing::HasSubstr;

const std::string& Megabyte() {
  static const std::string text(1 << 20, 'i');
  return text;
}

// The status has `code`, says `what`, and quotes no more than a bounded piece of input.
void ExpectBounded(const grpc::Status& s, grpc::StatusCode code, const std::string& what) {
  EXPECT_EQ(s.error_code(), code) << s.error_message().substr(0, 300);
  EXPECT_THAT(s.error_message(), HasSubstr(what));
  EXPECT_LE(s.error_message().size(), 600u) << s.error_message().substr(0, 300);
}

class RequestBoundsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rig_ = std::make_unique<testing::RigStack>("sim");
    ASSERT_TRUE(rig_->connected().ok()) << rig_->connected();
  }
  rollrig::v1::RigService::Stub* stub() { return rig_->stub(); }

  // Events published from now on.
  std::vector<rollrig::v1::RigEvent> EventsSince(size_t* seen) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    rollrig::v1::StreamEventsRequest req;
    req.set_recent(1000);
    auto reader = stub()->StreamEvents(&ctx, req);
    std::vector<rollrig::v1::RigEvent> all;
    rollrig::v1::RigEvent e;
    while (reader->Read(&e)) all.push_back(e);
    std::vector<rollrig::v1::RigEvent> fresh(all.begin() + std::min(*seen, all.size()), all.end());
    *seen = all.size();
    return fresh;
  }

  std::unique_ptr<testing::RigStack> rig_;
};

TEST_F(RequestBoundsTest, EStopWithA70kBReasonWhileJoggingBrakesLatchesAndKeepsTheLink) {
  ASSERT_TRUE(rig_->Jog(60).ok());
  for (int i = 0; i < 200 && std::fabs(rig_->Status().last().roller_rpm()) < 55; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  size_t seen = 0;
  EventsSince(&seen);
  rollrig::v1::EStopRequest req;
  req.set_reason(std::string(70000, 'r'));
  req.set_who(std::string(70000, 'w'));
  rollrig::v1::EStopResponse resp;
  grpc::ClientContext ctx;
  const grpc::Status s = stub()->EStop(&ctx, req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message().substr(0, 300);

  const uint32_t estop_bit = 1u << rollrig::v1::FAULT_ESTOP_SOFTWARE;
  rollrig::v1::RigStatus st;
  for (int i = 0; i < 200; ++i) {
    st = rig_->Status();
    if ((st.faults() & estop_bit) && std::fabs(st.last().roller_rpm()) < 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(st.faults() & estop_bit);
  EXPECT_FALSE(st.faults() & (1u << rollrig::v1::FAULT_WATCHDOG));
  EXPECT_LT(std::fabs(st.last().roller_rpm()), 1.0);
  EXPECT_EQ(st.connection(), rollrig::v1::CONNECTION_STATE_CONNECTED);

  bool requested = false;
  for (const auto& e : EventsSince(&seen)) {
    EXPECT_NE(e.kind(), rollrig::v1::RIG_EVENT_DISCONNECTED) << e.message();
    EXPECT_NE(e.kind(), rollrig::v1::RIG_EVENT_DEVICE_GAP) << e.message();
    if (e.kind() != rollrig::v1::RIG_EVENT_ESTOP_REQUESTED) continue;
    requested = true;
    EXPECT_LE(e.reason().size(), 256u);
    EXPECT_THAT(e.reason(), HasSubstr("bytes]"));  // marked as cut
    EXPECT_LE(e.who().size(), 256u);
    EXPECT_LE(e.ByteSizeLong(), 1200u);
  }
  EXPECT_TRUE(requested);
}

TEST_F(RequestBoundsTest, GetRunWithAMegabyteIdIsNotFoundQuotedShort) {
  rollrig::v1::RunRequest req;
  req.set_id(Megabyte());
  rollrig::v1::RunInfo run;
  grpc::ClientContext ctx;
  ExpectBounded(stub()->GetRun(&ctx, req, &run), grpc::StatusCode::NOT_FOUND, "bytes]");
}

TEST_F(RequestBoundsTest, GetCyclesWithAMegabyteIdIsNotFoundQuotedShort) {
  rollrig::v1::GetCyclesRequest req;
  req.set_id(Megabyte());
  rollrig::v1::GetCyclesResponse resp;
  grpc::ClientContext ctx;
  ExpectBounded(stub()->GetCycles(&ctx, req, &resp), grpc::StatusCode::NOT_FOUND, "no run");
}

TEST_F(RequestBoundsTest, WatchRunWithAMegabyteIdIsNotFoundQuotedShort) {
  rollrig::v1::RunRequest req;
  req.set_id(Megabyte());
  grpc::ClientContext ctx;
  auto reader = stub()->WatchRun(&ctx, req);
  rollrig::v1::RunInfo run;
  while (reader->Read(&run)) {
  }
  ExpectBounded(reader->Finish(), grpc::StatusCode::NOT_FOUND, "no run");
}

TEST_F(RequestBoundsTest, DownloadRecordingWithAMegabyteRunIdIsNotFoundQuotedShort) {
  rollrig::v1::DownloadRecordingRequest req;
  req.set_run_id(Megabyte());
  grpc::ClientContext ctx;
  auto reader = stub()->DownloadRecording(&ctx, req);
  rollrig::v1::RecordingChunk chunk;
  while (reader->Read(&chunk)) {
  }
  ExpectBounded(reader->Finish(), grpc::StatusCode::NOT_FOUND, "no run");
}

TEST_F(RequestBoundsTest, PauseResumeAndStopRunWithAMegabyteIdAreRefusedQuotedShort) {
  rollrig::v1::RunRequest req;
  req.set_id(Megabyte());
  rollrig::v1::RunInfo run;
  ExpectBounded(stub()->PauseRun(rig_->Context().get(), req, &run),
                grpc::StatusCode::FAILED_PRECONDITION, "is not active");
  ExpectBounded(stub()->ResumeRun(rig_->Context().get(), req, &run),
                grpc::StatusCode::FAILED_PRECONDITION, "no paused or held run");
  ExpectBounded(stub()->StopRun(rig_->Context().get(), req, &run),
                grpc::StatusCode::FAILED_PRECONDITION, "is not active");
}

TEST_F(RequestBoundsTest, StartRunRefusesOversizedSpecFieldsNamingTheFieldAndItsLimit) {
  struct Case {
    std::string field;
    std::string limit;
    std::function<void(rollrig::v1::RunSpec*)> set;
  };
  const std::vector<Case> cases = {
      {"spec.operator", "256", [](auto* s) { s->set_operator_(std::string(300, 'o')); }},
      {"spec.dut_serial", "256", [](auto* s) { s->set_dut_serial(std::string(300, 'd')); }},
      {"spec.notes", "4096", [](auto* s) { s->set_notes(Megabyte()); }},
      {"spec.profile.preset", "256",
       [](auto* s) { s->mutable_profile()->set_preset(std::string(300, 'p')); }},
      {"spec.profile.file_name", "256",
       [](auto* s) { s->mutable_profile()->set_file_name(std::string(300, 'f')); }},
      {"spec.profile.text", "1048576",
       [](auto* s) { s->mutable_profile()->set_text(Megabyte() + "x"); }},
  };
  for (const Case& c : cases) {
    rollrig::v1::StartRunRequest req;
    req.mutable_spec()->mutable_profile()->set_preset("swedish");
    c.set(req.mutable_spec());
    rollrig::v1::RunInfo run;
    const grpc::Status s = stub()->StartRun(rig_->Context().get(), req, &run);
    ExpectBounded(s, grpc::StatusCode::INVALID_ARGUMENT, c.field);
    EXPECT_THAT(s.error_message(), HasSubstr("at most " + c.limit));
  }
  // An unknown resume id is quoted short.
  rollrig::v1::StartRunRequest req;
  req.set_resume_id(Megabyte());
  rollrig::v1::RunInfo run;
  const grpc::Status s = stub()->StartRun(rig_->Context().get(), req, &run);
  EXPECT_NE(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_LE(s.error_message().size(), 600u);
  EXPECT_EQ(rig_->Status().connection(), rollrig::v1::CONNECTION_STATE_CONNECTED);
}

TEST_F(RequestBoundsTest, ValidateProfileRefusesOversizedSourceFieldsAndQuotesUnknownPresets) {
  rollrig::v1::ValidateProfileRequest req;
  req.mutable_source()->set_file_name(Megabyte());
  req.mutable_source()->set_text("name: \"x\"");
  rollrig::v1::ValidateProfileResponse resp;
  {
    grpc::ClientContext ctx;
    ExpectBounded(stub()->ValidateProfile(&ctx, req, &resp), grpc::StatusCode::INVALID_ARGUMENT,
                  "source.file_name is 1048576 bytes; at most 256");
  }
  req.Clear();
  req.mutable_source()->set_preset(std::string(250, 'p'));  // within bounds, but unknown
  {
    grpc::ClientContext ctx;
    const grpc::Status s = stub()->ValidateProfile(&ctx, req, &resp);
    ExpectBounded(s, grpc::StatusCode::NOT_FOUND, "no preset named");
    EXPECT_THAT(s.error_message(), HasSubstr("bytes]"));
  }
  // A parser error about a 100 kB field name quotes a bounded piece of it.
  req.Clear();
  req.mutable_source()->set_text(std::string(100000, 'z') + ": 1");
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub()->ValidateProfile(&ctx, req, &resp).ok());
    EXPECT_FALSE(resp.ok());
    ASSERT_GT(resp.errors_size(), 0);
    for (const auto& e : resp.errors()) {
      EXPECT_LE(e.message().size(), 400u);
      EXPECT_LE(e.field().size(), 400u);
    }
  }
}

TEST_F(RequestBoundsTest, AcquireLeaseRefusesAnOversizedHolderOrClient) {
  for (const bool holder : {true, false}) {
    rollrig::v1::AcquireLeaseRequest req;
    req.set_holder(holder ? Megabyte() : "alice@bench");
    req.set_client(holder ? "rigctl" : Megabyte());
    rollrig::v1::LeaseInfo lease;
    grpc::ClientContext ctx;
    ExpectBounded(stub()->AcquireLease(&ctx, req, &lease), grpc::StatusCode::INVALID_ARGUMENT,
                  holder ? "holder is 1048576 bytes; at most 256" : "client is 1048576 bytes");
  }
}

TEST_F(RequestBoundsTest, RenewAndReleaseLeaseWithAMegabyteTokenEchoNothing) {
  rollrig::v1::LeaseRequest req;
  req.set_token(Megabyte());
  rollrig::v1::LeaseInfo lease;
  {
    grpc::ClientContext ctx;
    ExpectBounded(stub()->RenewLease(&ctx, req, &lease), grpc::StatusCode::FAILED_PRECONDITION,
                  "control is held by");
  }
  {
    grpc::ClientContext ctx;
    ExpectBounded(stub()->ReleaseLease(&ctx, req, &lease), grpc::StatusCode::FAILED_PRECONDITION,
                  "not held");
  }
}

TEST_F(RequestBoundsTest, ClearFaultRefusesAnOversizedWho) {
  rollrig::v1::ClearFaultRequest req;
  req.set_who(Megabyte());
  rollrig::v1::ClearFaultResponse resp;
  ExpectBounded(stub()->ClearFault(rig_->Context().get(), req, &resp),
                grpc::StatusCode::INVALID_ARGUMENT, "who is 1048576 bytes; at most 256");
}

TEST_F(RequestBoundsTest, InjectFaultRefusesAnOversizedWho) {
  rollrig::v1::InjectFaultRequest req;
  req.set_fault(rollrig::v1::INJECTED_FAULT_STALL);
  req.set_active(true);
  req.set_who(Megabyte());
  rollrig::v1::InjectFaultResponse resp;
  grpc::ClientContext ctx;
  ExpectBounded(stub()->InjectFault(&ctx, req, &resp), grpc::StatusCode::INVALID_ARGUMENT,
                "who is 1048576 bytes; at most 256");
  EXPECT_EQ(rig_->Status().faults(), 0u) << "nothing was injected";
}

// The RPCs without free-form fields: their largest input still gets a bounded answer.
TEST_F(RequestBoundsTest, RpcsWithoutStringFieldsAnswerNormally) {
  rollrig::v1::StreamTelemetryRequest req;
  req.set_rate_hz(-1);
  grpc::ClientContext ctx;
  auto reader = stub()->StreamTelemetry(&ctx, req);
  rollrig::v1::TelemetryChunk chunk;
  while (reader->Read(&chunk)) {
  }
  ExpectBounded(reader->Finish(), grpc::StatusCode::INVALID_ARGUMENT, "rate_hz");
  rollrig::v1::JogRequest jog;
  jog.set_roller_rpm(1e300);
  rollrig::v1::JogResponse jog_resp;
  ExpectBounded(stub()->Jog(rig_->Context().get(), jog, &jog_resp),
                grpc::StatusCode::INVALID_ARGUMENT, "roller");
}

// The run's verdict names who asked for the e-stop and why (bounded).
TEST_F(RequestBoundsTest, AnEStoppedRunsVerdictNamesTheReasonAndWhoAsked) {
  rollrig::v1::StartRunRequest start;
  start.mutable_spec()->mutable_profile()->set_preset("swedish");
  start.mutable_spec()->set_cycles(5);
  rollrig::v1::RunInfo run;
  ASSERT_TRUE(stub()->StartRun(rig_->Context(30).get(), start, &run).ok());
  for (int i = 0; i < 500 && run.state() != rollrig::v1::RUN_STATE_RUNNING; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    grpc::ClientContext ctx;
    rollrig::v1::RunRequest get;
    get.set_id(run.id());
    ASSERT_TRUE(stub()->GetRun(&ctx, get, &run).ok());
  }
  ASSERT_EQ(run.state(), rollrig::v1::RUN_STATE_RUNNING);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  rollrig::v1::EStopRequest req;
  req.set_who("carol@bench (rigctl)");
  req.set_reason("pad slipped " + std::string(5000, '!'));
  rollrig::v1::EStopResponse resp;
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("rollrig-user", "carol@bench");  // the identity; `who` adds the program
    ASSERT_TRUE(stub()->EStop(&ctx, req, &resp).ok());
  }
  rollrig::v1::RunInfo ended;
  for (int i = 0; i < 500; ++i) {
    grpc::ClientContext ctx;
    rollrig::v1::RunRequest get;
    get.set_id(run.id());
    ASSERT_TRUE(stub()->GetRun(&ctx, get, &ended).ok());
    if (ended.state() == rollrig::v1::RUN_STATE_FAULTED) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(ended.state(), rollrig::v1::RUN_STATE_FAULTED) << ended.state_reason();
  const std::string& reason = ended.verdict().reason();
  EXPECT_THAT(reason, HasSubstr("e-stop commanded by carol@bench (rigctl): pad slipped !!!"));
  EXPECT_THAT(reason, HasSubstr("bytes]"));
  EXPECT_LT(reason.size(), 500u);
}

}  // namespace
}  // namespace rollrig
