// RigService: profiles, runs, the control lease and simulator fault injection.
#include <atomic>
#include <cmath>
#include <mutex>
#include <string>

#include "absl/strings/str_cat.h"
#include "enum_names.h"
#include "host/profile_loader/profile_loader.h"
#include "host/service/client_run_info.h"
#include "host/service/request_limits.h"
#include "host/service/rig_service.h"
#include "rig/base/bounded_text.h"

namespace rollrig::host {
namespace {

// Streams a run's progress, at most every 200 ms and only when it changed, until it ends.
class RunWatchStream final : public PumpedWriter<rollrig::v1::RunInfo> {
 public:
  RunWatchStream(RunManager* runs, std::string id) : runs_(runs), id_(std::move(id)) {}

 private:
  const rollrig::v1::RunInfo* Next() override {
    const absl::Time now = absl::Now();
    const uint64_t version = runs_->version();
    if (sent_any_ && (version == sent_version_ || now - last_sent_ < absl::Milliseconds(200))) {
      return nullptr;
    }
    absl::StatusOr<rollrig::v1::RunInfo> run = runs_->Get(id_);
    if (!run.ok()) {
      EndStream(ToGrpcStatus(run.status()));
      return nullptr;
    }
    if (id_.empty()) id_ = run->id();  // follow the run we started with
    info_ = *std::move(run);
    const bool last = !rollrig::v1::RunIsActive(info_.state());
    // The profile text (up to 1 MiB) goes with the first message, so a watcher learns the
    // run's limits, and with the last, which a client prints as the run's record; not
    // with every progress update.
    if (sent_any_ && !last) info_.mutable_spec()->mutable_profile()->clear_text();
    NameRecordingsForClient(&info_);
    if (last) EndStream(grpc::Status::OK);  // this is the last message
    sent_any_ = true;
    sent_version_ = version;
    last_sent_ = now;
    return &info_;
  }

  RunManager* runs_;
  std::string id_;
  rollrig::v1::RunInfo info_;
  bool sent_any_ = false;
  uint64_t sent_version_ = 0;
  absl::Time last_sent_;
};

// Finishes a unary run call from the run manager's callback.
RunManager::RunCallback FinishWith(grpc::CallbackServerContext* ctx,
                                   grpc::ServerUnaryReactor* reactor, rollrig::v1::RunInfo* resp) {
  return [ctx, reactor, resp](absl::StatusOr<rollrig::v1::RunInfo> r) {
    if (r.ok()) *resp = *std::move(r);
    NameRecordingsForClient(resp);
    FinishCall(ctx, reactor, r.status());
  };
}

// The run manager's view of an admitted caller asking for a request (forced, and why).
absl::StatusOr<RunActor> RunActorOf(const absl::StatusOr<Caller>& caller, bool force,
                                    const std::string& reason) {
  if (!caller.ok()) return caller.status();
  if (absl::Status s = CheckFieldSize("reason", reason, kMaxForceReasonBytes); !s.ok()) {
    return s;
  }
  RunActor by = AsRunActor(*caller);
  by.force = force;
  by.reason = reason;
  return by;
}

absl::StatusOr<RunActor> RunActorOf(const absl::StatusOr<Caller>& caller,
                                    const rollrig::v1::RunRequest& req) {
  return RunActorOf(caller, req.force(), req.reason());
}

// Runs `command` for the actor, or finishes the call with why not. Run commands need no
// lease: the run's owner decides (host/runs/run_ownership.h).
grpc::ServerUnaryReactor* CommandRun(
    grpc::CallbackServerContext* ctx, const absl::StatusOr<RunActor>& by,
    const std::function<void(const RunActor&, grpc::ServerUnaryReactor*)>& command) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (!by.ok()) {
    reactor->Finish(ToGrpcStatus(by.status()));
  } else {
    command(*by, reactor);
  }
  return reactor;
}

}  // namespace

RunActor AsRunActor(const Caller& caller) {
  return RunActor{.identity = caller.identity, .admin = caller.may(Role::kAdmin)};
}

