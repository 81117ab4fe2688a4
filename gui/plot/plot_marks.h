// What is drawn across every plot's time axis besides the series: events as markers (a
// vertical line in the kind's colour, the text on hover) and cycle boundaries as faint lines.
// Plain data on the plots' time axis (run time, seconds); the dashboard fills it once per
// frame from the shown run's events and cycles, and every plot draws the same marks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rollrig::gui {

// Marker kinds (PlotMarker::kind), lower case, one word: "start", "stop", "pause", "resume",
// "fault", "limit", "estop", "gap", "disconnect", "reconnect", "interruption", "held",
// "completed", "aborted", "other".
struct PlotMarker {
  double t = 0;
  std::string kind;
  std::string text;  // shown on hover: what happened, who asked, why
};

struct PlotMarks {
  std::vector<PlotMarker> markers;  // by time
  std::vector<double> cycle_lines;  // times at which a cycle began (after the first)
  // Wall-clock time at t = 0, Unix epoch ns (0: unknown): the cursor's tooltip shows it.
  int64_t time_zero_unix_ns = 0;
};

}  // namespace rollrig::gui
