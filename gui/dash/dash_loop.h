// rig-dash's main loop: interactive (a window until it is closed) or a screenshot (N frames
// offscreen at a fixed size, then the PNG and its JSON description).
#pragma once

#include "gui/dash/dash_options.h"

namespace rollrig::gui {

// Returns the process exit status; errors are printed to stderr.
int RunDash(const DashOptions& options);

}  // namespace rollrig::gui
