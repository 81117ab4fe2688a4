// rig-sim: the simulated massager, serving the device protocol over TCP; or, with
// --replay, a run's recording played back as the device.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "host/transport/mcap_replay_source.h"
#include "rig/base/clock.h"
#include "rig/sim/replay_runner.h"
#include "rig/sim/sim_runner.h"
#include "rig/sim/tcp_device_server.h"

namespace {

constexpr char kUsage[] =
    "usage: rig-sim [--listen HOST:PORT] [--seed N] [--tick-hz HZ] [--serial S]\n"
    "       rig-sim --replay RECORDING.mcap [--fast] [--listen HOST:PORT]\n"
    "  --listen HOST:PORT  where hosts connect (default 127.0.0.1:7001; port 0 = any free)\n"
    "  --seed N            seed of the sensor noise (default 1)\n"
    "  --tick-hz HZ        firmware control tick, 100..10000 Hz dividing 1000000 (default "
    "1000)\n"
    "  --serial S          serial number the device reports (default SIM-0001)\n"
    "  --replay FILE       play a run's recording back as the device: Hello gets the\n"
    "                      recorded DeviceInfo, the host's StartProgram starts playback\n"
    "  --fast              with --replay: as fast as the host reads, not in real time\n";

rollrig::sim::TcpDeviceServer* g_server = nullptr;

void InstallStopSignals();

// Serves `pipe` until a stop signal; the exit status.
int Serve(const std::string& listen, rollrig::sim::DevicePipe* pipe, const std::string& what) {
  auto server = rollrig::sim::TcpDeviceServer::Listen(listen, pipe);
  if (!server.ok()) {
    std::fprintf(stderr, "rig-sim: %s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  g_server = server->get();
  InstallStopSignals();
  std::printf("rig-sim: %s listening on %s\n", what.c_str(), (*server)->bound_address().c_str());
  std::fflush(stdout);
  const absl::Status served = (*server)->Serve();
  g_server = nullptr;
  if (!served.ok()) {
    std::fprintf(stderr, "rig-sim: %s\n", std::string(served.message()).c_str());
    return 1;
  }
  std::fprintf(stderr, "rig-sim: stopped\n");
  return 0;
}

void OnStopSignal(int) {
  if (g_server != nullptr) g_server->RequestStop();
}

void InstallStopSignals() {
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

int UsageError(const std::string& message) {
  std::fprintf(stderr, "rig-sim: %s\n%s", message.c_str(), kUsage);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:7001";
  rollrig::sim::SimOptions options;
  std::string replay;
  bool fast = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "--fast") {
      fast = true;
      continue;
    }
    std::string value;
    const size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    if (arg != "--listen" && arg != "--seed" && arg != "--tick-hz" && arg != "--serial" &&
        arg != "--replay") {
      return UsageError("unknown argument \"" + arg + "\"");
    }
    if (eq == std::string::npos) {
      if (i + 1 >= argc) return UsageError(arg + " wants a value");
      value = argv[++i];
    }
    if (arg == "--listen") {
      listen = value;
    } else if (arg == "--replay") {
      replay = value;
    } else if (arg == "--seed") {
      if (!absl::SimpleAtoi(value, &options.seed)) {
        return UsageError("--seed wants a non-negative integer, not \"" + value + "\"");
      }
    } else if (arg == "--tick-hz") {
      uint32_t hz = 0;
      if (!absl::SimpleAtoi(value, &hz) || hz < 100 || hz > 10000 || 1000000 % hz != 0) {
        return UsageError("--tick-hz wants 100..10000 Hz dividing 1000000, not \"" + value + "\"");
      }
      options.firmware.tick_hz = hz;
    } else if (arg == "--serial") {
      if (value.empty() || value.size() > 64) {
        return UsageError("--serial wants 1..64 characters");
      }
      options.serial = value;
    }
  }

  if (fast && replay.empty()) return UsageError("--fast goes with --replay");
  if (!replay.empty()) {
    auto source = rollrig::host::McapReplaySource::Open(replay);
    if (!source.ok()) {
      std::fprintf(stderr, "rig-sim: %s\n", std::string(source.status().message()).c_str());
      return 1;
    }
    const uint64_t samples = (*source)->samples_to_play();
    rollrig::sim::ReplayOptions replay_options;
    replay_options.fast = fast;
    rollrig::sim::ReplayRunner runner(std::move(*source), replay_options, rollrig::RealClock(),
                                      [](const std::string& note) {
                                        std::fprintf(stderr, "rig-sim: replay: %s\n", note.c_str());
                                      });
    runner.Start();
    const int status = Serve(listen, &runner,
                             "replaying " + replay + " (" + std::to_string(samples) + " samples" +
                                 (fast ? ", fast)" : ", real time)"));
    runner.Stop();
    return status;
  }

  rollrig::sim::SimRunner runner(options, rollrig::RealClock());
  auto server = rollrig::sim::TcpDeviceServer::Listen(listen, &runner);
  if (!server.ok()) {
    std::fprintf(stderr, "rig-sim: %s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  g_server = server->get();
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  runner.Start();
  std::printf("rig-sim: simulated massager %s listening on %s (tick %u Hz, seed %llu)\n",
              options.serial.c_str(), (*server)->bound_address().c_str(), options.firmware.tick_hz,
              static_cast<unsigned long long>(options.seed));
  std::fflush(stdout);

  const absl::Status served = (*server)->Serve();
  g_server = nullptr;
  runner.Stop();
  if (!served.ok()) {
    std::fprintf(stderr, "rig-sim: %s\n", std::string(served.message()).c_str());
    return 1;
  }
  std::fprintf(stderr, "rig-sim: stopped\n");
  return 0;
}
