// rigd: owns the device, serves rollrig.v1.RigService on gRPC.
#include <pthread.h>
#include <signal.h>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "host/device/device_client.h"
#include "host/rigd/rigd_options.h"
#include "host/service/rig_server.h"
#include "host/transport/transport_factory.h"

namespace rollrig::host {
namespace {

void Log(const std::string& line) { std::cerr << "rigd: " << line << std::endl; }

// Stops the motors before rigd goes: a controlled ramp-down, then bridge off. Waits for
// standstill (bounded), so the roller is not left turning on the device's watchdog alone.
void StopMotors(DeviceClient* device) {
  const DeviceSnapshot before = device->Snapshot();
  if (before.connection != rollrig::v1::CONNECTION_STATE_CONNECTED) return;
  rollrig::v1::HostMessage stop;
  stop.mutable_stop();
  if (absl::Status s = device->SendCommandAndWait(stop);
      !s.ok() && !absl::IsFailedPrecondition(s)) {
    Log(absl::StrCat("stop command failed: ", s.message(), "; e-stopping"));
    rollrig::v1::HostMessage estop;
    estop.mutable_estop()->set_reason("rigd shutting down");
    (void)device->SendCommandAndWait(estop);
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(3);
  while (absl::Now() < deadline) {
    const DeviceSnapshot snap = device->Snapshot();
    if (snap.connection != rollrig::v1::CONNECTION_STATE_CONNECTED) return;
    if (snap.have_last && std::fabs(snap.last.roller_rpm) < 0.5 &&
        snap.state != rollrig::v1::DEVICE_STATE_ACTIVE &&
        snap.state != rollrig::v1::DEVICE_STATE_STOPPING) {
      Log("motors stopped");
      return;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  Log("the roller did not report standstill within 3 s; the device watchdog takes over");
}

int Main(int argc, char** argv) {
  absl::StatusOr<RigdOptions> options =
      ParseRigdOptions(std::vector<std::string>(argv + 1, argv + argc));
  if (!options.ok()) {
    std::cerr << "rigd: " << options.status().message() << "\n" << kRigdUsage;
    return 2;
  }
  if (options->help) {
    std::cout << kRigdUsage;
    return 0;
  }

  // Signals are taken by one thread with sigwait(); every other thread has them blocked.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  sim::SimOptions sim_options;
  sim_options.seed = options->seed;
  sim_options.serial = options->serial;
  sim_options.firmware.tick_hz = options->tick_hz;
  absl::StatusOr<std::unique_ptr<Transport>> transport =
      MakeTransport(options->device, sim_options);
  if (!transport.ok()) {
    std::cerr << "rigd: " << transport.status().message() << "\n";
    return 2;
  }
  DeviceClientOptions client_options;
  client_options.host_name = "rigd";
  DeviceClient device(*std::move(transport), client_options);
  device.Start();

  RigServerOptions server_options;
  server_options.listen = options->listen;
  RigServer server(&device, server_options);
  if (absl::Status s = server.Start(); !s.ok()) {
    std::cerr << "rigd: " << s.message() << "\n";
    device.Stop();
    return 1;
  }
  if (absl::Status s = device.WaitConnected(absl::Seconds(3)); s.ok()) {
    const DeviceSnapshot snap = device.Snapshot();
    Log(absl::StrCat("device ", snap.transport, ": ", snap.info->vendor(), " ", snap.info->model(),
                     " serial ", snap.info->serial(), ", firmware ",
                     snap.info->firmware_version()));
  } else {
    Log(absl::StrCat("device ", options->device, " not connected yet (", s.message(),
                     "); serving anyway and retrying"));
  }
  Log(absl::StrCat("serving rollrig.v1.RigService on ", server.address()));

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  Log(absl::StrCat(signal_number == SIGINT ? "SIGINT" : "SIGTERM",
                   " received: stopping the motors, then shutting down"));
  StopMotors(&device);
  server.Shutdown();
  device.Stop();
  Log("stopped");
  return 0;
}

}  // namespace
}  // namespace rollrig::host

int main(int argc, char** argv) { return rollrig::host::Main(argc, argv); }
