#include "gui/dash/plot_layout_editor.h"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_join.h"

namespace rollrig::gui {
namespace {

// The channels of one plot as checkboxes in a popup; returns true when they changed.
bool EditChannels(PlotSpec* plot) {
  bool changed = false;
  const std::string shown = absl::StrJoin(plot->channels, ", ");
  if (ImGui::Button(shown.empty() ? "(no channel)" : shown.c_str())) {
    ImGui::OpenPopup("channels");
  }
  if (ImGui::BeginPopup("channels")) {
    for (std::string_view name : PlottableChannels()) {
      auto it = std::find(plot->channels.begin(), plot->channels.end(), name);
      bool on = it != plot->channels.end();
      const std::string label = std::string(name) + " [" + std::string(PlottableUnit(name)) + "]";
      if (ImGui::Checkbox(label.c_str(), &on)) {
        changed = true;
        if (on) {
          plot->channels.emplace_back(name);
        } else if (plot->channels.size() > 1) {  // a plot keeps at least one channel
          plot->channels.erase(it);
        }
      }
    }
    ImGui::EndPopup();
  }
  return changed;
}

// One plot's row: title, channels, move up/down, remove. Returns true when it changed.
bool EditPlot(PlotLayoutSpec* spec, size_t i) {
  bool changed = false;
  PlotSpec& plot = spec->plots[i];
  ImGui::SetNextItemWidth(160);
  ImGui::InputText("##title", &plot.title);
  changed |= ImGui::IsItemDeactivatedAfterEdit() && !plot.title.empty();
  ImGui::SameLine();
  changed |= EditChannels(&plot);
  ImGui::SameLine();
  if (i > 0 && ImGui::SmallButton("up")) {
    std::swap(spec->plots[i], spec->plots[i - 1]);
    return true;
  }
  ImGui::SameLine();
  if (i + 1 < spec->plots.size() && ImGui::SmallButton("down")) {
    std::swap(spec->plots[i], spec->plots[i + 1]);
    return true;
  }
  ImGui::SameLine();
  if (spec->plots.size() > 1 && ImGui::SmallButton("remove")) {
    spec->plots.erase(spec->plots.begin() + static_cast<std::ptrdiff_t>(i));
    return true;
  }
  return changed;
}

}  // namespace

void DrawPlotLayoutEditor(PlotLayout* layout) {
  if (!layout->editing) return;
  ImGui::SetNextWindowSize(ImVec2(640, 360), ImGuiCond_FirstUseEver);
  if (!ImGui::Begin("Plot layout", &layout->editing)) {
    ImGui::End();
    return;
  }
  PlotLayoutSpec& spec = layout->spec;
  bool changed = false;
  ImGui::TextDisabled("Each plot: its title, then its channels (click to choose them).");
  int columns = static_cast<int>(spec.columns);
  ImGui::SetNextItemWidth(120);
  if (ImGui::SliderInt("columns", &columns, 1, static_cast<int>(kMaxLayoutColumns))) {
    spec.columns = static_cast<size_t>(columns);
    changed = true;
  }
  for (size_t i = 0; i < spec.plots.size(); ++i) {
    ImGui::PushID(static_cast<int>(i));
    const bool plot_changed = EditPlot(&spec, i);
    ImGui::PopID();
    if (plot_changed) {
      changed = true;
      break;  // the list may have changed under the loop
    }
  }
  if (spec.plots.size() < kMaxLayoutPlots && ImGui::Button("add plot")) {
    spec.plots.push_back({"Plot " + std::to_string(spec.plots.size() + 1), {"temp_c"}});
    changed = true;
  }
  ImGui::SameLine();
  if (ImGui::Button("default layout")) {
    spec = DefaultPlotLayout();
    changed = true;
  }
  ImGui::TextWrapped("%s", layout->status.c_str());
  if (changed) layout->Save();
  ImGui::End();
}

}  // namespace rollrig::gui
