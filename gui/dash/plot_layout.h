// Which plots rig-dash shows and which channels each holds: the layout the user picks in the
// plots panel, kept in a small text file and restored at start. Any channel of the channel
// table (rig/base/telemetry_channels.h) can be plotted, and the derived speed tracking error
// (roller_rpm_cmd - roller_rpm).
//
// The file, one plot a line ('#' starts a comment):
//   columns 2
//   plot Roller speed: roller_rpm_cmd, roller_rpm
//   plot Temperature: temp_c
//
// Plain data and pure functions except Load/Save (file I/O); used on the render thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gui/dash/speed_error_series.h"
#include "gui/plot/plot_widget.h"

namespace rollrig::gui {

// The derived channel: roller_rpm_cmd - roller_rpm.
inline constexpr std::string_view kSpeedErrorChannel = "roller_rpm_error";
inline constexpr size_t kMaxLayoutPlots = 12;
inline constexpr size_t kMaxLayoutColumns = 3;

struct PlotSpec {
  std::string title;
  std::vector<std::string> channels;  // names: the channel table's or kSpeedErrorChannel
};

struct PlotLayoutSpec {
  std::vector<PlotSpec> plots;
  size_t columns = 2;
  bool operator==(const PlotLayoutSpec& other) const;
};

// The channels a plot may hold, in table order, the derived one last.
std::vector<std::string_view> PlottableChannels();
// The unit of a plottable channel ("" when unknown).
std::string_view PlottableUnit(std::string_view channel);

// One plot per plot group of the channel table, plus temperature.
PlotLayoutSpec DefaultPlotLayout();

// Errors name `origin` (a file) and the line, and what was wrong with it.
absl::StatusOr<PlotLayoutSpec> ParsePlotLayout(std::string_view text, std::string_view origin);
std::string FormatPlotLayout(const PlotLayoutSpec& layout);

// Where the layout is kept: $ROLLRIG_DASH_LAYOUT, else $XDG_CONFIG_HOME/rollrig/, else
// $HOME/.config/rollrig/ rig-dash-layout.txt; "" when none of them is set.
std::string PlotLayoutPath();
// NotFound when the file does not exist; other errors say what was wrong.
absl::StatusOr<PlotLayoutSpec> LoadPlotLayout(const std::string& path);
// Writes through a temporary file, creating the directory.
absl::Status SavePlotLayout(const PlotLayoutSpec& layout, const std::string& path);

// The plots panel's layout state, kept in DashState across frames.
struct PlotLayout {
  PlotLayoutSpec spec = DefaultPlotLayout();
  bool loaded = false;  // the file was read (or found missing) at start
  std::string path;     // where it is saved ("" : not saved)
  std::string status;   // what happened loading or saving it, shown in the editor
  bool editing = false;
  std::vector<PlotView> views;  // per plot: its own y axis
  PlotCursor cursor;
  SpeedErrorSeries speed_error;  // of the shown source

  // Reads the file at PlotLayoutPath() once; a bad file leaves the default and says why.
  void LoadOnce();
  // Saves after an edit; the outcome goes to status.
  void Save();
};

}  // namespace rollrig::gui
