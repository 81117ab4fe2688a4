#include "host/service/rig_service.h"

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "enum_names.h"
#include "host/service/jog_validation.h"
#include "host/service/request_limits.h"
#include "host/service/row_aggregator.h"
#include "host/service/status_convert.h"
#include "rig/base/bounded_text.h"

namespace rollrig::host {
namespace {

using rollrig::v1::HostMessage;

// The longest error message sent to a client (see ToGrpcStatus).
constexpr size_t kMaxStatusMessageBytes = 2048;

// Collects the acknowledgements of several commands and finishes the call once, with the
// first error (or OK) after the last one.
class CommandBatch : public std::enable_shared_from_this<CommandBatch> {
 public:
  CommandBatch(size_t count, std::function<void(absl::Status)> done)
      : remaining_(count), done_(std::move(done)) {}

  std::function<void(absl::Status)> Callback() {
    auto self = shared_from_this();
    return [self](absl::Status s) { self->OnAck(std::move(s)); };
  }

 private:
  void OnAck(absl::Status s) {
    std::function<void(absl::Status)> done;
    absl::Status result;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!s.ok() && first_error_.ok()) first_error_ = std::move(s);
      if (--remaining_ > 0) return;
      done = std::move(done_);
      result = first_error_;
    }
    done(result);
  }

  std::mutex mu_;
  size_t remaining_;
  absl::Status first_error_;
  std::function<void(absl::Status)> done_;
};

int64_t SteadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string ConnectionProblem(const DeviceSnapshot& snap) {
  return absl::StrCat("no device connected (", snap.transport, snap.detail.empty() ? "" : ": ",
                      snap.detail, ")");
}

// Streams telemetry rows at the client's rate from its own subscription.
class TelemetryStream final : public PumpedWriter<rollrig::v1::TelemetryChunk> {
 public:
  TelemetryStream(DeviceClient* device, double rate_hz) : device_(device), rows_(rate_hz) {
    // Two seconds of samples at up to 10 kHz: a client may stall that long without loss.
    subscription_ = device_->telemetry().Subscribe(20000);
    const DeviceSnapshot snap = device_->Snapshot();
    if (snap.info) sample_rate_hz_ = snap.info->capabilities().telemetry_hz();
    buffer_.reserve(4096);
  }

 private:
  const rollrig::v1::TelemetryChunk* Next() override {
    chunk_.Clear();
    buffer_.clear();
    subscription_->Drain(&buffer_, 20000);
    for (const Sample& s : buffer_) rows_.Add(s, chunk_.mutable_rows());
    const uint64_t dropped = subscription_->dropped();
    if (chunk_.rows_size() == 0 && dropped == reported_dropped_) return nullptr;
    reported_dropped_ = dropped;
    chunk_.set_dropped_total(dropped);
    chunk_.set_sample_rate_hz(sample_rate_hz_);
    return &chunk_;
  }
  void Release() override { device_->telemetry().Unsubscribe(subscription_); }

  DeviceClient* device_;
  std::shared_ptr<TelemetrySubscription> subscription_;
  RowAggregator rows_;
  std::vector<Sample> buffer_;
  rollrig::v1::TelemetryChunk chunk_;
  uint32_t sample_rate_hz_ = 0;
  uint64_t reported_dropped_ = 0;
};

// Streams rig events, one per write.
class EventStream final : public PumpedWriter<rollrig::v1::RigEvent> {
 public:
  EventStream(DeviceClient* device, size_t recent) : device_(device) {
    subscription_ = device_->events().Subscribe(4096, {}, recent);
  }

 private:
  const rollrig::v1::RigEvent* Next() override {
    if (next_ >= pending_.size()) {
      pending_.clear();
      next_ = 0;
      subscription_->Drain(&pending_);
      if (pending_.empty()) return nullptr;
    }
    return &pending_[next_++];
  }
  void Release() override { device_->events().Unsubscribe(subscription_); }

