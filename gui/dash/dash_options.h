// rig-dash's command line: which rigd to watch (or which recording to open), and the
// screenshot mode used by tests and the README.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "host/client/client_settings.h"

namespace rollrig::gui {

// rigd's own default listen address (host/rigd: --listen).
inline constexpr const char* kDefaultRigdAddr = client::kDefaultAddr;

struct DashOptions {
  std::string addr = kDefaultRigdAddr;  // rigd to connect to (ignored with --open)
  client::ClientFlags client;           // --addr, --tls-ca, --token-file as given
  // Recordings to open (no rigd needed): one run's files in order (a rotated run), given
  // as --open A.mcap,B.mcap.
  std::vector<std::string> open_paths;
  // --lab: the fleet view of every rig in this rig list (Prometheus file_sd JSON).
  std::string lab_path;
  std::string focus;     // --focus: the fleet view's rig focused at the start
  std::string open_rig;  // --rig: the fleet view's rig whose full view is open at the start
  std::string run_id;    // --run: a run of rigd's (running or finished), shown from its start
  // --window: the plots' time window; 0 = the whole run (from run time 0 to now).
  bool window_whole = false;
  double window_s = 0;             // > 0: the newest DURATION of the run
  std::string golden_path;         // a recording overlaid as the golden reference
  std::string screenshot_path;     // render, save this PNG (+ .json) and exit
  int frames = 3;                  // frames rendered before the screenshot
  int width = 1280, height = 800;  // window / framebuffer size
  double telemetry_rate_hz = 0;    // 0 = every sample
  bool help = false;
};

// rig-dash --help, generated from the options ParseDashOptions accepts.
std::string DashUsage();

// Parses argv[1..]; errors name the option and the bad value.
absl::StatusOr<DashOptions> ParseDashOptions(const std::vector<std::string>& args);

// "whole" (-> 0) or a duration ("30s", "5m", "2h", "1h30m", or plain seconds), in seconds.
absl::StatusOr<double> ParseWindow(const std::string& text);

// "FILE.png" -> "FILE.json" (the description beside a screenshot).
std::string ScreenshotDescriptionPath(const std::string& png_path);

}  // namespace rollrig::gui
