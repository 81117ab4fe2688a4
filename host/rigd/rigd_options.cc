#include "host/rigd/rigd_options.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace rollrig::host {

const char kRigdUsage[] =
    "usage: rigd [--device sim|tcp:HOST:PORT|usb|usb:SERIAL|replay:FILE]\n"
    "            [--listen HOST:PORT] [--seed N] [--tick-hz HZ] [--serial S] [--runs-dir DIR]\n"
    "            [--resume-interrupted]\n"
    "\n"
    "  --device   the massager to drive: sim (default, simulated in this process),\n"
    "             tcp:HOST:PORT (a rig-sim process), usb (the first USB device\n"
    "             1209:0001), usb:SERIAL (the one with that serial number), or\n"
    "             replay:FILE.mcap (a run's recording played back as the device from\n"
    "             the run's StartProgram; replay-fast:FILE.mcap as fast as rigd reads).\n"
    "             With usb, rigd serves while no device is plugged in (status says it\n"
    "             is waiting) and picks the device up when it arrives\n"
    "  --listen   gRPC address (default 127.0.0.1:50051; loopback only)\n"
    "  --seed     simulator noise seed (default 1)\n"
    "  --tick-hz  simulator control tick, 1000..10000 (default 1000)\n"
    "  --serial   simulator serial number (default SIM-0001)\n"
    "  --runs-dir where runs are kept (default $XDG_DATA_HOME/rollrig/runs, i.e.\n"
    "             ~/.local/share/rollrig/runs); one rigd per directory\n"
    "  --resume-interrupted\n"
    "             at start, resume the newest interrupted run (rigd crashed, lost power or\n"
    "             was stopped under it) once the device is connected, as rigctl run\n"
    "             --resume ID does; logged and published as an event; if it fails, says\n"
    "             why and the run stays interrupted\n";

absl::StatusOr<RigdOptions> ParseRigdOptions(const std::vector<std::string>& args) {
  RigdOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    std::string name = arg;
    if (name == "--help" || name == "-h") {
      o.help = true;
      continue;
    }
    if (name == "--resume-interrupted") {
      o.resume_interrupted = true;
      continue;
    }
    std::string value;
    if (const size_t eq = name.find('='); name.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat(name, " needs a value"));
    }
    if (name == "--device") {
      o.device = value;
    } else if (name == "--listen") {
      o.listen = value;
    } else if (name == "--runs-dir") {
      o.runs_dir = value;
    } else if (name == "--serial") {
      o.serial = value;
    } else if (name == "--seed") {
      if (!absl::SimpleAtoi(value, &o.seed)) {
        return absl::InvalidArgumentError(absl::StrCat("invalid --seed '", value, "'"));
      }
    } else if (name == "--tick-hz") {
      if (!absl::SimpleAtoi(value, &o.tick_hz) || o.tick_hz < 1000 || o.tick_hz > 10000) {
        return absl::InvalidArgumentError(
            absl::StrCat("invalid --tick-hz '", value, "': expected 1000..10000"));
      }
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown option '", arg, "'"));
    }
  }
  return o;
}

}  // namespace rollrig::host
