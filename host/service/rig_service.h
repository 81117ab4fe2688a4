// rollrig.v1.RigService on gRPC's callback API. Handlers never block: unary calls finish
// from the device client's acknowledgement callbacks; streams are fed by the StreamPump.
//
// Thread safety: gRPC calls the handlers from its threads; all shared state lives in the
// DeviceClient (thread-safe) and the pump.
#pragma once

#include "grpcpp/grpcpp.h"
#include "host/device/device_client.h"
#include "host/service/stream_pump.h"
#include "rollrig/v1/rig_service.grpc.pb.h"

namespace rollrig::host {

// Maps an absl::Status onto the gRPC status with the same code and message.
grpc::Status ToGrpcStatus(const absl::Status& status);

class RigServiceImpl final : public rollrig::v1::RigService::CallbackService {
 public:
  // Neither is owned; both must outlive the service.
  RigServiceImpl(DeviceClient* device, StreamPump* pump);

  grpc::ServerUnaryReactor* GetDeviceInfo(grpc::CallbackServerContext* ctx,
                                          const rollrig::v1::GetDeviceInfoRequest* req,
                                          rollrig::v1::GetDeviceInfoResponse* resp) override;
  grpc::ServerUnaryReactor* GetStatus(grpc::CallbackServerContext* ctx,
                                      const rollrig::v1::GetStatusRequest* req,
                                      rollrig::v1::RigStatus* resp) override;
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

 private:
  // OK when a motion command may be sent: connected, nothing latched. Otherwise
  // UNAVAILABLE or FAILED_PRECONDITION with the reason.
  absl::Status CheckCanMove(const DeviceSnapshot& snap) const;

  DeviceClient* device_;
  StreamPump* pump_;
};

}  // namespace rollrig::host
