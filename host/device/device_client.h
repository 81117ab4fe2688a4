// rigd's side of the device protocol over one Transport.
//
// Threads (DESIGN.md "Threads"):
// - the I/O thread only reads the transport and pushes raw chunks into a lock-free SPSC
//   ring (boost::lockfree); when the ring is full it stops reading (the device buffers),
//   it never drops bytes itself;
// - the dispatcher thread decodes frames, checks sample counters (gaps are counted and
//   published as events), publishes telemetry and events to the hubs, matches command
//   acknowledgements, times out commands, and sends heartbeats.
// Connection: Start() returns at once; the client opens the transport, says Hello and
// waits for DeviceInfo, and when the device is lost it reports it and keeps retrying.
//
// E-stop jumps every queue: EStop() puts it in a priority slot that the dispatcher empties
// before anything else it does (before decoding the next received chunk, before each
// queued command, before a heartbeat), so at most the one frame already being written
// is ahead of it on the transport. Its frame is small and bounded (no text; it fits one
// 64-byte USB packet).
// Oversized commands: a command whose frame would exceed the codec's maximum payload is
// refused (INVALID_ARGUMENT) before anything is sent; it never costs the device link.
//
// Thread safety: every public method may be called from any thread. SendCommand() and
// EStop() never block: their callbacks run on the dispatcher thread (keep them short,
// never block).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "host/device/event_hub.h"
#include "host/device/telemetry_hub.h"
#include "host/recording/sample.h"
#include "host/transport/transport.h"
#include "rollrig/v1/device.pb.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::host {

struct DeviceClientOptions {
  std::string host_name = "rigd";
  absl::Duration handshake_timeout = absl::Seconds(2);
  absl::Duration command_timeout = absl::Seconds(1);
  absl::Duration heartbeat_period = absl::Milliseconds(100);
  uint32_t watchdog_ms = 500;  // asked of the device in Hello
  absl::Duration reconnect_period = absl::Milliseconds(500);
  // Device-to-host silence (no bytes at all, though telemetry streams every 10 ms) after
  // which the device counts as lost.
  absl::Duration silence_timeout = absl::Seconds(2);
};

// A consistent copy of what the client knows, for status and validation.
// The last e-stop's way through the client, for latency measurement: both are
// std::chrono::steady_clock nanoseconds.
struct EStopTiming {
  int64_t requested_ns = 0;  // as given to EStop() (the RPC handler's entry)
  int64_t written_ns = 0;    // when its frame was handed to Transport::Write()
};

struct DeviceSnapshot {
  rollrig::v1::ConnectionState connection = rollrig::v1::CONNECTION_STATE_CONNECTING;
  std::string transport;  // Transport::Describe()
  std::string detail;     // why not connected, last error
  std::optional<rollrig::v1::DeviceInfo> info;
  rollrig::v1::DeviceState state = rollrig::v1::DEVICE_STATE_UNSPECIFIED;
  uint32_t faults = 0;
  uint32_t interlocks = 0;
  bool have_last = false;
  Sample last;
  uint64_t samples_received = 0;
  uint64_t samples_lost = 0;    // counter gaps between the device and the dispatcher
  uint64_t frames_dropped = 0;  // CRC errors and bad headers
  uint64_t bytes_dropped = 0;   // garbage skipped while resynchronising
  // The last setpoints the device acknowledged (what a jog left in force).
  double roller_rpm_target = 0;
  double head_deg_target = 0;
  double preload_n_target = 0;
  // The device program, from each telemetry batch (cycle and segment of its last sample;
  // 0 and -1 when no program runs).
  rollrig::v1::ProgramState program_state = rollrig::v1::PROGRAM_STATE_NONE;
  uint64_t program_id = 0;
  uint32_t cycle = 0;
  int32_t segment = -1;
};

class DeviceClient {
 public:
  DeviceClient(std::unique_ptr<Transport> transport, DeviceClientOptions options);
  ~DeviceClient();  // Stop()s
  DeviceClient(const DeviceClient&) = delete;
  DeviceClient& operator=(const DeviceClient&) = delete;

  // Starts the threads; connecting happens in the background.
  void Start();
  // Blocks until the handshake is done (OK) or `timeout` passes (UNAVAILABLE with the
  // reason, e.g. the transport's Open() error).
  absl::Status WaitConnected(absl::Duration timeout);
  // Joins the threads and closes the transport. Idempotent.
  void Stop();

  // Sends `msg` with a fresh command_id. `done` gets OK when the device acknowledges,
  // the refusal mapped to a status (OUT_OF_RANGE/BAD_REQUEST -> INVALID_ARGUMENT,
  // FAULT_LATCHED/INTERLOCK_ACTIVE/BUSY/CONDITION_PERSISTS -> FAILED_PRECONDITION,
  // UNSUPPORTED -> UNIMPLEMENTED, with the device's detail), DEADLINE_EXCEEDED after
  // command_timeout, or UNAVAILABLE when not connected. May be empty.
  void SendCommand(rollrig::v1::HostMessage msg, std::function<void(absl::Status)> done);
  // Blocking form for tools and tests (never from a gRPC reactor).
  absl::Status SendCommandAndWait(rollrig::v1::HostMessage msg);
  // Sends the e-stop ahead of every queued command (see above). `done` gets OK when the
  // device acknowledges it; UNAVAILABLE, saying the device's watchdog stops the motors
  // and within how long, when no device is connected to send it to. `requested_ns`
  // (steady_clock ns, 0 = now) is when the request arrived, for LastEStopTiming().
  void EStop(int64_t requested_ns, std::function<void(absl::Status)> done);
  // The latest e-stop that was handed to the transport, if any.
  std::optional<EStopTiming> LastEStopTiming() const;

  DeviceSnapshot Snapshot() const;
  TelemetryHub& telemetry() { return telemetry_; }
  EventHub& events() { return events_; }

 private:
  struct Impl;
  TelemetryHub telemetry_;
  EventHub events_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rollrig::host
