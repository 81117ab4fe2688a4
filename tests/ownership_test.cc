// A run belongs to whoever started it, and identities are recorded instead of addresses:
// through rigd's gRPC API on the simulated massager (run faster than real time). The
// owner pauses, resumes and stops it from another session without the lease; another
// identity is refused and takes nothing; an admin forcing with a reason succeeds and is
// recorded in the run, its events and its recording; a lease taken by force is named on
// its old holder's next call. Loopback without credentials: the identity is the one the
// client states (rollrig-user), every caller an admin.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "host/recording/file_system.h"
#include "host/recording/mcap_reader.h"
#include "host/recording/recording_layout.h"
#include "host/rigctl/rigctl.h"
#include "rig/base/user_identity.h"
#include "tests/rig_stack.h"
#include "tests/short_profile.h"

namespace rollrig {
namespace {

using rollrig::v1::RunInfo;
using ::testing::HasSubstr;
using testing::RigStack;

constexpr double kSpeedup = 2.0;
// The stack's own identity: it holds the lease and starts the runs.
constexpr char kOwner[] = "test@localhost";

// A client of the same rigd speaking as `identity`, holding no lease.
class Client {
 public:
  Client(const std::string& address, std::string identity)
      : identity_(std::move(identity)),
        stub_(rollrig::v1::RigService::NewStub(
            grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))) {}

  std::unique_ptr<grpc::ClientContext> Context() const {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("rollrig-user", identity_);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return ctx;
  }
  rollrig::v1::RigService::Stub* stub() { return stub_.get(); }

  grpc::Status Pause(const std::string& id, bool force = false, const std::string& reason = "") {
    RunInfo run;
    return stub_->PauseRun(Context().get(), Request(id, force, reason), &run);
  }
  grpc::Status Resume(const std::string& id, bool force = false, const std::string& reason = "") {
    RunInfo run;
    return stub_->ResumeRun(Context().get(), Request(id, force, reason), &run);
  }
  grpc::Status Stop(const std::string& id, bool force = false, const std::string& reason = "") {
    RunInfo run;
    return stub_->StopRun(Context().get(), Request(id, force, reason), &run);
  }

 private:
  static rollrig::v1::RunRequest Request(const std::string& id, bool force,
                                         const std::string& reason) {
    rollrig::v1::RunRequest req;
    req.set_id(id);
    req.set_force(force);
    req.set_reason(reason);
    return req;
  }

  std::string identity_;
  std::unique_ptr<rollrig::v1::RigService::Stub> stub_;
};

class OwnershipTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rig_ = std::make_unique<RigStack>("sim", absl::Seconds(10), kSpeedup);
    ASSERT_TRUE(rig_->connected().ok()) << rig_->connected();
    events_ctx_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    rollrig::v1::StreamEventsRequest req;
    events_ = rig_->stub()->StreamEvents(&events_ctx_, req);
  }
  void TearDown() override {
    events_ctx_.TryCancel();
    rollrig::v1::RigEvent e;
    while (events_->Read(&e)) {
    }
    (void)events_->Finish();
  }

  absl::StatusOr<RunInfo> Start(uint32_t cycles) {
    return rig_->StartRun(testing::ShortRunRequest(cycles));
  }
  RunInfo Get(const std::string& id) { return rig_->GetRun(id); }

  RunInfo WaitEnd(const std::string& id) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    RunInfo run = Get(id);
    while (rollrig::v1::RunIsActive(run.state()) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      run = Get(id);
    }
    return run;
  }

  rollrig::v1::LeaseInfo Lease() {
    grpc::ClientContext ctx;
    rollrig::v1::LeaseInfo lease;
    EXPECT_TRUE(rig_->stub()->GetLease(&ctx, rollrig::v1::GetLeaseRequest(), &lease).ok());
    return lease;
  }

  // Reads events until one of `kind` whose message has `text`; that event, or none.
  std::optional<rollrig::v1::RigEvent> EventWith(rollrig::v1::RigEventKind kind,
                                                 const std::string& text) {
    rollrig::v1::RigEvent e;
    while (events_->Read(&e)) {
      if (e.kind() == kind && e.message().find(text) != std::string::npos) return e;
    }
    return std::nullopt;
  }

  // The run's first recording's metadata, by name.
  std::map<std::string, std::map<std::string, std::string>> RecordingMetadata(const RunInfo& run) {
    std::map<std::string, std::map<std::string, std::string>> meta;
    if (run.recordings_size() == 0) return meta;
    // Named by path or by file name: found under the runs directory either way.
    const std::string name = std::filesystem::path(run.recordings(0)).filename();
    std::string path;
    for (const auto& f : std::filesystem::recursive_directory_iterator(rig_->runs_dir())) {
      if (f.path().filename() == name) path = f.path();
    }
    recording::FileSystem* fs = recording::RealFileSystem();
    auto file = fs->OpenForRead(path);
    EXPECT_TRUE(file.ok()) << file.status();
    if (!file.ok()) return meta;
    auto reader = recording::McapReader::Open(file->get());
    EXPECT_TRUE(reader.ok()) << reader.status();
    if (!reader.ok()) return meta;
    for (const auto& m : (*reader)->metadata()) meta[m.name] = m.metadata;
    return meta;
  }

  std::unique_ptr<RigStack> rig_;
  grpc::ClientContext events_ctx_;
  std::unique_ptr<grpc::ClientReader<rollrig::v1::RigEvent>> events_;
};

