// The dashboard's panels. Each draws into the current ImGui window and reads/updates the
// shared DashState; call on the render thread between NewFrame and Render.
#pragma once

#include "gui/dash/dash_state.h"

namespace rollrig::gui {

// Identity, state, faults, interlocks, lease holder; take/release control, jog (reduced
// limits, optional hold-to-run), stop, clear fault.
void DrawDevicePanel(DashState& s, double now_s);
// Preset or profile file, validate (errors with line and field), start/pause/resume/stop,
// progress, limit violations and the verdict as it forms.
void DrawRunPanel(DashState& s);
// Past runs from rigd (open one), a recording from disk, the golden reference.
void DrawRunsPanel(DashState& s);
// Every per-cycle statistic of the shown run against cycle number, with its per-cycle limit
// lines; a click on a cycle zooms the time plots to it.
void DrawTrendsPanel(DashState& s);
// The plots (one per plot group of the channel table) with their time-window toolbar;
// fills s.plot_stats.
void DrawPlotsPanel(DashState& s, ImVec2 size);

}  // namespace rollrig::gui
