// rig-dash's frame: the header with the connection state and the e-stop, the panels on the
// left, the plots on the right. Owns the data sources (DashState). Render thread only,
// except that the sources' own threads feed them.
#pragma once

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "gui/dash/dash_state.h"
#include "gui/dash/estop_control.h"

struct GLFWwindow;

namespace rollrig::gui {

class DashApp {
 public:
  explicit DashApp(DashOptions options);
  ~DashApp();

  // Opens --open and --golden (synchronously: a screenshot must show them) or starts the
  // client of rigd. Errors name the file.
  absl::Status Start();
  // Builds one frame (between NewFrame and Render). now_s: a steady clock in seconds.
  void BuildFrame(GLFWwindow* window, double now_s);
  void Stop();
  // Takes the rig's snapshot and brings the shown run up to date (also before a screenshot's
  // waits, so the history of the active run is asked for at once).
  void UpdateShown();

  // As one rig of the fleet view: the header shows a button back to it (`label`), and
  // TakeBackRequest() is true once after each press.
  void SetBackButton(std::string label) { back_label_ = std::move(label); }
  bool TakeBackRequest() { return std::exchange(back_requested_, false); }

  DashState& state() { return s_; }
  const DashState& state() const { return s_; }

 private:
  void PressEStop(const char* how);
  void Header(float width);
  void ApplyWindowOption();

  DashState s_;
  EStopShortcut shortcut_;
  std::string back_label_;
  bool back_requested_ = false;
};

}  // namespace rollrig::gui
