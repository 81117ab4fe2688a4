// rigd --resume-interrupted: at rigd's start, the newest interrupted run (a crash, a
// power cut, a systemd restart at night) is resumed by rigd itself once a device is
// connected, as `rigctl run --resume ID` would: one try per start. Both outcomes are
// logged and published as a run event; a resume that fails says why and leaves the run
// INTERRUPTED, for a person to resume (or not) by hand.
//
// Threads: one thread of its own waits for the device and asks the RunManager; the
// destructor ends the wait and joins it (before the manager shuts down).
#pragma once

#include <atomic>
#include <functional>
#include <future>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "host/device/device_client.h"
#include "host/runs/run_manager.h"

namespace rollrig::host {

class InterruptedRunResumer {
 public:
  using Log = std::function<void(const std::string&)>;

  // Neither owned; both outlive the resumer.
  InterruptedRunResumer(DeviceClient* device, RunManager* runs, Log log);
  ~InterruptedRunResumer();

  void Start();
  // The try's outcome: OK when a run was resumed or none was interrupted (for tests).
  // DEADLINE_EXCEEDED when it is not over within `timeout`.
  absl::Status WaitDone(absl::Duration timeout);

 private:
  void Run();
  void Report(const std::string& run_id, rollrig::v1::RunState state, const std::string& message);

  DeviceClient* device_;
  RunManager* runs_;
  Log log_;
  std::atomic<bool> stopping_{false};
  std::promise<absl::Status> done_;
  std::shared_future<absl::Status> outcome_;
  std::thread thread_;
};

}  // namespace rollrig::host
