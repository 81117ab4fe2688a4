// Which run the dashboard shows, and on which time axis: a recording (its own run time), a
// run of rigd's from its start through its history with the live rows joined (the active
// run, --run, or one opened from the runs panel), or else plain live rows (time since
// connecting). Keeps DashState's sources, marks (events, cycle lines) and trends in step
// with it, and the plots' time window (whole run, or following its newest seconds).
//
// Render thread only; nothing here waits for the network.
#pragma once

#include <string>

#include "gui/dash/dash_state.h"

namespace rollrig::gui {

// Shows `run_id` ("" = the active run, or else the latest) through rigd's history.
void OpenRunHistory(DashState& s, const std::string& run_id, bool pinned);
// Drops what is shown (history, sources, marks, trends) before a recording replaces it or
// the dashboard goes back to live rows; the recording itself is the caller's.
void CloseShown(DashState& s);
// Once per frame, before the panels.
void UpdateShownRun(DashState& s);
// The first and last time of what the sources hold; false when they hold nothing.
bool ShownExtent(const DashState& s, double* t_begin, double* t_end);
// The profile text a run was started with (a preset's from rigd's list when run by name).
std::string ProfileTextOf(const rollrig::v1::RunInfo& run,
                          const std::vector<rollrig::v1::Preset>& presets);

}  // namespace rollrig::gui
