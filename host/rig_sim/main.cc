// rig-sim: the simulated massager, serving the device protocol over TCP; or, with
// --replay, a run's recording played back as the device; or, with --usb, presented as an
// emulated USB device to a COMMAND run inside umockdev's emulated environment.
// The main combines rig/ (the simulator and its USB face) with the host's recording
// reader for --replay, so it sits in host/; the rig libraries it calls include no host code.
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "host/profile_loader/profile_loader.h"
#include "host/transport/mcap_replay_source.h"
#include "rig/base/clock.h"
#include "rig/base/command_line.h"
#include "rig/sim/replay_runner.h"
#include "rig/sim/sim_runner.h"
#include "rig/sim/tcp_device_server.h"
#include "rig/usb/control_server.h"
#include "rig/usb/umockdev_preload.h"
#include "rig/usb/usb_emulator.h"
#include "rig/usb/usb_rig_commands.h"

namespace {

const std::vector<rollrig::OptionSpec>& RigSimOptionSpecs() {
  static const std::vector<rollrig::OptionSpec> kOptions = {
      {"--listen", "HOST:PORT", "where hosts connect (default 127.0.0.1:7001; port 0 = any free)"},
      {"--seed", "N", "seed of the sensor noise (default 1)"},
      {"--tick-hz", "HZ", "firmware control tick, 100..10000 Hz dividing 1000000 (default 1000)"},
      {"--serial", "S", "serial number the device reports (default SIM-0001)"},
      {"--replay", "FILE",
       "play a run's recording back as the device: Hello gets the\n"
       "recorded DeviceInfo, the host's StartProgram starts playback"},
      {"--fast", "", "with --replay: as fast as the host reads, not in real time"},
      {"--usb", "",
       "present the simulated massager (real time) as a full-speed USB\n"
       "device (default 1209:0001, serial = --serial) through umockdev,\n"
       "and run COMMAND inside that emulated environment:\n"
       "rig-sim --usb [OPTIONS] -- COMMAND [ARGS...], e.g.\n"
       "rig-sim --usb -- rigd --device usb. Exits with COMMAND's status\n"
       "(128+N if a signal N ended it); SIGINT/SIGTERM are forwarded to\n"
       "COMMAND (SIGKILL after 3 s); COMMAND ends if rig-sim dies."},
      {"--vid-pid", "V:P", "with --usb: the USB vendor:product IDs, 4 hex digits each"},
      {"--unplugged", "", "with --usb: start with the device unplugged (plug it with --control)"},
      {"--control", "SOCKET",
       "with --usb: a UNIX stream socket for scripted faults, one command\n"
       "per line, one reply line each (\"ok ...\" or \"error: ...\"):\n"
       "  unplug | plug | replug MS | reset (firmware reboot and USB\n"
       "  re-enumeration) | hang (firmware stops; its hardware\n"
       "  watchdog resets it within 50 ms: bridge off, reboot and\n"
       "  re-enumeration) | stats"},
      {"--help", "", "this help"},
      {"-h", "", ""},
  };
  return kOptions;
}

std::string RigSimUsage() {
  return rollrig::CommandLineHelp("rig-sim", RigSimOptionSpecs()) +
         "\nThree ways to run: the simulator over TCP (--listen), a recording (--replay FILE\n"
         "[--fast]), or the simulator over emulated USB (--usb ... -- COMMAND [ARGS...]).\n";
}

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
  std::fprintf(stderr, "rig-sim: %s\n%s", message.c_str(), RigSimUsage().c_str());
  return 2;
}

// Parses "VVVV:PPPP" (hex).
bool ParseVidPid(const std::string& text, uint16_t* vid, uint16_t* pid) {
  if (text.size() != 9 || text[4] != ':') return false;
  const auto hex4 = [](const std::string& part, uint16_t* out) {
    uint32_t value = 0;
    for (char c : part) {
      if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
    }
    if (!absl::SimpleHexAtoi(part, &value) || value > 0xffff) return false;
    *out = static_cast<uint16_t>(value);
    return true;
  };
  return hex4(text.substr(0, 4), vid) && hex4(text.substr(5, 4), pid);
}

// The signals rig-sim --usb handles in its main loop (blocked everywhere else).
sigset_t UsbLoopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGCHLD);
  return set;
}

// Starts COMMAND in the emulated environment; its pid, or -1.
pid_t SpawnCommand(const std::vector<std::string>& command) {
  const pid_t parent = getpid();
  const pid_t child = fork();
  if (child != 0) return child;
  // The child: ends with rig-sim, takes default signal handling, runs COMMAND.
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) _exit(127);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
#if defined(__SANITIZE_ADDRESS__)
  // A sanitized rig-sim preloads the ASan runtime; COMMAND need not be sanitized.
  if (const char* preload = getenv("LD_PRELOAD"); preload != nullptr) {
    std::string kept;
    const std::vector<std::string> parts = absl::StrSplit(preload, ':', absl::SkipEmpty());
    for (const std::string& part : parts) {
      if (part.find("libasan.so") != std::string::npos) continue;
      kept += (kept.empty() ? "" : ":") + part;
    }
    setenv("LD_PRELOAD", kept.c_str(), 1);
    setenv("ASAN_OPTIONS",
           (std::string(getenv("ASAN_OPTIONS") != nullptr ? getenv("ASAN_OPTIONS") : "") +
            ":verify_asan_link_order=0")
               .c_str(),
           1);
  }
