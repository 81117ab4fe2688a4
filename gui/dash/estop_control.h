// The e-stop: a red button that is always drawn (outside every scrolling panel) and always
// enabled, and a keyboard shortcut (F1, or Ctrl+Space) that works even while a text field
// has keyboard focus, because the render loop checks the keys itself rather than through
// ImGui's focus (io.WantCaptureKeyboard).
#pragma once

#include <string>

struct GLFWwindow;

namespace rollrig::gui {

struct ScreenRect {
  float x = 0, y = 0, w = 0, h = 0;  // window pixels, top-left origin
};

// Whether a press from here would stop the rig, as the button's caption says.
enum class EStopReach {
  kReaches,  // connected (or no rig: a recording is open)
  kNoLink,   // rigd cannot be reached
  kRefused,  // rigd refuses this dashboard's token (or its lack of one)
};

// Draws the button at the cursor; true when clicked. `rect` receives where it was drawn.
// It stays enabled in every case: a press is always sent.
bool DrawEStopButton(float width, float height, EStopReach reach, ScreenRect* rect);
// The same button for one rig among several (the fleet view): its caption names the rig
// ("E-STOP A") so a press can never be meant for another.
bool DrawRigEStopButton(const std::string& rig, float width, float height, EStopReach reach,
                        ScreenRect* rect);

// Watches the shortcut; call once per frame. True on the frame a press begins.
class EStopShortcut {
 public:
  bool Pressed(GLFWwindow* window);

 private:
  bool was_down_ = false;
};

inline constexpr char kEStopShortcutText[] = "F1 or Ctrl+Space";

}  // namespace rollrig::gui
