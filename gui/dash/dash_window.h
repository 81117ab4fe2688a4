// The GLFW window with its OpenGL 3 context and the Dear ImGui context drawn into it.
// Render thread only. One per process.
#pragma once

#include <string>

#include "absl/status/status.h"

struct GLFWwindow;

namespace rollrig::gui {

class DashWindow {
 public:
  DashWindow() = default;
  ~DashWindow();
  DashWindow(const DashWindow&) = delete;
  DashWindow& operator=(const DashWindow&) = delete;

  // visible = false: a hidden window, only its context is used (screenshots).
  absl::Status Open(int width, int height, bool visible, const std::string& title);
  bool ShouldClose() const;
  // Polls events and starts an ImGui frame. fixed_w/fixed_h > 0 lay the frame out at that
  // size whatever the window's (offscreen rendering).
  void BeginFrame(int fixed_w = 0, int fixed_h = 0);
  // Renders the frame into the bound framebuffer; presents it when the window is visible.
  void EndFrame();
  GLFWwindow* glfw() const { return window_; }

 private:
  GLFWwindow* window_ = nullptr;
  bool visible_ = true;
  bool imgui_ = false;
  int fixed_w_ = 0, fixed_h_ = 0;
};

}  // namespace rollrig::gui