#endif
  std::vector<char*> args;
  for (const std::string& a : command) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  std::fprintf(stderr, "rig-sim: cannot run %s: %s\n", args[0], std::strerror(errno));
  _exit(127);
}

struct UsbModeOptions {
  rollrig::usb::UsbEmulatorOptions emulator;
  std::string control;
  std::vector<std::string> command;
};

// rig-sim --usb: the exit status (COMMAND's).
int RunUsb(const rollrig::sim::SimOptions& options, const UsbModeOptions& usb) {
  // Block the loop's signals before any thread starts, so that all threads inherit it.
  const sigset_t loop_signals = UsbLoopSignals();
  sigprocmask(SIG_BLOCK, &loop_signals, nullptr);

  rollrig::sim::SimRunner runner(options, rollrig::RealClock());
  runner.Start();
  auto emulator = rollrig::usb::UsbEmulator::Create(&runner, usb.emulator);
  if (!emulator.ok()) {
    std::fprintf(stderr, "rig-sim: %s\n", std::string(emulator.status().message()).c_str());
    runner.Stop();
    return 1;
  }
  rollrig::usb::UsbRigCommands commands(emulator->get(), &runner);
  std::unique_ptr<rollrig::usb::ControlServer> control;
  if (!usb.control.empty()) {
    auto server = rollrig::usb::ControlServer::Start(
        usb.control, [&commands](const std::string& line) { return commands.Execute(line); });
    if (!server.ok()) {
      std::fprintf(stderr, "rig-sim: %s\n", std::string(server.status().message()).c_str());
      emulator->reset();
      runner.Stop();
      return 1;
    }
    control = std::move(*server);
  }
  // The microcontroller's USB peripheral resets with it: a hardware-watchdog reset
  // re-enumerates the device, as a real one does.
  runner.SetWatchdogResetListener([em = emulator->get()] {
    if (em->plugged()) em->Reset();
  });
  std::fprintf(stderr,
               "rig-sim: simulated massager %s on emulated USB %04x:%04x %s(tick %u Hz, seed "
               "%llu)%s%s\n",
               options.serial.c_str(), usb.emulator.identity.vendor_id,
               usb.emulator.identity.product_id,
               (*emulator)->plugged() ? ((*emulator)->device_node() + " ").c_str() : "unplugged ",
               options.firmware.tick_hz, static_cast<unsigned long long>(options.seed),
               usb.control.empty() ? "" : ", control socket ", usb.control.c_str());

  const pid_t child = SpawnCommand(usb.command);
  int exit_status = 1;
  if (child < 0) {
    std::fprintf(stderr, "rig-sim: cannot start %s: %s\n", usb.command[0].c_str(),
                 std::strerror(errno));
  } else {
    // Keep the emulator alive until COMMAND is reaped: umockdev's preload ends a client
    // whose emulator goes away.
    using Clock = std::chrono::steady_clock;
    bool kill_armed = false;
    Clock::time_point kill_at;
    while (true) {
      int status = 0;
      const pid_t done = waitpid(child, &status, WNOHANG);
      if (done == child) {
        exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        break;
      }
      if (kill_armed && Clock::now() >= kill_at) {
        std::fprintf(stderr, "rig-sim: %s did not exit within 3 s of the signal; killing it\n",
                     usb.command[0].c_str());
        kill(child, SIGKILL);
        kill_armed = false;
      }
      const timespec wait{0, 100'000'000};
      siginfo_t info{};
      const int sig = sigtimedwait(&loop_signals, &info, &wait);
      if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
        kill(child, sig);
        if (!kill_armed) {
          kill_armed = true;
          kill_at = Clock::now() + std::chrono::seconds(3);
        }
      }
    }
  }
  control.reset();
  runner.SetWatchdogResetListener(nullptr);
  emulator->reset();
  runner.Stop();
  return exit_status;
}

}  // namespace

struct RigSimOptions {
  std::string listen = "127.0.0.1:7001";
  bool listen_given = false;
  rollrig::sim::SimOptions sim;
  std::string replay;
  bool fast = false;
  bool usb = false;
  bool usb_only_option = false;  // --vid-pid, --unplugged or --control
  UsbModeOptions usb_options;
  bool help = false;
};

