// The gRPC server of rigd: RigService, grpc.health.v1 and server reflection on one port.
// SO_REUSEPORT is off, so a second rigd on a taken port fails loudly instead of silently
// sharing it (an e-stop must never reach the wrong rig). Listening beyond loopback needs
// TLS and credentials; on loopback, both are optional.
//
// Thread safety: Start/Shutdown from one controlling thread.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "host/device/device_client.h"
#include "host/security/access_control.h"
#include "host/security/tls_files.h"
#include "host/service/lab_status.h"
#include "host/service/rig_service.h"
#include "host/service/stream_pump.h"

namespace rollrig::host {

struct RigServerOptions {
  std::string listen = "127.0.0.1:50051";  // port 0 picks a free one
  // TLS: rigd's certificate and key, and with a client CA, client certificates are asked
  // for and verified when given (token clients need none). nullopt: plaintext.
  std::optional<TlsServerPem> tls;
  // The credentials every call is admitted by (not owned; must outlive the server).
  // nullptr: none configured, loopback only.
  const AccessControl* access = nullptr;
  // The lab services' state for GetStatus and GetUploads (not owned; must outlive the
  // server). nullptr: none run (GetUploads answers enabled = false).
  const LabStatusSource* lab = nullptr;
};

class RigServer {
 public:
  // None is owned; all must outlive the server.
  RigServer(DeviceClient* device, RunManager* runs, LeaseManager* lease, RigServerOptions options);
  ~RigServer();  // Shutdown()s

  // Binds and starts serving. Errors: INVALID_ARGUMENT for a malformed address or a
  // non-loopback one without TLS and credentials, UNAVAILABLE "address in use" (naming
  // it) when the port is taken.
  absl::Status Start();
  // The bound port (after Start).
  int port() const { return port_; }
  std::string address() const;
  // Ends open streams (telling clients rigd is shutting down), then stops the server.
  void Shutdown(absl::Duration grace = absl::Seconds(2));

 private:
  DeviceClient* device_;
  RunManager* runs_;
  LeaseManager* lease_;
  RigServerOptions options_;
  StreamPump pump_;
  std::unique_ptr<RigServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string host_;
  int port_ = 0;
};

// OK when `options.listen` is a HOST:PORT that is free now, and loopback unless TLS and
// credentials are given (checked early, so a second rigd on a taken port says so before
// anything else). Errors as RigServer::Start; the refusal of an open address says how
// to set TLS and credentials up.
absl::Status CheckListenAddress(const RigServerOptions& options);

// Splits "HOST:PORT" ("[::1]:PORT" for IPv6). INVALID_ARGUMENT naming the problem.
absl::Status ParseHostPort(const std::string& address, std::string* host, int* port);
// 127.x.y.z, ::1 or localhost.
bool IsLoopbackHost(const std::string& host);
// UNAVAILABLE "cannot listen on HOST:PORT: address already in use ..." when a live listener
// holds the port (port 0: always OK); other bind errors are left to the real bind.
absl::Status ProbeListenPort(const std::string& host, int port);

}  // namespace rollrig::host
