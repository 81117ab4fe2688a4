#include "gui/dash/estop_control.h"

#include <GLFW/glfw3.h>

#include "absl/strings/str_cat.h"
#include "imgui.h"

namespace rollrig::gui {
namespace {

bool DrawRedButton(const std::string& caption, const char* tooltip, float width, float height,
                   ScreenRect* rect) {
  // Red in every state (idle, hovered, pressed): it must read as the e-stop at a glance.
  ImGui::PushStyleColor(ImGuiCol_Button, IM_COL32(215, 20, 20, 255));
  ImGui::PushStyleColor(ImGuiCol_ButtonHovered, IM_COL32(240, 40, 40, 255));
  ImGui::PushStyleColor(ImGuiCol_ButtonActive, IM_COL32(170, 0, 0, 255));
  ImGui::PushStyleColor(ImGuiCol_Text, IM_COL32(255, 255, 255, 255));
  const ImVec2 pos = ImGui::GetCursorScreenPos();
  const bool clicked = ImGui::Button(caption.c_str(), ImVec2(width, height));
  ImGui::PopStyleColor(4);
  if (rect) *rect = {pos.x, pos.y, width, height};
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", tooltip);
  return clicked;
}

const char* ReachText(EStopReach reach) {
  return reach == EStopReach::kReaches  ? ""
         : reach == EStopReach::kNoLink ? "(no link!)"
                                        : "(no valid token!)";
}

}  // namespace

bool DrawEStopButton(float width, float height, EStopReach reach, ScreenRect* rect) {
  const std::string caption =
      absl::StrCat("E-STOP\n", reach == EStopReach::kReaches ? "(F1)" : ReachText(reach));
  return DrawRedButton(caption,
                       "Emergency stop (stop category 1, latched). Shortcut: F1 or Ctrl+Space.",
                       width, height, rect);
}

bool DrawRigEStopButton(const std::string& rig, float width, float height, EStopReach reach,
                        ScreenRect* rect) {
  // The ID is the rig's, whatever the caption says about the link.
  const std::string caption = absl::StrCat(
      "E-STOP ", rig, reach == EStopReach::kReaches ? "" : "\n", ReachText(reach), "##estop-", rig);
  const std::string tooltip =
      absl::StrCat("Emergency stop of rig ", rig, " only (stop category 1, latched).");
  return DrawRedButton(caption, tooltip.c_str(), width, height, rect);
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