// The device options: seed, tick and serial (rig-sim's own wording of a bad value).
absl::Status ReadDeviceOptions(const rollrig::CommandLine& line, rollrig::sim::SimOptions* sim) {
  if (!line.ReadInteger<uint64_t>("--seed", 0, UINT64_MAX, &sim->seed).ok()) {
    return absl::InvalidArgumentError("--seed wants a non-negative integer, not \"" +
                                      line.value("--seed") + "\"");
  }
  uint32_t hz = sim->firmware.tick_hz;
  if (!line.ReadInteger<uint32_t>("--tick-hz", 100, 10000, &hz).ok() || 1000000 % hz != 0) {
    return absl::InvalidArgumentError("--tick-hz wants 100..10000 Hz dividing 1000000, not \"" +
                                      line.value("--tick-hz") + "\"");
  }
  sim->firmware.tick_hz = hz;
  sim->serial = line.value("--serial", sim->serial);
  if (sim->serial.empty() || sim->serial.size() > 64) {
    return absl::InvalidArgumentError("--serial wants 1..64 characters");
  }
  return absl::OkStatus();
}

// The --usb mode's options: the IDs, the control socket, plugged or not.
absl::Status ReadUsbOptions(const rollrig::CommandLine& line, UsbModeOptions* usb) {
  const std::string vid_pid = line.value("--vid-pid");
  if (line.has("--vid-pid") && !ParseVidPid(vid_pid, &usb->emulator.identity.vendor_id,
                                            &usb->emulator.identity.product_id)) {
    return absl::InvalidArgumentError("--vid-pid wants VVVV:PPPP in hex (e.g. 1209:0001), not \"" +
                                      vid_pid + "\"");
  }
  if (line.has("--control") && line.value("--control").empty()) {
    return absl::InvalidArgumentError("--control wants a socket path");
  }
  usb->control = line.value("--control");
  if (line.flag("--unplugged")) usb->emulator.plugged_at_start = false;
  return absl::OkStatus();
}

// argv[1..]: the options, then "-- COMMAND [ARGS...]" for --usb.
absl::StatusOr<RigSimOptions> ParseRigSimOptions(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  RigSimOptions o;
  if (auto dashes = std::find(args.begin(), args.end(), "--"); dashes != args.end()) {
    o.usb_options.command.assign(dashes + 1, args.end());
    args.erase(dashes, args.end());
  }
  absl::StatusOr<rollrig::CommandLine> line =
      rollrig::ParseCommandLine(args, 0, RigSimOptionSpecs(), {});
  if (!line.ok()) return line.status();
  o.help = line->flag("--help") || line->flag("-h");
  o.listen = line->value("--listen", o.listen);
  o.listen_given = line->has("--listen");
  o.replay = line->value("--replay");
  o.fast = line->flag("--fast");
  o.usb = line->flag("--usb");
  o.usb_only_option = line->has("--vid-pid") || line->has("--control") || line->flag("--unplugged");
  if (absl::Status s = ReadDeviceOptions(*line, &o.sim); !s.ok()) return s;
  if (absl::Status s = ReadUsbOptions(*line, &o.usb_options); !s.ok()) return s;
  return o;
}

int main(int argc, char** argv) {
  absl::StatusOr<RigSimOptions> parsed = ParseRigSimOptions(argc, argv);
  if (!parsed.ok()) return UsageError(std::string(parsed.status().message()));
  if (parsed->help) {
    std::fputs(RigSimUsage().c_str(), stdout);
    return 0;
  }
  const std::string& listen = parsed->listen;
  rollrig::sim::SimOptions& options = parsed->sim;
  const std::string& replay = parsed->replay;
  const bool fast = parsed->fast;
  UsbModeOptions& usb_options = parsed->usb_options;

  if (fast && replay.empty()) return UsageError("--fast goes with --replay");
  if (parsed->usb) {
    if (!replay.empty()) return UsageError("--usb and --replay do not go together");
    if (parsed->listen_given)
      return UsageError("--listen is for TCP; --usb serves over emulated USB");
    if (usb_options.command.empty()) {
      return UsageError(
          "--usb wants a command to run inside the emulated environment: "
          "rig-sim --usb [OPTIONS] -- COMMAND [ARGS...]");
    }
    if (!rollrig::usb::RunningUnderUmockdev()) {
      const absl::Status status = rollrig::usb::ReexecUnderUmockdev(argv);
      std::fprintf(stderr, "rig-sim: %s\n", std::string(status.message()).c_str());
      return 1;
    }
    // The same serial on the USB string descriptor as in the device's DeviceInfo.
    usb_options.emulator.identity.serial = options.serial;
    return RunUsb(options, usb_options);
  }
  if (parsed->usb_only_option || !usb_options.command.empty()) {
    return UsageError("--vid-pid, --unplugged, --control and \"-- COMMAND\" go with --usb");
  }
  if (!replay.empty()) {
    auto source = rollrig::host::McapReplaySource::Open(replay, rollrig::host::ProgramOf);
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
