// The in-process simulated massager as a Transport: rigd's `--device sim`.
//
// Owns a sim::SimRunner (a SimulatedDevice on its own thread, paced by a Clock). Open()
// starts the simulator the first time and gives every new connection clean pipes, like
// plugging a cable in; Close() only ends the connection: the simulated device keeps
// running (and its watchdog notices the silence), as a real one would (see
// DevicePipeTransport).
//
// Thread safety: as Transport. runner() is for tests' fault injection and inspection.
#pragma once

#include <memory>
#include <string>

#include "host/transport/device_pipe_transport.h"
#include "rig/base/clock.h"
#include "rig/sim/sim_runner.h"
#include "rig/sim/simulated_device.h"

namespace rollrig::host {

class SimTransport final : public DevicePipeTransport {
 public:
  // `clock` paces the simulator (RealClock() for real time, a ManualClock in tests); it
  // must outlive this transport.
  explicit SimTransport(const sim::SimOptions& options, Clock* clock = RealClock());
  ~SimTransport() override;

  std::string Describe() const override { return "sim"; }

  // The simulator behind this transport, for fault injection (WithDevice) in tests.
  sim::SimRunner& runner() { return *runner_; }

 private:
  sim::DevicePipe& pipe() override { return *runner_; }
  void StartDevice() override { runner_->Start(); }

  std::unique_ptr<sim::SimRunner> runner_;
};

}  // namespace rollrig::host
