// rollrig.v1.RigService on gRPC's callback API. Handlers never block: unary calls finish
// from the device client's acknowledgement callbacks; streams are fed by the StreamPump.
// Every call is admitted first (Admit): with credentials configured, by its token or
// verified client certificate and the role its method needs (host/security/rpc_roles.h);
// without, the caller is the OS account the client states, as admin.
//
// Thread safety: gRPC calls the handlers from its threads; all shared state lives in the
// DeviceClient (thread-safe) and the pump.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "grpcpp/grpcpp.h"
#include "host/device/device_client.h"
#include "host/runs/lease_manager.h"
#include "host/runs/run_manager.h"
#include "host/security/access_control.h"
#include "host/security/caller.h"
#include "host/service/lab_status.h"
#include "host/service/stream_pump.h"
#include "rollrig/v1/rig_service.grpc.pb.h"

namespace rollrig::host {

// Maps an absl::Status onto the gRPC status with the same code and message.
grpc::Status ToGrpcStatus(const absl::Status& status);
// Finishes a unary call with `status`. A refusal for want of the control lease alone
// (IsLeaseRefusal) also says so in the trailing metadata (kRefusalMetadata: "lease"), so a
// client can take the lease and retry without reading the message.
void FinishCall(grpc::CallbackServerContext* ctx, grpc::ServerUnaryReactor* reactor,
                const absl::Status& status);
// The run manager's view of an admitted caller (host/runs knows nothing of roles).
RunActor AsRunActor(const Caller& caller);

class HistoryServer;  // rig_service_history.cc

class RigServiceImpl final : public rollrig::v1::RigService::CallbackService {
 public:
  // None is owned; all must outlive the service. Without `access` (no credentials
  // configured: loopback only) every caller is admitted as admin under the OS account it
  // states.
  RigServiceImpl(DeviceClient* device, StreamPump* pump, RunManager* runs, LeaseManager* lease,
                 const AccessControl* access = nullptr, const LabStatusSource* lab = nullptr);

  grpc::ServerUnaryReactor* GetDeviceInfo(grpc::CallbackServerContext* ctx,
                                          const rollrig::v1::GetDeviceInfoRequest* req,
                                          rollrig::v1::GetDeviceInfoResponse* resp) override;
  grpc::ServerUnaryReactor* GetStatus(grpc::CallbackServerContext* ctx,
                                      const rollrig::v1::GetStatusRequest* req,
                                      rollrig::v1::RigStatus* resp) override;
  grpc::ServerUnaryReactor* GetUploads(grpc::CallbackServerContext* ctx,
                                       const rollrig::v1::GetUploadsRequest* req,
                                       rollrig::v1::UploadStatus* resp) override;
  grpc::ServerUnaryReactor* Jog(grpc::CallbackServerContext* ctx,
                                const rollrig::v1::JogRequest* req,
                                rollrig::v1::JogResponse* resp) override;
  grpc::ServerUnaryReactor* Stop(grpc::CallbackServerContext* ctx,
                                 const rollrig::v1::StopRequest* req,
                                 rollrig::v1::StopResponse* resp) override;
  grpc::ServerUnaryReactor* EStop(grpc::CallbackServerContext* ctx,
                                  const rollrig::v1::EStopRequest* req,
                                  rollrig::v1::EStopResponse* resp) override;
  grpc::ServerUnaryReactor* ClearFault(grpc::CallbackServerContext* ctx,
                                       const rollrig::v1::ClearFaultRequest* req,
                                       rollrig::v1::ClearFaultResponse* resp) override;
  grpc::ServerWriteReactor<rollrig::v1::TelemetryChunk>* StreamTelemetry(
      grpc::CallbackServerContext* ctx, const rollrig::v1::StreamTelemetryRequest* req) override;
  grpc::ServerWriteReactor<rollrig::v1::RigEvent>* StreamEvents(
      grpc::CallbackServerContext* ctx, const rollrig::v1::StreamEventsRequest* req) override;