  DeviceClient* device_;
  std::shared_ptr<EventSubscription> subscription_;
  std::vector<rollrig::v1::RigEvent> pending_;
  size_t next_ = 0;
};

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // The message travels as trailing metadata, which clients cap (8 KiB by default; its
  // percent-encoding can triple a byte): a longer one would turn any error into
  // RESOURCE_EXHAUSTED. Inputs are quoted bounded where they are used; this is the net
  // under lists (e.g. every error of a profile).
  return grpc::Status(
      static_cast<grpc::StatusCode>(status.code()),
      TruncateText(std::string_view(status.message().data(), status.message().size()),
                   kMaxStatusMessageBytes));
}

void FinishCall(grpc::CallbackServerContext* ctx, grpc::ServerUnaryReactor* reactor,
                const absl::Status& status) {
  if (IsLeaseRefusal(status)) {
    ctx->AddTrailingMetadata(RigServiceImpl::kRefusalMetadata, RigServiceImpl::kLeaseRefusal);
  }
  reactor->Finish(ToGrpcStatus(status));
}

RigServiceImpl::RigServiceImpl(DeviceClient* device, StreamPump* pump, RunManager* runs,
                               LeaseManager* lease, const AccessControl* access,
                               const LabStatusSource* lab)
    : device_(device), pump_(pump), runs_(runs), lease_(lease), access_(access), lab_(lab) {}

std::string RigServiceImpl::LeaseToken(grpc::CallbackServerContext* ctx) {
  const auto& md = ctx->client_metadata();
  auto it = md.find(kLeaseMetadata);
  return it == md.end() ? "" : std::string(it->second.data(), it->second.size());
}

absl::Status RigServiceImpl::CheckLease(grpc::CallbackServerContext* ctx) {
  return lease_->Check(LeaseToken(ctx));
}

grpc::ServerUnaryReactor* RigServiceImpl::WithLease(
    grpc::CallbackServerContext* ctx, const std::function<void(grpc::ServerUnaryReactor*)>& start) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (absl::Status s = CheckLease(ctx); !s.ok()) {
    FinishCall(ctx, reactor, s);
  } else {
    start(reactor);
  }
  return reactor;
}