grpc::ServerUnaryReactor* RigServiceImpl::ListPresets(grpc::CallbackServerContext* ctx,
                                                      const rollrig::v1::ListPresetsRequest*,
                                                      rollrig::v1::ListPresetsResponse* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (!AdmitOrRefuse(ctx, "ListPresets", reactor)) return reactor;
  for (const rollrig::v1::Preset& p : Presets()) *resp->add_presets() = p;
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* RigServiceImpl::ValidateProfile(
    grpc::CallbackServerContext* ctx, const rollrig::v1::ValidateProfileRequest* req,
    rollrig::v1::ValidateProfileResponse* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (!AdmitOrRefuse(ctx, "ValidateProfile", reactor)) return reactor;
  if (absl::Status s = CheckProfileSource(req->source(), "source."); !s.ok()) {
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  }
  const DeviceSnapshot snap = device_->Snapshot();
  if (!snap.info) {
    reactor->Finish(ToGrpcStatus(absl::UnavailableError(
        "no device connected: a profile is validated against the device's capabilities")));
    return reactor;
  }
  rollrig::v1::ProfileSource source = req->source();
  if (!source.preset().empty()) {
    const rollrig::v1::Preset* preset = FindPreset(source.preset());
    if (!preset) {
      reactor->Finish(ToGrpcStatus(
          absl::NotFoundError(absl::StrCat("no preset named ", QuoteInput(source.preset())))));
      return reactor;
    }
    source.set_text(preset->text());
    source.set_file_name(preset->file_name());
  }
  ProfileCheck check = LoadProfile(source, snap.info->capabilities());
  resp->set_ok(check.ok());
  for (const auto& e : check.errors) *resp->add_errors() = e;
  if (check.loaded) {
    *resp->mutable_profile() = check.loaded->profile;
    resp->set_cycle_s(check.loaded->cycle_s);
    resp->set_program_segments(static_cast<uint32_t>(check.loaded->program.size()));
    resp->set_profile_hash(check.loaded->hash);
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* RigServiceImpl::StartRun(grpc::CallbackServerContext* ctx,
                                                   const rollrig::v1::StartRunRequest* req,
                                                   rollrig::v1::RunInfo* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const absl::StatusOr<RunActor> by =
      RunActorOf(Admit(ctx, "StartRun"), req->force(), req->reason());
  absl::Status checked = by.status();
  if (checked.ok()) checked = CheckRunSpec(req->spec());
  if (!checked.ok()) {
    reactor->Finish(ToGrpcStatus(checked));
    return reactor;
  }
  // The run manager checks the lease last, after the profile and the device.
  runs_->StartRun(*req, *by, LeaseToken(ctx), FinishWith(ctx, reactor, resp));
  return reactor;
}

grpc::ServerUnaryReactor* RigServiceImpl::PauseRun(grpc::CallbackServerContext* ctx,
                                                   const rollrig::v1::RunRequest* req,
                                                   rollrig::v1::RunInfo* resp) {
  return CommandRun(ctx, RunActorOf(Admit(ctx, "PauseRun"), *req),
                    [&](const RunActor& by, grpc::ServerUnaryReactor* reactor) {
                      runs_->PauseRun(req->id(), by, FinishWith(ctx, reactor, resp));
                    });
}

grpc::ServerUnaryReactor* RigServiceImpl::ResumeRun(grpc::CallbackServerContext* ctx,
                                                    const rollrig::v1::RunRequest* req,
                                                    rollrig::v1::RunInfo* resp) {
  return CommandRun(ctx, RunActorOf(Admit(ctx, "ResumeRun"), *req),
                    [&](const RunActor& by, grpc::ServerUnaryReactor* reactor) {
                      runs_->ResumeRun(req->id(), by, FinishWith(ctx, reactor, resp));
                    });
}

grpc::ServerUnaryReactor* RigServiceImpl::StopRun(grpc::CallbackServerContext* ctx,
                                                  const rollrig::v1::RunRequest* req,
                                                  rollrig::v1::RunInfo* resp) {
  return CommandRun(ctx, RunActorOf(Admit(ctx, "StopRun"), *req),
                    [&](const RunActor& by, grpc::ServerUnaryReactor* reactor) {
                      runs_->StopRun(req->id(), by, FinishWith(ctx, reactor, resp));
                    });
}

grpc::ServerUnaryReactor* RigServiceImpl::GetRun(grpc::CallbackServerContext* ctx,
                                                 const rollrig::v1::RunRequest* req,
                                                 rollrig::v1::RunInfo* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (!AdmitOrRefuse(ctx, "GetRun", reactor)) return reactor;
  absl::StatusOr<rollrig::v1::RunInfo> run = runs_->Get(req->id());
  if (run.ok()) *resp = *std::move(run);
  NameRecordingsForClient(resp);
  reactor->Finish(ToGrpcStatus(run.status()));
  return reactor;
}

grpc::ServerUnaryReactor* RigServiceImpl::ListRuns(grpc::CallbackServerContext* ctx,
                                                   const rollrig::v1::ListRunsRequest*,
                                                   rollrig::v1::ListRunsResponse* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (!AdmitOrRefuse(ctx, "ListRuns", reactor)) return reactor;
  for (rollrig::v1::RunInfo& r : runs_->List()) {
    NameRecordingsForClient(&r);
    *resp->add_runs() = std::move(r);
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerWriteReactor<rollrig::v1::RunInfo>* RigServiceImpl::WatchRun(
    grpc::CallbackServerContext* ctx, const rollrig::v1::RunRequest* req) {
  return ServeStream<rollrig::v1::RunInfo>(ctx, "WatchRun",
                                           [&] { return new RunWatchStream(runs_, req->id()); });
}

grpc::ServerUnaryReactor* RigServiceImpl::GetCycles(grpc::CallbackServerContext* ctx,
                                                    const rollrig::v1::GetCyclesRequest* req,
                                                    rollrig::v1::GetCyclesResponse* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (!AdmitOrRefuse(ctx, "GetCycles", reactor)) return reactor;
  absl::StatusOr<std::vector<rollrig::v1::CycleStats>> cycles = runs_->GetCycles(req->id());
  if (cycles.ok()) {
    for (auto& c : *cycles) *resp->add_cycles() = std::move(c);
  }
  reactor->Finish(ToGrpcStatus(cycles.status()));
  return reactor;
}

grpc::ServerUnaryReactor* RigServiceImpl::AcquireLease(grpc::CallbackServerContext* ctx,
                                                       const rollrig::v1::AcquireLeaseRequest* req,
                                                       rollrig::v1::LeaseInfo* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const absl::StatusOr<Caller> caller = Admit(ctx, "AcquireLease");
  absl::Status checked = caller.status();
  if (checked.ok()) checked = CheckFieldSize("holder", req->holder(), kMaxIdentityBytes);
  if (checked.ok()) checked = CheckFieldSize("client", req->client(), kMaxIdentityBytes);
  if (checked.ok() && !std::isfinite(req->ttl_s())) {
    checked = absl::InvalidArgumentError("ttl_s must be finite");
  }
  if (!checked.ok()) {
    reactor->Finish(ToGrpcStatus(checked));
    return reactor;
  }
  // The holder is who the caller is, not what the request says.
  const std::string& holder = caller->identity.empty() ? req->holder() : caller->identity;
  absl::StatusOr<rollrig::v1::LeaseInfo> lease =
      lease_->Acquire(holder, req->client(), req->force(), absl::Seconds(req->ttl_s()),
                      /*may_force=*/caller->may(Role::kAdmin));
  if (lease.ok()) *resp = *std::move(lease);
  reactor->Finish(ToGrpcStatus(lease.status()));
  return reactor;
}

grpc::ServerUnaryReactor* RigServiceImpl::RenewLease(grpc::CallbackServerContext* ctx,
                                                     const rollrig::v1::LeaseRequest* req,
                                                     rollrig::v1::LeaseInfo* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (const absl::StatusOr<Caller> caller = Admit(ctx, "RenewLease"); !caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  absl::StatusOr<rollrig::v1::LeaseInfo> lease = lease_->Renew(req->token());
  if (lease.ok()) *resp = *std::move(lease);
  FinishCall(ctx, reactor, lease.status());
  return reactor;
}

grpc::ServerUnaryReactor* RigServiceImpl::ReleaseLease(grpc::CallbackServerContext* ctx,
                                                       const rollrig::v1::LeaseRequest* req,
                                                       rollrig::v1::LeaseInfo* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (const absl::StatusOr<Caller> caller = Admit(ctx, "ReleaseLease"); !caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  absl::Status s = lease_->Release(req->token());
  *resp = lease_->Get();
  reactor->Finish(ToGrpcStatus(s));
  return reactor;
}

grpc::ServerUnaryReactor* RigServiceImpl::GetLease(grpc::CallbackServerContext* ctx,
                                                   const rollrig::v1::GetLeaseRequest*,
                                                   rollrig::v1::LeaseInfo* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (!AdmitOrRefuse(ctx, "GetLease", reactor)) return reactor;
  *resp = lease_->Get();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* RigServiceImpl::InjectFault(grpc::CallbackServerContext* ctx,
                                                      const rollrig::v1::InjectFaultRequest* req,
                                                      rollrig::v1::InjectFaultResponse*) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const absl::StatusOr<Caller> caller = Admit(ctx, "InjectFault");
  absl::Status checked = caller.status();
  if (checked.ok()) checked = CheckFieldSize("who", req->who(), kMaxIdentityBytes);
  if (!checked.ok()) {
    reactor->Finish(ToGrpcStatus(checked));
    return reactor;
  }
  const DeviceSnapshot snap = device_->Snapshot();
  if (!snap.info) {
    reactor->Finish(ToGrpcStatus(absl::UnavailableError("no device connected")));
    return reactor;
  }
  if (!snap.info->simulated() || !snap.info->capabilities().fault_injection()) {
    reactor->Finish(ToGrpcStatus(absl::FailedPreconditionError(absl::StrCat(
        "fault injection is for the simulator only; ", snap.info->serial(), " is real hardware"))));
    return reactor;
  }
  std::vector<rollrig::v1::InjectedFault> faults;
  if (req->clear_all()) {
    for (int f = rollrig::v1::INJECTED_FAULT_STALL; f <= rollrig::v1::INJECTED_FAULT_DOOR_OPEN;
         ++f) {
      faults.push_back(static_cast<rollrig::v1::InjectedFault>(f));
    }
  } else if (req->fault() == rollrig::v1::INJECTED_FAULT_UNSPECIFIED ||
             !rollrig::v1::InjectedFault_IsValid(req->fault())) {
    reactor->Finish(ToGrpcStatus(absl::InvalidArgumentError("name a fault to inject")));
    return reactor;
  } else {
    faults.push_back(req->fault());
  }
  const bool clear_all = req->clear_all();
  const bool active = clear_all ? false : req->active();
  const std::string who = RecordedWho(caller->identity, req->who());
  auto remaining = std::make_shared<std::atomic<int>>(static_cast<int>(faults.size()));
  auto first_error = std::make_shared<absl::Status>();
  auto error_mu = std::make_shared<std::mutex>();
  DeviceClient* device = device_;
  for (rollrig::v1::InjectedFault f : faults) {
    rollrig::v1::HostMessage m;
    m.mutable_inject_fault()->set_fault(f);
    m.mutable_inject_fault()->set_active(active);
    device_->SendCommand(std::move(m), [=](absl::Status s) {
      {
        std::lock_guard<std::mutex> lock(*error_mu);
        if (!s.ok() && first_error->ok()) *first_error = s;
      }
      if (remaining->fetch_sub(1) != 1) return;
      if (first_error->ok()) {
        rollrig::v1::RigEvent e;
        e.set_kind(rollrig::v1::RIG_EVENT_FAULT_INJECTED);
        e.set_who(who);
        const std::string name = rollrig::v1::InjectedFaultDisplayName(faults.front());
        e.set_message(
            clear_all
                ? absl::StrCat("injected faults cleared by ", who)
                : absl::StrCat(active ? "fault injected: " : "fault cleared: ", name, " by ", who));
        device->events().Publish(std::move(e));
      }
      reactor->Finish(ToGrpcStatus(*first_error));
    });
  }
  return reactor;
}

}  // namespace rollrig::host
