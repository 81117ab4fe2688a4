// Arming and settling the device for a run: release the preload and let the actuator
// settle before zeroing the load cell (tare), upload the program in parts, start it; and
// the bounded waits around a run: the device brought to rest, the watchdog's fault
// cleared, standstill before rigd exits.
//
// Every wait and timeout goes through the Clock seam, so tests run them in simulated time.
// Talks to the device only through RunDevice (DeviceClient in rigd, a fake in tests).
// Neither is owned; both must outlive this. Blocks its caller (the run thread); not
// thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "host/device/device_client.h"
#include "rig/base/clock.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::host {

// What a run asks of its device: its latest state, and commands it acknowledged.
class RunDevice {
 public:
  virtual ~RunDevice() = default;
  virtual DeviceSnapshot Snapshot() = 0;
  // Sends `msg` and waits for the device's acknowledgement.
  virtual absl::Status Command(rollrig::v1::HostMessage msg) = 0;
};

// RunDevice over a DeviceClient (not owned).
class DeviceClientRunDevice final : public RunDevice {
 public:
  explicit DeviceClientRunDevice(DeviceClient* device) : device_(device) {}
  DeviceSnapshot Snapshot() override { return device_->Snapshot(); }
  absl::Status Command(rollrig::v1::HostMessage msg) override {
    return device_->SendCommandAndWait(std::move(msg));
  }

 private:
  DeviceClient* device_;
};

// The bounds of the waits below.
struct ArmingTimeouts {
  absl::Duration preload_release = absl::Seconds(3);  // the force falling after a release
  absl::Duration settle = absl::Milliseconds(200);    // the actuator at rest before tare
  absl::Duration rest = absl::Seconds(10);            // a controlled stop to standstill
  absl::Duration clear_faults = absl::Seconds(5);     // the watchdog's fault refused (BUSY)
  absl::Duration poll = absl::Milliseconds(20);       // how often the device is looked at
  absl::Duration clear_retry = absl::Milliseconds(50);
};

class DeviceArming {
 public:
  DeviceArming(RunDevice* device, Clock* clock, ArmingTimeouts timeouts = {});

  // Tare with the pad unloaded: releases any preload a jog (or a program cut short) left,
  // waits (bounded) for the force to fall and the actuator to settle, then zeroes the
  // load cell.
  absl::Status ReleasePreloadAndTare();
  // Uploads `program` as program `program_id`, in parts that each fit a frame.
  absl::Status Upload(uint64_t program_id, const std::vector<rollrig::v1::ProgramSegment>& program);
  // Starts program `program_id` at `first_cycle`; `cycles` = 0 runs until stopped.
  absl::Status StartProgram(uint64_t program_id, uint32_t first_cycle, uint32_t cycles);

  // Ends whatever the device still does (program, jog) with a controlled stop and waits
  // (bounded) until it is at rest. UNAVAILABLE if the device is lost meanwhile.
  absl::Status BringToRest();
  // Clears the latched faults, retrying while the device refuses (it still brakes).
  absl::Status ClearFaults();
  // Stops the program at once and waits (bounded) until the roller stands still.
  void StopAndWaitForStandstill(absl::Duration timeout);

 private:
  // Polls `done` until it holds or `timeout` passes; true if it held.
  bool WaitUntil(absl::Duration timeout, const std::function<bool()>& done);
  void Sleep(absl::Duration d);

  RunDevice* device_;
  Clock* clock_;
  const ArmingTimeouts timeouts_;
};

}  // namespace rollrig::host
