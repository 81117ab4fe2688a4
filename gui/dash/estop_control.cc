#include "gui/dash/estop_control.h"

#include <GLFW/glfw3.h>

#include "imgui.h"

namespace rollrig::gui {

bool DrawEStopButton(float width, float height, EStopReach reach, ScreenRect* rect) {
  // Red in every state (idle, hovered, pressed): it must read as the e-stop at a glance.
  ImGui::PushStyleColor(ImGuiCol_Button, IM_COL32(215, 20, 20, 255));
  ImGui::PushStyleColor(ImGuiCol_ButtonHovered, IM_COL32(240, 40, 40, 255));
  ImGui::PushStyleColor(ImGuiCol_ButtonActive, IM_COL32(170, 0, 0, 255));
  ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32(255, 255, 255, 255));
  const ImVec2 pos = ImGui::GetCursorScreenPos();
  const char* caption = reach == EStopReach::kReaches  ? "E-STOP\n(F1)"
                        : reach == EStopReach::kNoLink ? "E-STOP\n(no link!)"
                                                       : "E-STOP\n(no valid token!)";
  const bool clicked = ImGui::Button(caption, ImVec2(width, height));
  ImGui::PopStyleColor(4);
  if (rect) *rect = {pos.x, pos.y, width, height};
  if (ImGui::IsItemHovered()) {
    ImGui::SetTooltip("Emergency stop (stop category 1, latched). Shortcut: F1 or Ctrl+Space.");
  }
  return clicked;
}

bool EStopShortcut::Pressed(GLFWwindow* window) {
  const bool ctrl = glfwGetKey(window, GLFW_KEY_LEFT_CONTROL) == GLFW_PRESS ||
                    glfwGetKey(window, GLFW_KEY_RIGHT_CONTROL) == GLFW_PRESS;
  const bool down = glfwGetKey(window, GLFW_KEY_F1) == GLFW_PRESS ||
                    (ctrl && glfwGetKey(window, GLFW_KEY_SPACE) == GLFW_PRESS);
  // A press shorter than one frame still reaches ImGui's key state (pre-1.87 API: GLFW key
  // codes), whatever widget has focus.
  const bool brief = ImGui::IsKeyPressed(GLFW_KEY_F1, false) ||
                     (ImGui::GetIO().KeyCtrl && ImGui::IsKeyPressed(GLFW_KEY_SPACE, false));
  const bool pressed = (down && !was_down_) || (brief && !was_down_);
  was_down_ = down || brief;
  return pressed;
}

}  // namespace rollrig::gui
