// rig-sim: the simulated massager, serving the device protocol over TCP.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "rig/base/clock.h"
#include "rig/sim/sim_runner.h"
#include "rig/sim/tcp_device_server.h"

namespace {

constexpr char kUsage[] =
    "usage: rig-sim [--listen HOST:PORT] [--seed N] [--tick-hz HZ] [--serial S]\n"
    "  --listen HOST:PORT  where hosts connect (default 127.0.0.1:7001; port 0 = any free)\n"
    "  --seed N            seed of the sensor noise (default 1)\n"
    "  --tick-hz HZ        firmware control tick, 100..10000 Hz dividing 1000000 (default "
    "1000)\n"
    "  --serial S          serial number the device reports (default SIM-0001)\n";

rollrig::sim::TcpDeviceServer* g_server = nullptr;

void OnStopSignal(int) {
  if (g_server != nullptr) g_server->RequestStop();
}

int UsageError(const std::string& message) {
  std::fprintf(stderr, "rig-sim: %s\n%s", message.c_str(), kUsage);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:7001";
  rollrig::sim::SimOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    std::string value;
    const size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    if (arg != "--listen" && arg != "--seed" && arg != "--tick-hz" && arg != "--serial") {
      return UsageError("unknown argument \"" + arg + "\"");
    }
    if (eq == std::string::npos) {
      if (i + 1 >= argc) return UsageError(arg + " wants a value");
      value = argv[++i];
    }
    if (arg == "--listen") {
      listen = value;
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
