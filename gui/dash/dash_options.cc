#include "gui/dash/dash_options.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "rig/base/command_line.h"
#include "rig/base/duration_text.h"

namespace rollrig::gui {

namespace {

const std::vector<OptionSpec>& DashOptionSpecs() {
  static const std::vector<OptionSpec> kOptions = {
      {"--addr", "HOST:PORT", "rigd to connect to (default 127.0.0.1:50051)"},
      {"--tls-ca", "FILE", "the CA certificate that signed rigd's (TLS); 'none': plaintext"},
      {"--token-file", "FILE", "the token to send (else $ROLLRIG_TOKEN)"},
      {"--open", "FILE.mcap[,FILE2.mcap...]",
       "open a recording instead (no rigd needed); a rotated run's files,\n"
       "comma-separated in order, read as one run"},
      {"--lab", "FILE",
       "the fleet view: a tile per rig of this rig list (Prometheus file_sd\n"
       "JSON, label grpc = rigd's address); --tls-ca/--token-file apply to each"},
      {"--focus", "RIG", "with --lab: focus this rig at the start (F1 then e-stops it alone)"},
      {"--rig", "RIG",
       "with --lab: open this rig's full view at the start (\"< Fleet\" goes back)"},
      {"--run", "ID", "show this run of rigd's from its start (running or finished)"},
      {"--window", "whole|DURATION",
       "the plots' time window: the whole run, or its newest DURATION\n"
       "(30s, 5m, 2h, 1h30m)"},
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
  o->golden_path = line.value("--golden");
  if (line.has("--golden") && o->golden_path.empty()) {
    return BadOptionValue("--golden", "", "a recording file");
  }
  if (line.has("--open")) {
    const std::string value = line.value("--open");
    for (absl::string_view p : absl::StrSplit(value, ',')) {
      if (p.empty()) return BadOptionValue("--open", value, "recording files, comma-separated");
      o->open_paths.emplace_back(p);
    }
  }
  o->run_id = line.value("--run");
  if (line.has("--run") && o->run_id.empty()) return BadOptionValue("--run", "", "a run id");
  if (line.has("--run") && line.has("--open")) {
    return absl::InvalidArgumentError("--run and --open: give one (a run of rigd's or files)");
  }
  o->lab_path = line.value("--lab");
  if (line.has("--lab")) {
    if (o->lab_path.empty()) return BadOptionValue("--lab", "", "a rig list file (JSON)");
    for (const char* other : {"--addr", "--open", "--run", "--golden", "--window"}) {
      if (line.has(other)) {
        return absl::InvalidArgumentError(
            absl::StrCat("--lab and ", other,
                         ": the fleet view takes its rigs from the list (open one "
                         "rig's full view from its tile)"));
      }
    }
  }
  o->focus = line.value("--focus");
  if (line.has("--focus") && (o->focus.empty() || o->lab_path.empty())) {
    return BadOptionValue("--focus", o->focus, "a rig name of the --lab list");
  }
  o->open_rig = line.value("--rig");
  if (line.has("--rig") && (o->open_rig.empty() || o->lab_path.empty())) {
    return BadOptionValue("--rig", o->open_rig, "a rig name of the --lab list");
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
  if (line.has("--window")) {
    absl::StatusOr<double> w = ParseWindow(line.value("--window"));
    if (!w.ok()) return w.status();
    o->window_whole = *w == 0;
    o->window_s = *w;
  }
  return ReadSize(line, o);
}

}  // namespace

std::string DashUsage() {
  return CommandLineHelp("rig-dash", DashOptionSpecs()) +
         "\nDefaults for --addr, --tls-ca and --token-file: the client config\n"
         "($XDG_CONFIG_HOME/rollrig/client.conf, as for rigctl).\n"
         "E-stop: the red button, or Ctrl+Space / F1 at any time (even while typing).\n"
         "Fleet view (--lab): each tile's button stops its rig; F1 stops the focused rig\n"
         "(click a tile to focus it, Esc to unfocus), or every rig when none is focused.\n";
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

absl::StatusOr<double> ParseWindow(const std::string& text) {
  if (text == "whole") return 0.0;
  const absl::StatusOr<double> seconds = ParseDurationSeconds(text);
  // A window below a millisecond shows nothing; one above a year is a typo.
  if (!seconds.ok() || !(*seconds >= 1e-3) || *seconds > 366 * 86400.0) {
    return BadOptionValue("--window", text,
                          "whole, or a duration from 1ms to 366d (30s, 5m, 2h, 1h30m, 3d)");
  }
  return *seconds;
}

std::string ScreenshotDescriptionPath(const std::string& png_path) {
  if (png_path.size() >= 4 && png_path.substr(png_path.size() - 4) == ".png") {
    return png_path.substr(0, png_path.size() - 4) + ".json";
  }
  return png_path + ".json";
}

}  // namespace rollrig::gui