TEST_F(OwnershipTest, TheOwnerPausesResumesAndStopsFromAnotherSessionWithoutLeaseOrForce) {
  absl::StatusOr<RunInfo> started = Start(20);  // long enough not to end by itself
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_EQ(started->started_by(), kOwner);
  ASSERT_TRUE(EventWith(rollrig::v1::RIG_EVENT_RUN_STATE, "started by test@localhost"));
  // Another terminal of the same identity: no lease token, no force.
  Client second(rig_->app().address(), kOwner);
  const rollrig::v1::LeaseInfo before = Lease();
  grpc::Status s = second.Pause(started->id());
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(Get(started->id()).state(), rollrig::v1::RUN_STATE_PAUSED);
  EXPECT_TRUE(EventWith(rollrig::v1::RIG_EVENT_RUN_STATE, "paused by test@localhost"));
  s = second.Resume(started->id());
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(EventWith(rollrig::v1::RIG_EVENT_RUN_STATE, "resumed by test@localhost"));
  s = second.Stop(started->id());
  ASSERT_TRUE(s.ok()) << s.error_message();
  const RunInfo run = WaitEnd(started->id());
  EXPECT_EQ(run.state(), rollrig::v1::RUN_STATE_ABORTED);
  EXPECT_EQ(run.state_reason(), "stopped by test@localhost");
  EXPECT_EQ(run.started_by(), kOwner);
  // The lease was neither needed nor touched.
  EXPECT_EQ(Lease().holder(), before.holder());
  EXPECT_EQ(Lease().acquired_unix_ns(), before.acquired_unix_ns());
  // The recording says who started it, and who stopped it.
  auto meta = RecordingMetadata(run);
  EXPECT_EQ(meta[recorder::kRunMetadata][recorder::kStartedByKey], kOwner);
  EXPECT_THAT(meta[recorder::kVerdictMetadata][recorder::kStateReasonKey],
              HasSubstr("stopped by test@localhost"));
}

TEST_F(OwnershipTest, AnotherIdentityIsRefusedNamingTheOwnerAndTakesNothing) {
  absl::StatusOr<RunInfo> started = Start(20);  // long enough not to end by itself
  ASSERT_TRUE(started.ok()) << started.status();
  const rollrig::v1::LeaseInfo before = Lease();
  Client carol(rig_->app().address(), "carol@lab");
  for (auto [verb, status] : {std::pair{"pause", carol.Pause(started->id())},
                              std::pair{"stop", carol.Stop(started->id())}}) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << verb;
    EXPECT_THAT(
        status.error_message(),
        HasSubstr(absl::StrCat("run ", started->id(), " belongs to test@localhost; only ",
                               "test@localhost, or an admin with --force, may ", verb, " it")));
  }
  // Forced without a reason: refused too, before anything is done.
  grpc::Status unexplained = carol.Stop(started->id(), /*force=*/true);
  EXPECT_EQ(unexplained.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(unexplained.error_message(), HasSubstr("needs a reason"));
  // The run goes on untouched, and the lease is as it was.
  const RunInfo run = Get(started->id());
  EXPECT_EQ(run.state(), rollrig::v1::RUN_STATE_RUNNING);
  const rollrig::v1::LeaseInfo after = Lease();
  EXPECT_EQ(after.holder(), before.holder());
  EXPECT_EQ(after.client(), before.client());
  EXPECT_EQ(after.acquired_unix_ns(), before.acquired_unix_ns());
  // A resume of a running run is refused for its state, whoever asks.
  EXPECT_EQ(carol.Resume(started->id()).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  // A start while it runs names its owner and how to stop it.
  absl::StatusOr<RunInfo> second = Start(1);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("test@localhost's"));
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("rigctl --force stop --reason"));
}

