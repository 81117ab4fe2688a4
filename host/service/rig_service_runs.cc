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
    info_.mutable_spec()->mutable_profile()->clear_text();
    NameRecordingsForClient(&info_);
    if (!rollrig::v1::RunIsActive(info_.state()))
      EndStream(grpc::Status::OK);  // this is the last message
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
RunManager::RunCallback FinishWith(grpc::ServerUnaryReactor* reactor, rollrig::v1::RunInfo* resp) {
  return [reactor, resp](absl::StatusOr<rollrig::v1::RunInfo> r) {
    if (r.ok()) *resp = *std::move(r);
    NameRecordingsForClient(resp);
    reactor->Finish(ToGrpcStatus(r.status()));
  };
}

std::string Who(grpc::CallbackServerContext* ctx, LeaseManager* lease) {
  rollrig::v1::LeaseInfo info = lease->Get();
  return info.held()
             ? absl::StrCat(info.holder(), info.client().empty() ? "" : " (" + info.client() + ")")
             : ctx->peer();
}

}  // namespace

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
  if (absl::Status s = CheckRunSpec(req->spec()); !s.ok()) {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  }
  return WithLease(ctx, [&](grpc::ServerUnaryReactor* reactor) {
    runs_->StartRun(*req, FinishWith(reactor, resp));
  });
}

grpc::ServerUnaryReactor* RigServiceImpl::PauseRun(grpc::CallbackServerContext* ctx,
                                                   const rollrig::v1::RunRequest* req,
                                                   rollrig::v1::RunInfo* resp) {
  return WithLease(ctx, [&](grpc::ServerUnaryReactor* reactor) {
    runs_->PauseRun(req->id(), FinishWith(reactor, resp));
  });
}

grpc::ServerUnaryReactor* RigServiceImpl::ResumeRun(grpc::CallbackServerContext* ctx,
                                                    const rollrig::v1::RunRequest* req,
                                                    rollrig::v1::RunInfo* resp) {
  return WithLease(ctx, [&](grpc::ServerUnaryReactor* reactor) {
    runs_->ResumeRun(req->id(), FinishWith(reactor, resp));
  });
}

grpc::ServerUnaryReactor* RigServiceImpl::StopRun(grpc::CallbackServerContext* ctx,
                                                  const rollrig::v1::RunRequest* req,
                                                  rollrig::v1::RunInfo* resp) {
  return WithLease(ctx, [&](grpc::ServerUnaryReactor* reactor) {
    runs_->StopRun(req->id(), Who(ctx, lease_), FinishWith(reactor, resp));
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
  absl::Status fields = CheckFieldSize("holder", req->holder(), kMaxIdentityBytes);
  if (fields.ok()) fields = CheckFieldSize("client", req->client(), kMaxIdentityBytes);
  if (!fields.ok()) {
    reactor->Finish(ToGrpcStatus(fields));
    return reactor;
  }
  if (!std::isfinite(req->ttl_s())) {
    reactor->Finish(ToGrpcStatus(absl::InvalidArgumentError("ttl_s must be finite")));
    return reactor;
  }
  absl::StatusOr<rollrig::v1::LeaseInfo> lease =
      lease_->Acquire(req->holder(), req->client(), req->force(), absl::Seconds(req->ttl_s()));
  if (lease.ok()) *resp = *std::move(lease);
  reactor->Finish(ToGrpcStatus(lease.status()));
  return reactor;
}

grpc::ServerUnaryReactor* RigServiceImpl::RenewLease(grpc::CallbackServerContext* ctx,
                                                     const rollrig::v1::LeaseRequest* req,
                                                     rollrig::v1::LeaseInfo* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  absl::StatusOr<rollrig::v1::LeaseInfo> lease = lease_->Renew(req->token());
  if (lease.ok()) *resp = *std::move(lease);
  reactor->Finish(ToGrpcStatus(lease.status()));
  return reactor;
}

grpc::ServerUnaryReactor* RigServiceImpl::ReleaseLease(grpc::CallbackServerContext* ctx,
                                                       const rollrig::v1::LeaseRequest* req,
                                                       rollrig::v1::LeaseInfo* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
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
  const std::optional<Caller> caller = AdmitOrRefuse(ctx, "InjectFault", reactor);
  if (!caller) return reactor;
  if (absl::Status s = CheckFieldSize("who", req->who(), kMaxIdentityBytes); !s.ok()) {
    reactor->Finish(ToGrpcStatus(s));
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
  const std::string who = ActingName(*caller, req->who());
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
