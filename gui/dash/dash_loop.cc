#include "gui/dash/dash_loop.h"

#include <GL/gl.h>
#include <sys/resource.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gui/dash/dash_app.h"
#include "gui/dash/dash_window.h"
#include "gui/dash/fleet_app.h"
#include "gui/dash/screenshot.h"

namespace rollrig::gui {
namespace {

using SteadyClock = std::chrono::steady_clock;

double Seconds(SteadyClock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

// Live screenshots: telemetry rows to wait for before rendering, and the shortest frame,
// so the plots show data that actually arrived from rigd.
constexpr uint64_t kScreenshotMinRows = 500;
constexpr double kScreenshotWaitForData_s = 20;
constexpr double kScreenshotMinFrame_s = 1.0 / 60;  // a display's pace
constexpr double kScreenshotWaitForHistory_s = 30;

// Renders o.frames frames at a display's pace into `target`; the timing of all but the first.
template <typename BuildFrame>
FrameTiming RenderFrames(OffscreenTarget& target, DashWindow& window, const DashOptions& o,
                         double min_frame_s, BuildFrame build) {
  FrameTiming timing;
  double total_ms = 0;
  const auto wall0 = SteadyClock::now();
  const double cpu0 = CpuSeconds();
  const double render0 = ThreadCpuSeconds();
  for (int i = 0; i < o.frames; ++i) {
    const auto start = SteadyClock::now();
    target.Bind();
    window.BeginFrame(o.width, o.height);
    build(Seconds(start));
    window.EndFrame();
    glFinish();  // the frame time includes the (software) rasterizer's work
    const double ms = std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count();
    if (i > 0) {  // the first frame builds fonts and hides the new window
      total_ms += ms;
      timing.max_frame_ms = std::max(timing.max_frame_ms, ms);
    }
    const double spare = min_frame_s - ms / 1000;
    if (spare > 0) std::this_thread::sleep_for(std::chrono::duration<double>(spare));
  }
  timing.frames = o.frames;
  timing.wall_s = std::chrono::duration<double>(SteadyClock::now() - wall0).count();
  timing.cpu_s = CpuSeconds() - cpu0;
  timing.render_cpu_s = ThreadCpuSeconds() - render0;
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  timing.max_rss_kb = ru.ru_maxrss;
  timing.mean_frame_ms = o.frames > 1 ? total_ms / (o.frames - 1) : 0;
  return timing;
}

// A run shown through rigd's history: the screenshot waits for it (bounded). A run asked for
// by --run that rigd cannot show is an error; otherwise a late history is only reported.
absl::Status WaitForHistory(DashApp& app, const DashOptions& o) {
  app.UpdateShown();  // the active run's history is asked for now, not at the first frame
  DashState& s = app.state();
  if (!s.history) return absl::OkStatus();
  const auto deadline =
      SteadyClock::now() + std::chrono::duration<double>(kScreenshotWaitForHistory_s);
  bool arrived = false;
  while (!arrived && SteadyClock::now() < deadline) {
    arrived = s.history->WaitForOverview(0.5);
    const absl::Status st = s.history->status();
    if (!st.ok() && !o.run_id.empty()) {
      return absl::Status(st.code(),
                          absl::StrCat("cannot show run ", o.run_id, ": ", st.message()));
    }
    if (!st.ok()) break;
  }
  if (!arrived) {
    const absl::Status st = s.history->status();
    const std::string why =
        st.ok() ? absl::StrCat("none arrived within ", kScreenshotWaitForHistory_s, " s")
                : std::string(st.message());
    if (!o.run_id.empty()) {
      return absl::DeadlineExceededError(
          absl::StrCat("no history of run ", o.run_id, " from rigd at ", o.addr, ": ", why));
    }
    std::fprintf(
        stderr,
        "rig-dash: no history of the active run from rigd at %s (%s); drawing the live rows\n",
        o.addr.c_str(), why.c_str());
  }
  app.UpdateShown();
  return absl::OkStatus();
}

int Screenshot(DashApp& app, DashWindow& window, const DashOptions& o) {
  OffscreenTarget target;
  if (absl::Status st = target.Create(o.width, o.height); !st.ok()) {
    std::fprintf(stderr, "rig-dash: %s\n", std::string(st.message()).c_str());
    return 1;
  }
  DashState& s = app.state();
  if (s.client && !s.client->WaitForTelemetry(kScreenshotMinRows, kScreenshotWaitForData_s)) {
    std::fprintf(stderr, "rig-dash: no telemetry from rigd at %s within %.0f s; drawing anyway\n",
                 o.addr.c_str(), kScreenshotWaitForData_s);
  }
  if (absl::Status st = WaitForHistory(app, o); !st.ok()) {
    std::fprintf(stderr, "rig-dash: %s\n", std::string(st.message()).c_str());
    return 1;
  }
  const FrameTiming timing =
      RenderFrames(target, window, o, s.client ? kScreenshotMinFrame_s : 0,
                   [&](double now_s) { app.BuildFrame(window.glfw(), now_s); });
  const std::vector<uint8_t> rgb = target.ReadRgb();
  if (absl::Status st = WritePng(o.screenshot_path, o.width, o.height, rgb); !st.ok()) {
    std::fprintf(stderr, "rig-dash: %s\n", std::string(st.message()).c_str());
    return 1;
  }
  const std::string json_path = ScreenshotDescriptionPath(o.screenshot_path);
  std::ofstream json(json_path);
  json << DescribeFrame(s, o.width, o.height, timing);
  json.close();
  if (!json) {
    std::fprintf(stderr, "rig-dash: cannot write %s\n", json_path.c_str());
    return 1;
  }
  std::printf("rig-dash: wrote %s and %s (%d frames, %.1f ms per frame)\n",
              o.screenshot_path.c_str(), json_path.c_str(), o.frames, timing.mean_frame_ms);
  return 0;
}

// The fleet view waits for its rigs (connected or found unreachable) before its frames.
constexpr double kFleetWaitForRigs_s = 20;
// Tiles change a few times a second: 30 frames a second keep clicks and F1 prompt at half
// the drawing cost of 60.
constexpr double kFleetMinFrame_s = 1.0 / 30;

absl::Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

int FleetScreenshot(FleetApp& app, DashWindow& window, const DashOptions& o) {
  OffscreenTarget target;
  if (absl::Status st = target.Create(o.width, o.height); !st.ok()) {
    std::fprintf(stderr, "rig-dash: %s\n", std::string(st.message()).c_str());
    return 1;
  }
  if (!app.WaitForRigs(kFleetWaitForRigs_s)) {
    std::fprintf(stderr, "rig-dash: some rigs still connecting after %.0f s; drawing anyway\n",
                 kFleetWaitForRigs_s);
  }
  const FrameTiming timing = RenderFrames(target, window, o, kFleetMinFrame_s, [&](double now_s) {
    app.BuildFrame(window.glfw(), now_s);
  });
  const std::string json_path = ScreenshotDescriptionPath(o.screenshot_path);
  absl::Status st = WritePng(o.screenshot_path, o.width, o.height, target.ReadRgb());
  if (st.ok()) st = WriteText(json_path, app.Describe(o.width, o.height, timing));
  if (!st.ok()) {
    std::fprintf(stderr, "rig-dash: %s\n", std::string(st.message()).c_str());
    return 1;
  }
  std::printf("rig-dash: wrote %s and %s (%d frames, %.1f ms per frame, %.2f s CPU in %.2f s)\n",
              o.screenshot_path.c_str(), json_path.c_str(), o.frames, timing.mean_frame_ms,
              timing.cpu_s, timing.wall_s);
  return 0;
}

int RunFleet(const DashOptions& o) {
  FleetApp app(o);
  if (absl::Status st = app.Start(); !st.ok()) {
    std::fprintf(stderr, "rig-dash: %s\n", std::string(st.message()).c_str());
    return 1;
  }
  DashWindow window;
  const bool screenshot = !o.screenshot_path.empty();
  if (absl::Status st = window.Open(o.width, o.height, !screenshot, "rig-dash fleet"); !st.ok()) {
    std::fprintf(stderr, "rig-dash: %s\n", std::string(st.message()).c_str());
    return 1;
  }
  int rc = 0;
  if (screenshot) {
    rc = FleetScreenshot(app, window, o);
  } else {
    while (!window.ShouldClose()) {
      const auto start = SteadyClock::now();
      window.BeginFrame();
      app.BuildFrame(window.glfw(), Seconds(start));
      window.EndFrame();
      // Without vsync (a remote or virtual display) the loop would spin: a display's pace.
      const double spare =
          kScreenshotMinFrame_s - std::chrono::duration<double>(SteadyClock::now() - start).count();
      if (spare > 0) std::this_thread::sleep_for(std::chrono::duration<double>(spare));
    }
  }
  app.Stop();
  return rc;
}

}  // namespace

int RunDash(const DashOptions& o) {
  if (!o.lab_path.empty()) return RunFleet(o);
  DashApp app(o);
  if (absl::Status st = app.Start(); !st.ok()) {
    std::fprintf(stderr, "rig-dash: %s\n", std::string(st.message()).c_str());
    return 1;
  }
  DashWindow window;
  const bool screenshot = !o.screenshot_path.empty();
  if (absl::Status st = window.Open(o.width, o.height, !screenshot, "rig-dash"); !st.ok()) {
    std::fprintf(stderr, "rig-dash: %s\n", std::string(st.message()).c_str());
    return 1;
  }
  int rc = 0;
  if (screenshot) {
    rc = Screenshot(app, window, o);
  } else {
    while (!window.ShouldClose()) {
      window.BeginFrame();
      app.BuildFrame(window.glfw(), Seconds(SteadyClock::now()));
      window.EndFrame();
    }
  }
  app.Stop();
  return rc;
}

}  // namespace rollrig::gui
