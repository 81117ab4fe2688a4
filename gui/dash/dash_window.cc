#include "gui/dash/dash_window.h"

#include <GLFW/glfw3.h>

#include "absl/strings/str_cat.h"
#include "backends/imgui_impl_glfw.h"
#include "backends/imgui_impl_opengl3.h"
#include "imgui.h"

namespace rollrig::gui {
namespace {

std::string last_glfw_error;

void OnGlfwError(int code, const char* description) {
  last_glfw_error = absl::StrCat("GLFW error ", code, ": ", description ? description : "");
}

}  // namespace

DashWindow::~DashWindow() {
  if (imgui_) {
    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplGlfw_Shutdown();
    ImGui::DestroyContext();
  }
  if (window_) glfwDestroyWindow(window_);
  glfwTerminate();
}

absl::Status DashWindow::Open(int width, int height, bool visible, const std::string& title) {
  glfwSetErrorCallback(OnGlfwError);
  if (!glfwInit()) {
    return absl::UnavailableError(absl::StrCat(
        "cannot open a display (is DISPLAY set? under CI use xvfb-run): ", last_glfw_error));
  }
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
  glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
  glfwWindowHint(GLFW_VISIBLE, visible ? GLFW_TRUE : GLFW_FALSE);
  visible_ = visible;
  window_ = glfwCreateWindow(width, height, title.c_str(), nullptr, nullptr);
  if (!window_) {
    return absl::UnavailableError(
        absl::StrCat("cannot create an OpenGL 3.3 window: ", last_glfw_error));
  }
  glfwMakeContextCurrent(window_);
  glfwSwapInterval(visible ? 1 : 0);
  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGui::GetIO().IniFilename = nullptr;  // no imgui.ini left in the working directory
  ImGui::StyleColorsDark();
  ImGui::GetStyle().WindowRounding = 0;
  if (!ImGui_ImplGlfw_InitForOpenGL(window_, true) || !ImGui_ImplOpenGL3_Init("#version 130")) {
    return absl::UnavailableError("cannot initialise Dear ImGui's GLFW/OpenGL 3 backends");
  }
  imgui_ = true;
  return absl::OkStatus();
}

bool DashWindow::ShouldClose() const { return glfwWindowShouldClose(window_); }

void DashWindow::BeginFrame(int fixed_w, int fixed_h) {
  glfwPollEvents();
  ImGui_ImplOpenGL3_NewFrame();
  ImGui_ImplGlfw_NewFrame();
  fixed_w_ = fixed_w;
  fixed_h_ = fixed_h;
  if (fixed_w > 0 && fixed_h > 0) {
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = ImVec2(static_cast<float>(fixed_w), static_cast<float>(fixed_h));
    io.DisplayFramebufferScale = ImVec2(1, 1);
  }
  ImGui::NewFrame();
}

void DashWindow::EndFrame() {
  ImGui::Render();
  int w = fixed_w_, h = fixed_h_;
  if (w <= 0 || h <= 0) glfwGetFramebufferSize(window_, &w, &h);
  glViewport(0, 0, w, h);
  glClearColor(0.08f, 0.08f, 0.10f, 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
  if (visible_) glfwSwapBuffers(window_);
}

}  // namespace rollrig::gui
