#include "gui/dash/dash_options.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace rollrig::gui {

const char kDashUsage[] =
    "usage: rig-dash [--addr HOST:PORT] [--open FILE.mcap] [--golden FILE.mcap]\n"
    "                [--rate HZ] [--screenshot FILE.png [--frames N] [--size WxH]]\n"
    "\n"
    "  --addr        rigd to connect to (default 127.0.0.1:50051)\n"
    "  --open        open a recording instead (no rigd needed)\n"
    "  --golden      overlay a recording as the golden reference (aligned by cycle)\n"
    "  --rate        telemetry rows per second from rigd (default 0 = every sample)\n"
    "  --screenshot  render --frames frames (default 3) at --size (default 1280x800)\n"
    "                offscreen, save the PNG and FILE.json describing it, and exit\n"
    "\n"
    "E-stop: the red button, or Ctrl+Space / F1 at any time (even while typing).\n";

namespace {

absl::Status BadValue(const std::string& name, const std::string& value,
                      const std::string& expected) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid ", name, " '", value, "': expected ", expected));
}

}  // namespace

absl::StatusOr<DashOptions> ParseDashOptions(const std::vector<std::string>& args) {
  DashOptions o;
  bool frames_given = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    if (name == "--help" || name == "-h") {
      o.help = true;
      continue;
    }
    if (name.rfind("--", 0) != 0) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", name, "'"));
    }
    std::string value;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat(name, " needs a value"));
    }
    if (name == "--addr") {
      if (value.empty() || value.find(':') == std::string::npos) {
        return BadValue(name, value, "HOST:PORT");
      }
      o.addr = value;
    } else if (name == "--open") {
      if (value.empty()) return BadValue(name, value, "a recording file");
      o.open_path = value;
    } else if (name == "--golden") {
      if (value.empty()) return BadValue(name, value, "a recording file");
      o.golden_path = value;
    } else if (name == "--screenshot") {
      if (value.size() < 5 || value.substr(value.size() - 4) != ".png") {
        return BadValue(name, value, "a file name ending in .png");
      }
      o.screenshot_path = value;
    } else if (name == "--frames") {
      if (!absl::SimpleAtoi(value, &o.frames) || o.frames < 2 || o.frames > 100000) {
        return BadValue(name, value, "2..100000 (a new window shows from its second frame)");
      }
      frames_given = true;
    } else if (name == "--size") {
      std::vector<std::string> wh = absl::StrSplit(value, 'x');
      if (wh.size() != 2 || !absl::SimpleAtoi(wh[0], &o.width) ||
          !absl::SimpleAtoi(wh[1], &o.height) || o.width < 320 || o.height < 240 ||
          o.width > 8192 || o.height > 8192) {
        return BadValue(name, value, "WIDTHxHEIGHT between 320x240 and 8192x8192");
      }
    } else if (name == "--rate") {
      if (!absl::SimpleAtod(value, &o.telemetry_rate_hz) || !(o.telemetry_rate_hz >= 0) ||
          o.telemetry_rate_hz > 100000) {
        return BadValue(name, value, "0 (every sample) to 100000 Hz");
      }
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown option '", name, "'"));
    }
  }
  if (frames_given && o.screenshot_path.empty()) {
    return absl::InvalidArgumentError("--frames needs --screenshot FILE.png");
  }
  return o;
}

std::string ScreenshotDescriptionPath(const std::string& png_path) {
  if (png_path.size() >= 4 && png_path.substr(png_path.size() - 4) == ".png") {
    return png_path.substr(0, png_path.size() - 4) + ".json";
  }
  return png_path + ".json";
}

}  // namespace rollrig::gui