  // Profiles, runs, lease and fault injection (rig_service_runs.cc).
  grpc::ServerUnaryReactor* ListPresets(grpc::CallbackServerContext* ctx,
                                        const rollrig::v1::ListPresetsRequest* req,
                                        rollrig::v1::ListPresetsResponse* resp) override;
  grpc::ServerUnaryReactor* ValidateProfile(grpc::CallbackServerContext* ctx,
                                            const rollrig::v1::ValidateProfileRequest* req,
                                            rollrig::v1::ValidateProfileResponse* resp) override;
  grpc::ServerUnaryReactor* StartRun(grpc::CallbackServerContext* ctx,
                                     const rollrig::v1::StartRunRequest* req,
                                     rollrig::v1::RunInfo* resp) override;
  grpc::ServerUnaryReactor* PauseRun(grpc::CallbackServerContext* ctx,
                                     const rollrig::v1::RunRequest* req,
                                     rollrig::v1::RunInfo* resp) override;
  grpc::ServerUnaryReactor* ResumeRun(grpc::CallbackServerContext* ctx,
                                      const rollrig::v1::RunRequest* req,
                                      rollrig::v1::RunInfo* resp) override;
  grpc::ServerUnaryReactor* StopRun(grpc::CallbackServerContext* ctx,
                                    const rollrig::v1::RunRequest* req,
                                    rollrig::v1::RunInfo* resp) override;
  grpc::ServerUnaryReactor* GetRun(grpc::CallbackServerContext* ctx,
                                   const rollrig::v1::RunRequest* req,
                                   rollrig::v1::RunInfo* resp) override;
  grpc::ServerUnaryReactor* ListRuns(grpc::CallbackServerContext* ctx,
                                     const rollrig::v1::ListRunsRequest* req,
                                     rollrig::v1::ListRunsResponse* resp) override;
  grpc::ServerWriteReactor<rollrig::v1::RunInfo>* WatchRun(
      grpc::CallbackServerContext* ctx, const rollrig::v1::RunRequest* req) override;
  grpc::ServerUnaryReactor* GetCycles(grpc::CallbackServerContext* ctx,
                                      const rollrig::v1::GetCyclesRequest* req,
                                      rollrig::v1::GetCyclesResponse* resp) override;
  // Recordings (rig_service_recordings.cc).
  grpc::ServerWriteReactor<rollrig::v1::RecordingChunk>* DownloadRecording(
      grpc::CallbackServerContext* ctx, const rollrig::v1::DownloadRecordingRequest* req) override;
  // A run's history, read on a thread of its own (rig_service_history.cc).
  grpc::ServerUnaryReactor* GetRunHistory(grpc::CallbackServerContext* ctx,
                                          const rollrig::v1::GetRunHistoryRequest* req,
                                          rollrig::v1::RunHistory* resp) override;
  // The run report, rendered from the run's files (rig_service_report.cc).
  grpc::ServerWriteReactor<rollrig::v1::ReportChunk>* GetRunReport(
      grpc::CallbackServerContext* ctx, const rollrig::v1::GetRunReportRequest* req) override;
  grpc::ServerUnaryReactor* AcquireLease(grpc::CallbackServerContext* ctx,
                                         const rollrig::v1::AcquireLeaseRequest* req,
                                         rollrig::v1::LeaseInfo* resp) override;
  grpc::ServerUnaryReactor* RenewLease(grpc::CallbackServerContext* ctx,
                                       const rollrig::v1::LeaseRequest* req,
                                       rollrig::v1::LeaseInfo* resp) override;
  grpc::ServerUnaryReactor* ReleaseLease(grpc::CallbackServerContext* ctx,
                                         const rollrig::v1::LeaseRequest* req,
                                         rollrig::v1::LeaseInfo* resp) override;
  grpc::ServerUnaryReactor* GetLease(grpc::CallbackServerContext* ctx,
                                     const rollrig::v1::GetLeaseRequest* req,
                                     rollrig::v1::LeaseInfo* resp) override;
  grpc::ServerUnaryReactor* InjectFault(grpc::CallbackServerContext* ctx,
                                        const rollrig::v1::InjectFaultRequest* req,
                                        rollrig::v1::InjectFaultResponse* resp) override;

