// rig-dash --lab: the fleet view. A tile per rig of the lab's rig list (connection, device
// state, run and progress, verdict so far, worst limit, last event, a torque sparkline),
// each with its own e-stop naming its rig; a click focuses a tile (plainly highlighted) and
// F1 e-stops the focused rig, or every rig in the view when none is focused. "Open" (or a
// double click) shows that rig's full dashboard, with a button back to the fleet.
//
// Render thread only; each rig's client runs on its own threads (fleet_rig.h).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gui/dash/dash_app.h"
#include "gui/dash/dash_options.h"
#include "gui/dash/estop_control.h"
#include "gui/dash/fleet_estop.h"
#include "gui/dash/fleet_rig.h"
#include "gui/dash/screenshot.h"

struct GLFWwindow;

namespace rollrig::gui {

class FleetApp {
 public:
  explicit FleetApp(DashOptions options);
  ~FleetApp();  // Stop()
  FleetApp(const FleetApp&) = delete;
  FleetApp& operator=(const FleetApp&) = delete;

  // Reads the rig list (errors name the entry and what is wrong), resolves the clients'
  // settings and starts a client per rig.
  absl::Status Start();
  void Stop();
  // Builds one frame (between NewFrame and Render). now_s: a steady clock in seconds.
  void BuildFrame(GLFWwindow* window, double now_s);
  // Screenshots: blocks up to timeout_s until no rig is still connecting and every
  // connected rig has sent its status and some telemetry. False on timeout.
  bool WaitForRigs(double timeout_s);
  // The JSON description beside a screenshot: `tiles`, one per rig, and the e-stop targets.
  std::string Describe(int width, int height, const FrameTiming& timing) const;
  bool full_view_open() const { return full_ != nullptr; }

  // The rig list file as last read (its time and size): a different stamp is a change.
  struct ListStamp {
    std::filesystem::file_time_type mtime{};
    uintmax_t size = 0;
    bool operator==(const ListStamp&) const = default;
  };

 private:
  // Takes the list's rigs: keeps the clients of rigs that stay, starts new ones, stops the
  // removed ones (closing a removed rig's full view).
  absl::Status ApplyList(const std::vector<client::RigListEntry>& list);
  // Rereads the list when its file changed (checked every 2 s); a bad list is refused and
  // the rigs shown stay, with the error in the header.
  void ReloadIfChanged(double now_s);
  void RefreshTiles(double now_s);
  void Header(float width);
  void Tile(size_t i, float width, float height);
  void TileText(const FleetTile& t);
  void PressEStop(const std::vector<std::string>& targets, const char* how);
  void OpenFullView(size_t i);
  void CloseFullView();

  DashOptions options_;
  std::vector<std::unique_ptr<FleetRig>> rigs_;
  // Refreshed a few times a second, not every frame: a frame draws copies.
  std::vector<FleetTile> tiles_;
  std::vector<std::vector<float>> sparklines_;
  double tiles_at_s_ = -1;
  std::vector<ScreenRect> estop_rects_, tile_rects_;
  FleetEStopTargets targets_;
  EStopShortcut shortcut_;
  std::string message_;  // the last e-stop press, as the operator is told
  uint64_t presses_ = 0;
  size_t visible_tiles_ = 0;       // drawn in the last frame (the others are scrolled away)
  std::unique_ptr<DashApp> full_;  // one rig's full view, while open
  std::string full_rig_;           // whose
  ListStamp list_stamp_;
  double list_checked_s_ = -1;
};

}  // namespace rollrig::gui
