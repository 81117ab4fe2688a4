// The plots panel's layout editor: how many plots in how many columns, each plot's title and
// channels; every change is saved (PlotLayout::Save). Draws its own ImGui window while
// layout->editing; call on the render thread between NewFrame and Render.
#pragma once

#include "gui/dash/plot_layout.h"

namespace rollrig::gui {

void DrawPlotLayoutEditor(PlotLayout* layout);

}  // namespace rollrig::gui