  // The metadata key that carries the lease token.
  static constexpr char kLeaseMetadata[] = "rollrig-lease";
  // The metadata key in which a client states its OS account (user@host): the identity on
  // loopback without credentials.
  static constexpr char kStatedUserMetadata[] = "rollrig-user";
  // The trailing metadata key that marks a refusal for want of the control lease alone.
  static constexpr char kRefusalMetadata[] = "rollrig-refusal";
  static constexpr char kLeaseRefusal[] = "lease";

 private:
  // Who makes this call of `method` (the RPC's name, e.g. "Jog"), or why they may not:
  // UNAUTHENTICATED (no or bad credential), PERMISSION_DENIED naming the role needed.
  absl::StatusOr<Caller> Admit(grpc::CallbackServerContext* ctx, std::string_view method);
  // Admit for a unary call: the caller, or nullopt after finishing `reactor` with why not.
  std::optional<Caller> AdmitOrRefuse(grpc::CallbackServerContext* ctx, std::string_view method,
                                      grpc::ServerUnaryReactor* reactor);
  // Admits a streaming call: if refused, a reactor that finishes with why. Otherwise the
  // stream `make` returns, which the pump ends once the call's credential no longer
  // admits it.
  template <typename Message>
  grpc::ServerWriteReactor<Message>* ServeStream(
      grpc::CallbackServerContext* ctx, std::string_view method,
      const std::function<PumpedWriter<Message>*()>& make) {
    if (absl::StatusOr<Caller> caller = Admit(ctx, method); !caller.ok()) {
      return new RefusedWriter<Message>(ToGrpcStatus(caller.status()));
    }
    PumpedWriter<Message>* stream = make();
    stream->set_admission(StreamAdmission(ctx, method));
    pump_->Add(stream);
    return stream;
  }
  // How the pump re-checks a stream admitted now (empty without credentials).
  std::function<grpc::Status()> StreamAdmission(grpc::CallbackServerContext* ctx,
                                                std::string_view method) const;
  // OK when the call carries the current lease token (renewing it).
  absl::Status CheckLease(grpc::CallbackServerContext* ctx);
  // The lease token the call carries ("" if none).
  static std::string LeaseToken(grpc::CallbackServerContext* ctx);
  // Runs `start(reactor)` if the call holds the lease; otherwise finishes it with why not.
  grpc::ServerUnaryReactor* WithLease(grpc::CallbackServerContext* ctx,
                                      const std::function<void(grpc::ServerUnaryReactor*)>& start);
  // OK when a motion command may be sent: connected, nothing latched. Otherwise
  // UNAVAILABLE or FAILED_PRECONDITION with the reason.
  absl::Status CheckCanMove(const DeviceSnapshot& snap) const;

  // Publishes "jog by WHO: SETPOINTS" unless it repeats the last one within a second.
  void PublishJog(const std::string& who, const rollrig::v1::JogRequest& jog);

  DeviceClient* device_;
  StreamPump* pump_;
  RunManager* runs_;
  LeaseManager* lease_;
  const AccessControl* access_;
  const LabStatusSource* lab_;  // nullptr: no lab services
  std::once_flag history_once_;
  std::shared_ptr<HistoryServer> history_;  // started by the first history call
  std::mutex jog_mu_;
  std::string last_jog_;     // the last jog's message
  int64_t last_jog_ns_ = 0;  // and when (steady clock)
};

}  // namespace rollrig::host