absl::Status RigServiceImpl::CheckCanMove(const DeviceSnapshot& snap) const {
  if (snap.connection != rollrig::v1::CONNECTION_STATE_CONNECTED || !snap.info) {
    return absl::UnavailableError(ConnectionProblem(snap));
  }
  const bool estopped = (snap.faults & ((1u << rollrig::v1::FAULT_ESTOP_SOFTWARE) |
                                        (1u << rollrig::v1::FAULT_ESTOP_BUTTON) |
                                        (1u << rollrig::v1::FAULT_DOOR_OPEN))) != 0;
  if (snap.faults != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("the device is ", estopped ? "e-stopped" : "faulted", " (",
                     absl::StrJoin(rollrig::v1::FaultDisplayNames(snap.faults), ", "),
                     "); clear it first (rigctl clear)"));
  }
  if (snap.interlocks != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "interlock active (",
        absl::StrJoin(rollrig::v1::InterlockDisplayNames(snap.interlocks), ", "), ")"));
  }
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* RigServiceImpl::GetDeviceInfo(
    grpc::CallbackServerContext* ctx, const rollrig::v1::GetDeviceInfoRequest* /*req*/,
    rollrig::v1::GetDeviceInfoResponse* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (!AdmitOrRefuse(ctx, "GetDeviceInfo", reactor)) return reactor;
  const DeviceSnapshot snap = device_->Snapshot();
  resp->set_transport(snap.transport);
  if (!snap.info) {
    reactor->Finish(ToGrpcStatus(absl::UnavailableError(ConnectionProblem(snap))));
    return reactor;
  }
  *resp->mutable_device() = *snap.info;
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* RigServiceImpl::GetStatus(grpc::CallbackServerContext* ctx,
                                                    const rollrig::v1::GetStatusRequest* /*req*/,
                                                    rollrig::v1::RigStatus* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (!AdmitOrRefuse(ctx, "GetStatus", reactor)) return reactor;
  SnapshotToStatus(device_->Snapshot(), resp);
  if (lab_ != nullptr) lab_->FillStatus(resp);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* RigServiceImpl::GetUploads(grpc::CallbackServerContext* ctx,
                                                     const rollrig::v1::GetUploadsRequest*,
                                                     rollrig::v1::UploadStatus* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (!AdmitOrRefuse(ctx, "GetUploads", reactor)) return reactor;
  if (lab_ != nullptr) *resp = lab_->Uploads();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* RigServiceImpl::Jog(grpc::CallbackServerContext* ctx,
                                              const rollrig::v1::JogRequest* req,
                                              rollrig::v1::JogResponse* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const absl::StatusOr<Caller> caller = Admit(ctx, "Jog");
  const DeviceSnapshot snap = device_->Snapshot();
  // The lease last: a jog refused for anything else leaves it as it was.
  absl::Status ok = caller.status();
  if (ok.ok()) ok = CheckCanMove(snap);
  if (ok.ok()) ok = ValidateJog(*req, snap.info->capabilities());
  if (ok.ok()) {
    if (const std::string run = runs_->ActiveRunId(); !run.empty()) {
      ok = absl::FailedPreconditionError(
          absl::StrCat("run ", run, " is active; stop it before jogging (rigctl stop)"));
    }
  }
  if (ok.ok()) ok = CheckLease(ctx);
  if (!ok.ok()) {
    FinishCall(ctx, reactor, ok);
    return reactor;
  }
  std::vector<HostMessage> commands;
  if (req->has_head_deg()) {
    HostMessage& m = commands.emplace_back();
    m.mutable_set_head_angle()->set_deg(req->head_deg());
    m.mutable_set_head_angle()->set_max_rate_dps(req->head_max_rate_dps());
  }
  if (req->has_preload_n())
    commands.emplace_back().mutable_set_preload()->set_newtons(req->preload_n());
  if (req->has_roller_rpm()) {
    commands.emplace_back().mutable_set_roller_speed()->set_rpm(req->roller_rpm());
  }
  DeviceClient* device = device_;
  auto batch = std::make_shared<CommandBatch>(
      commands.size(),
      [this, reactor, resp, device, who = caller->identity, jog = *req](absl::Status s) {
        if (s.ok()) PublishJog(who, jog);
        SnapshotToStatus(device->Snapshot(), resp->mutable_status());
        reactor->Finish(ToGrpcStatus(s));
      });
  for (HostMessage& m : commands) device_->SendCommand(std::move(m), batch->Callback());
  return reactor;
}

void RigServiceImpl::PublishJog(const std::string& who, const rollrig::v1::JogRequest& jog) {
  std::vector<std::string> setpoints;
  if (jog.has_roller_rpm()) setpoints.push_back(absl::StrCat("roller ", jog.roller_rpm(), " rpm"));
  if (jog.has_head_deg()) setpoints.push_back(absl::StrCat("head ", jog.head_deg(), " deg"));
  if (jog.has_preload_n()) setpoints.push_back(absl::StrCat("preload ", jog.preload_n(), " N"));
  rollrig::v1::RigEvent event;
  event.set_kind(rollrig::v1::RIG_EVENT_JOG);
  event.set_who(who);
  event.set_message(absl::StrCat("jog by ", who, ": ", absl::StrJoin(setpoints, ", ")));
  {
    // A held jog button resends its command every 200 ms: one event while it is held.
    const int64_t now_ns = SteadyNanos();
    std::lock_guard<std::mutex> lock(jog_mu_);
    const bool repeat = event.message() == last_jog_ && now_ns - last_jog_ns_ < 1'000'000'000;
    last_jog_ = event.message();
    last_jog_ns_ = now_ns;
    if (repeat) return;
  }
  device_->events().Publish(std::move(event));
}

grpc::ServerUnaryReactor* RigServiceImpl::Stop(grpc::CallbackServerContext* ctx,
                                               const rollrig::v1::StopRequest* /*req*/,
                                               rollrig::v1::StopResponse* /*resp*/) {
  const absl::StatusOr<Caller> caller = Admit(ctx, "Stop");
  if (!caller.ok()) {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  // While a run moves the rig, stopping it is stopping the run, by the run's rule (its
  // owner, or an admin forcing): recorded as the run's stop, never ended unexplained.
  if (const std::string run = runs_->ActiveRunId(); !run.empty()) {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    runs_->StopRun(run, AsRunActor(*caller),
                   [ctx, reactor](absl::StatusOr<rollrig::v1::RunInfo> r) {
                     FinishCall(ctx, reactor, r.status());
                   });
    return reactor;
  }
  return WithLease(ctx, [&](grpc::ServerUnaryReactor* reactor) {
    HostMessage m;
    m.mutable_stop();
    device_->SendCommand(std::move(m),
                         [reactor](absl::Status s) { reactor->Finish(ToGrpcStatus(s)); });
  });
}

grpc::ServerUnaryReactor* RigServiceImpl::EStop(grpc::CallbackServerContext* ctx,
                                                const rollrig::v1::EStopRequest* req,
                                                rollrig::v1::EStopResponse* /*resp*/) {
  const int64_t received_ns = SteadyNanos();
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  // Observers may e-stop; with credentials configured, only an authenticated caller (an
  // open port must not let anyone stop every rig).
  const std::optional<Caller> caller = AdmitOrRefuse(ctx, "EStop", reactor);
  if (!caller) return reactor;
  // Then the device: always sent, whatever the state or the request carries; the record
  // comes after, as it costs time the roller would keep turning.
  device_->EStop(received_ns, [reactor](absl::Status s) { reactor->Finish(ToGrpcStatus(s)); });
  const EStopFields fields = BoundedEStopFields(*req, caller->identity);
  rollrig::v1::RigEvent event;
  event.set_kind(rollrig::v1::RIG_EVENT_ESTOP_REQUESTED);
  event.set_who(fields.who);
  event.set_reason(fields.reason);
  event.set_message(absl::StrCat("e-stop requested by ", fields.who,
                                 fields.reason.empty() ? "" : ": ", fields.reason));
  device_->events().Publish(std::move(event));
  return reactor;
}

grpc::ServerUnaryReactor* RigServiceImpl::ClearFault(grpc::CallbackServerContext* ctx,
                                                     const rollrig::v1::ClearFaultRequest* req,
                                                     rollrig::v1::ClearFaultResponse* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const absl::StatusOr<Caller> caller = Admit(ctx, "ClearFault");
  absl::Status checked = caller.status();
  if (checked.ok()) checked = CheckFieldSize("who", req->who(), kMaxIdentityBytes);
  if (checked.ok()) checked = CheckLease(ctx);
  if (!checked.ok()) {
    FinishCall(ctx, reactor, checked);
    return reactor;
  }
  const std::string who = RecordedWho(caller->identity, req->who());
  HostMessage m;
  m.mutable_clear_faults();
  DeviceClient* device = device_;
  device_->SendCommand(std::move(m), [reactor, resp, device, who](absl::Status s) {
    if (s.ok()) {
      rollrig::v1::RigEvent event;
      event.set_kind(rollrig::v1::RIG_EVENT_FAULTS_CLEARED);
      event.set_who(who);
      event.set_message(absl::StrCat("faults cleared by ", who));
      device->events().Publish(std::move(event));
    }
    SnapshotToStatus(device->Snapshot(), resp->mutable_status());
    reactor->Finish(ToGrpcStatus(s));
  });
  return reactor;
}

grpc::ServerWriteReactor<rollrig::v1::TelemetryChunk>* RigServiceImpl::StreamTelemetry(
    grpc::CallbackServerContext* ctx, const rollrig::v1::StreamTelemetryRequest* req) {
  return ServeStream<rollrig::v1::TelemetryChunk>(ctx, "StreamTelemetry", [&] {
    double rate = req->rate_hz();
    auto* stream = new TelemetryStream(device_, rate);
    if (!std::isfinite(rate) || rate < 0) {
      stream->RequestFinish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                         absl::StrCat("rate_hz must be >= 0, got ", rate)));
    }
    return stream;
  });
}

grpc::ServerWriteReactor<rollrig::v1::RigEvent>* RigServiceImpl::StreamEvents(
    grpc::CallbackServerContext* ctx, const rollrig::v1::StreamEventsRequest* req) {
  return ServeStream<rollrig::v1::RigEvent>(ctx, "StreamEvents", [&] {
    return new EventStream(device_, std::min<size_t>(req->recent(), EventHub::kHistory));
  });
}

}  // namespace rollrig::host
