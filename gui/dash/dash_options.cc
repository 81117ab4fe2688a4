#include "gui/dash/dash_options.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "rig/base/command_line.h"

namespace rollrig::gui {

namespace {

const std::vector<OptionSpec>& DashOptionSpecs() {
  static const std::vector<OptionSpec> kOptions = {
      {"--addr", "HOST:PORT", "rigd to connect to (default 127.0.0.1:50051)"},
      {"--tls-ca", "FILE", "the CA certificate that signed rigd's (TLS); 'none': plaintext"},
      {"--token-file", "FILE", "the token to send (else $ROLLRIG_TOKEN)"},
      {"--open", "FILE.mcap", "open a recording instead (no rigd needed)"},
      {"--golden", "FILE.mcap", "overlay a recording as the golden reference (aligned by cycle)"},
      {"--rate", "HZ", "telemetry rows per second from rigd (default 0 = every sample)"},
      {"--screenshot", "FILE.png",
       "render --frames frames at --size offscreen, save the PNG and\n"
       "FILE.json describing it, and exit"},
      {"--frames", "N", "frames rendered before the screenshot (default 3)"},
      {"--size", "WxH", "window size (default 1280x800)"},
      {"--help", "", "this help"},
      {"-h", "", ""},
  };
  return kOptions;
}

absl::Status ReadSize(const CommandLine& line, DashOptions* o) {
  if (!line.has("--size")) return absl::OkStatus();
  const std::string value = line.value("--size");
  std::vector<std::string> wh = absl::StrSplit(value, 'x');
  if (wh.size() != 2 || !absl::SimpleAtoi(wh[0], &o->width) ||
      !absl::SimpleAtoi(wh[1], &o->height) || o->width < 320 || o->height < 240 ||
      o->width > 8192 || o->height > 8192) {
    return BadOptionValue("--size", value, "WIDTHxHEIGHT between 320x240 and 8192x8192");
  }
  return absl::OkStatus();
}

// The files and the address, checked for shape (not for existence).
absl::Status ReadPaths(const CommandLine& line, DashOptions* o) {
  o->addr = line.value("--addr", o->addr);
  if (line.has("--addr")) {
    if (absl::Status s = client::CheckAddress(o->addr, "--addr"); !s.ok()) return s;
    o->client.addr = o->addr;
  }
  for (auto [name, slot] : {std::pair{"--tls-ca", &o->client.tls_ca},
                            std::pair{"--token-file", &o->client.token_file}}) {
    if (line.has(name)) *slot = line.value(name);
  }
  for (auto [name, path] :
       {std::pair{"--open", &o->open_path}, std::pair{"--golden", &o->golden_path}}) {
    *path = line.value(name);
    if (line.has(name) && path->empty()) return BadOptionValue(name, "", "a recording file");
  }
  o->screenshot_path = line.value("--screenshot");
  const std::string& shot = o->screenshot_path;
  if (line.has("--screenshot") && (shot.size() < 5 || shot.substr(shot.size() - 4) != ".png")) {
    return BadOptionValue("--screenshot", shot, "a file name ending in .png");
  }
  return absl::OkStatus();
}

absl::Status ReadNumbers(const CommandLine& line, DashOptions* o) {
  if (absl::Status s = line.ReadInteger("--frames", 2, 100000, &o->frames,
                                        "2..100000 (a new window shows from its second frame)");
      !s.ok()) {
    return s;
  }
  if (line.has("--frames") && o->screenshot_path.empty()) {
    return absl::InvalidArgumentError("--frames needs --screenshot FILE.png");
  }
  if (!line.ReadNumber("--rate", &o->telemetry_rate_hz).ok() || !(o->telemetry_rate_hz >= 0) ||
      o->telemetry_rate_hz > 100000) {
    return BadOptionValue("--rate", line.value("--rate"), "0 (every sample) to 100000 Hz");
  }
  return ReadSize(line, o);
}

}  // namespace

std::string DashUsage() {
  return CommandLineHelp("rig-dash", DashOptionSpecs()) +
         "\nDefaults for --addr, --tls-ca and --token-file: the client config\n"
         "($XDG_CONFIG_HOME/rollrig/client.conf, as for rigctl).\n"
         "E-stop: the red button, or Ctrl+Space / F1 at any time (even while typing).\n";
}

absl::StatusOr<DashOptions> ParseDashOptions(const std::vector<std::string>& args) {
  absl::StatusOr<CommandLine> line = ParseCommandLine(args, 0, DashOptionSpecs(), {});
  if (!line.ok()) return line.status();
  DashOptions o;
  o.help = line->flag("--help") || line->flag("-h");
  if (absl::Status s = ReadPaths(*line, &o); !s.ok()) return s;
  if (absl::Status s = ReadNumbers(*line, &o); !s.ok()) return s;
  return o;
}

std::string ScreenshotDescriptionPath(const std::string& png_path) {
  if (png_path.size() >= 4 && png_path.substr(png_path.size() - 4) == ".png") {
    return png_path.substr(0, png_path.size() - 4) + ".json";
  }
  return png_path + ".json";
}

}  // namespace rollrig::gui