TEST_F(OwnershipTest, ADeviceStopDuringARunIsTheRunsStopByTheRunsRule) {
  absl::StatusOr<RunInfo> started = Start(20);  // long enough not to end by itself
  ASSERT_TRUE(started.ok()) << started.status();
  Client carol(rig_->app().address(), "carol@lab");
  rollrig::v1::StopResponse resp;
  grpc::Status s = carol.stub()->Stop(carol.Context().get(), rollrig::v1::StopRequest(), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("belongs to test@localhost"));
  EXPECT_EQ(Get(started->id()).state(), rollrig::v1::RUN_STATE_RUNNING);
  // The owner's plain stop ends the run as its stop, recorded with who.
  Client owner(rig_->app().address(), kOwner);
  s = owner.stub()->Stop(owner.Context().get(), rollrig::v1::StopRequest(), &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const RunInfo run = WaitEnd(started->id());
  EXPECT_EQ(run.state(), rollrig::v1::RUN_STATE_ABORTED);
  EXPECT_EQ(run.state_reason(), "stopped by test@localhost");
}

TEST_F(OwnershipTest, AnAdminForcingWithAReasonIsRecordedWithWhoAndWhy) {
  absl::StatusOr<RunInfo> started = Start(20);  // long enough not to end by itself
  ASSERT_TRUE(started.ok()) << started.status();
  Client carol(rig_->app().address(), "carol@lab");
  grpc::Status s = carol.Pause(started->id(), /*force=*/true, "fixture check");
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(EventWith(rollrig::v1::RIG_EVENT_RUN_STATE,
                        "paused by carol@lab (admin, forced: fixture check)"));
  s = carol.Stop(started->id(), /*force=*/true, "pad worn");
  ASSERT_TRUE(s.ok()) << s.error_message();
  std::optional<rollrig::v1::RigEvent> request =
      EventWith(rollrig::v1::RIG_EVENT_RUN_STATE, "stop requested by");
  ASSERT_TRUE(request);
  EXPECT_EQ(request->who(), "carol@lab (admin, forced: pad worn)");
  EXPECT_EQ(request->reason(), "pad worn");
  const RunInfo run = WaitEnd(started->id());
  EXPECT_EQ(run.state(), rollrig::v1::RUN_STATE_ABORTED);
  EXPECT_EQ(run.state_reason(), "stopped by carol@lab (admin, forced: pad worn)");
  EXPECT_EQ(run.started_by(), kOwner) << "forcing does not change the owner";
  auto meta = RecordingMetadata(run);
  EXPECT_EQ(meta[recorder::kRunMetadata][recorder::kStartedByKey], kOwner);
  EXPECT_THAT(meta[recorder::kVerdictMetadata][recorder::kStateReasonKey],
              HasSubstr("stopped by carol@lab (admin, forced: pad worn)"));
}

TEST_F(OwnershipTest, ARefusedCommandTakesNothingAndALeaseRefusalIsMarkedAsSuch) {
  Client carol(rig_->app().address(), "carol@lab");
  const rollrig::v1::LeaseInfo before = Lease();
  // A jog with a bad argument from one who holds no lease: refused for the argument.
  {
    auto ctx = carol.Context();
    rollrig::v1::JogRequest jog;
    jog.set_roller_rpm(1e9);
    rollrig::v1::JogResponse resp;
    grpc::Status s = carol.stub()->Jog(ctx.get(), jog, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_EQ(ctx->GetServerTrailingMetadata().count("rollrig-refusal"), 0u);
  }
  // A good jog: refused for the lease alone, and marked so.
  {
    auto ctx = carol.Context();
    rollrig::v1::JogRequest jog;
    jog.set_roller_rpm(10);
    rollrig::v1::JogResponse resp;
    grpc::Status s = carol.stub()->Jog(ctx.get(), jog, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_THAT(s.error_message(), HasSubstr("control is held by test@localhost"));
    auto refusal = ctx->GetServerTrailingMetadata().find("rollrig-refusal");
    ASSERT_NE(refusal, ctx->GetServerTrailingMetadata().end());
    EXPECT_EQ(std::string(refusal->second.data(), refusal->second.size()), "lease");
  }
  EXPECT_EQ(Lease().acquired_unix_ns(), before.acquired_unix_ns());
  EXPECT_TRUE(rig_->Jog(0).ok()) << "the holder's lease still works";
}

TEST_F(OwnershipTest, ALeaseTakenByForceIsNamedOnTheOldHoldersNextCall) {
  Client carol(rig_->app().address(), "carol@lab");
  rollrig::v1::AcquireLeaseRequest req;
  req.set_holder("someone-else@spoofed");  // the caller's identity wins over the request's
  req.set_client("rig-dash");
  req.set_force(true);
  rollrig::v1::LeaseInfo lease;
  grpc::Status s = carol.stub()->AcquireLease(carol.Context().get(), req, &lease);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(lease.holder(), "carol@lab");
  std::optional<rollrig::v1::RigEvent> taken =
      EventWith(rollrig::v1::RIG_EVENT_LEASE, "taken by force");
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->who(), "carol@lab");
  EXPECT_THAT(taken->message(), HasSubstr("from test@localhost (tests) by carol@lab (rig-dash)"));
  // The old holder's next control call says who took it, and when.
  grpc::Status jog = rig_->Jog(10);
  EXPECT_EQ(jog.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(jog.error_message(),
              HasSubstr("control was taken from you by force by carol@lab (rig-dash) at "));
  EXPECT_THAT(jog.error_message(), HasSubstr(" UTC"));
}

TEST_F(OwnershipTest, EStopClearAndJogCarryTheCallersIdentity) {
  Client carol(rig_->app().address(), "carol@lab");
  rollrig::v1::EStopRequest estop;
  estop.set_reason("hand near the roller");
  rollrig::v1::EStopResponse eresp;
  ASSERT_TRUE(carol.stub()->EStop(carol.Context().get(), estop, &eresp).ok());
  std::optional<rollrig::v1::RigEvent> e =
      EventWith(rollrig::v1::RIG_EVENT_ESTOP_REQUESTED, "e-stop requested by");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->who(), "carol@lab");
  ASSERT_TRUE(rig_->Clear().ok());
  std::optional<rollrig::v1::RigEvent> cleared =
      EventWith(rollrig::v1::RIG_EVENT_FAULTS_CLEARED, "faults cleared by");
  ASSERT_TRUE(cleared);
  EXPECT_EQ(cleared->who(), kOwner);
  ASSERT_TRUE(rig_->Jog(20).ok());
  std::optional<rollrig::v1::RigEvent> jogged =
      EventWith(rollrig::v1::RIG_EVENT_JOG, "jog by test@localhost: roller 20 rpm");
  ASSERT_TRUE(jogged);
  EXPECT_EQ(jogged->who(), kOwner);
  // A client's own words never stand in for its identity.
  estop.set_who("admin@elsewhere");
  ASSERT_TRUE(carol.stub()->EStop(carol.Context().get(), estop, &eresp).ok());
  e = EventWith(rollrig::v1::RIG_EVENT_ESTOP_REQUESTED, "e-stop requested by");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->who(), "carol@lab (admin@elsewhere)");
}

// rigctl as two users at two terminals (USER names the OS account rigctl states).
class RigctlOwnershipTest : public OwnershipTest {
 protected:
  struct Result {
    int exit_code;
    std::string out, err;
  };
  Result Rigctl(const std::string& user, std::vector<std::string> args) {
    setenv("USER", user.c_str(), 1);
    args.insert(args.begin(), {"--addr", rig_->app().address()});
    std::ostringstream out, err;
    const int code = host::RunRigctl(args, out, err);
    return {code, out.str(), err.str()};
  }
  static std::string At(const std::string& user) {
    setenv("USER", user.c_str(), 1);
    return UserAtHost();
  }
  std::string ActiveRunId() {
    rollrig::v1::RunInfo run;
    grpc::ClientContext ctx;
    (void)rig_->stub()->GetRun(&ctx, rollrig::v1::RunRequest(), &run);
    return run.id();
  }
};

TEST_F(RigctlOwnershipTest, TheOwnerCommandsItsRunFromAnyTerminalOthersNeedAnAdminsForce) {
  const std::string bob = At("bob"), carol = At("carol");
  // The stack holds the lease: bob's run is refused for it alone, so --force takes it.
  Result started = Rigctl("bob", {"--force", "run", "swedish", "--cycles", "3", "--detach"});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  const std::string id = ActiveRunId();
  EXPECT_EQ(Get(id).started_by(), bob);
  Result status = Rigctl("carol", {"status"});
  EXPECT_THAT(status.out, HasSubstr("owner:       " + bob + " (only " + bob));
  EXPECT_THAT(status.out, ::testing::Not(HasSubstr("control:     nobody\n")));

  // Another terminal of bob's: no --force needed.
  Result paused = Rigctl("bob", {"pause"});
  EXPECT_EQ(paused.exit_code, 0) << paused.err;
  EXPECT_EQ(Get(id).state(), rollrig::v1::RUN_STATE_PAUSED);
  EXPECT_EQ(Rigctl("bob", {"resume", id}).exit_code, 0);

  // carol: refused, naming the owner and a command that exists.
  Result refused = Rigctl("carol", {"stop"});
  EXPECT_EQ(refused.exit_code, 8) << "permission denied";
  EXPECT_THAT(refused.err, HasSubstr("run " + id + " belongs to " + bob));
  EXPECT_THAT(refused.err, HasSubstr("(rigctl --force stop --reason TEXT)"));
  EXPECT_EQ(Get(id).state(), rollrig::v1::RUN_STATE_RUNNING);

  // carol as an admin, with --force and a reason: recorded with who and why.
  Result forced = Rigctl("carol", {"--force", "stop", "--reason", "rig booked for QA"});
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  const RunInfo run = WaitEnd(id);
  EXPECT_EQ(run.state_reason(), "stopped by " + carol + " (admin, forced: rig booked for QA)");
  Result shown = Rigctl("carol", {"runs", "show", id});
  EXPECT_THAT(shown.out, HasSubstr("owner:      " + bob));
  EXPECT_THAT(shown.out, HasSubstr("forced: rig booked for QA"));
}

TEST_F(RigctlOwnershipTest, AForcedCommandRefusedForItsArgumentsTakesNoLease) {
  absl::StatusOr<rollrig::v1::LeaseInfo> held =
      rig_->app().lease().Acquire("dave@bench", "rig-dash", true, absl::Minutes(10), true);
  ASSERT_TRUE(held.ok()) << held.status();
  Result bad = Rigctl("carol", {"--force", "jog", "--roller-rpm", "100000"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.err, HasSubstr("roller_rpm"));
  EXPECT_EQ(Lease().holder(), "dave@bench") << "a refused command took the lease";
  EXPECT_TRUE(rig_->app().lease().Check(held->token()).ok());
  // Without --force: refused, naming the holder; nothing taken.
  Result held_elsewhere = Rigctl("carol", {"jog", "--roller-rpm", "10"});
  EXPECT_EQ(held_elsewhere.exit_code, 6) << "refused: control held by another";
  EXPECT_THAT(held_elsewhere.err, HasSubstr("control is held by dave@bench (rig-dash)"));
  EXPECT_EQ(Lease().holder(), "dave@bench");
  // With --force and a good jog: taken, and dave hears who took it.
  Result taken = Rigctl("carol", {"--force", "jog", "--roller-rpm", "10"});
  EXPECT_EQ(taken.exit_code, 0) << taken.err;
  const absl::Status old = rig_->app().lease().Check(held->token());
  EXPECT_THAT(std::string(old.message()), HasSubstr("control was taken from you by force by " +
                                                    At("carol") + " (rigctl, pid "));
  EXPECT_EQ(Rigctl("carol", {"stop"}).exit_code, 0);
}

}  // namespace
}  // namespace rollrig
