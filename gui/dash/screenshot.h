// Screenshots: an offscreen framebuffer of a fixed size, its pixels saved as a PNG, and a
// JSON description of what was drawn (each plot's series with point counts, the e-stop
// button's rectangle, the connection) for tests to check the image against.
// Render thread only, with the window's GL context current.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gui/dash/dash_state.h"

namespace rollrig::gui {

class OffscreenTarget {
 public:
  OffscreenTarget() = default;
  ~OffscreenTarget();
  OffscreenTarget(const OffscreenTarget&) = delete;
  OffscreenTarget& operator=(const OffscreenTarget&) = delete;

  absl::Status Create(int width, int height);  // and binds it
  void Bind() const;
  // RGB rows, top row first (GL's origin is bottom-left: the rows are flipped).
  std::vector<uint8_t> ReadRgb() const;
  int width() const { return w_; }
  int height() const { return h_; }

 private:
  unsigned fbo_ = 0, color_ = 0;
  int w_ = 0, h_ = 0;
};

absl::Status WritePng(const std::string& path, int width, int height,
                      const std::vector<uint8_t>& rgb);

struct FrameTiming {
  int frames = 0;
  double mean_frame_ms = 0, max_frame_ms = 0;
  // The whole process while the frames were rendered (getrusage): all threads, the rigd
  // client's included.
  double wall_s = 0, cpu_s = 0;
  // The render thread's own share of cpu_s (building and, with Mesa's software renderer
  // at LP_NUM_THREADS=0, rasterizing the frames); the rest is the clients' threads.
  double render_cpu_s = 0;
  long max_rss_kb = 0;
};

// The description written beside a screenshot (FILE.json).
std::string DescribeFrame(const DashState& s, int width, int height, const FrameTiming& timing);

}  // namespace rollrig::gui
