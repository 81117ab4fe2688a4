// A Dear ImGui context with a built font atlas and no platform or renderer backend: frames
// can be built and their draw data inspected without a window or GL (tests, benchmarks).
#pragma once

#include <imgui.h>

#include <algorithm>
#include <cstddef>
#include <set>

namespace rollrig::gui::testing {

class HeadlessImGui {
 public:
  explicit HeadlessImGui(ImVec2 display = ImVec2(1280, 800)) {
    IMGUI_CHECKVERSION();
    context_ = ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = display;
    io.DeltaTime = 1.0f / 60.0f;
    io.IniFilename = nullptr;
    // As the OpenGL3 backend does: draw lists past 64K vertices use ImDrawCmd::VtxOffset.
    io.BackendFlags |= ImGuiBackendFlags_RendererHasVtxOffset;
    io.Fonts->Build();
  }
  ~HeadlessImGui() { ImGui::DestroyContext(context_); }
  HeadlessImGui(const HeadlessImGui&) = delete;
  HeadlessImGui& operator=(const HeadlessImGui&) = delete;

  // NewFrame and one full-screen window to draw in; EndFrame ends both and renders.
  void BeginFrame() {
    ImGui::NewFrame();
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(ImGui::GetIO().DisplaySize);
    ImGui::Begin(
        "plots", nullptr,
        ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings);
  }
  ImDrawData* EndFrame() {
    ImGui::End();
    ImGui::Render();
    return ImGui::GetDrawData();
  }

 private:
  ImGuiContext* context_;
};

// The most vertices any one draw command can address: the vertices from its VtxOffset up to
// the next command's different VtxOffset (or the end of the list). With 16-bit indices this
// must stay <= 65,536.
inline size_t MaxVerticesPerDrawCommand(const ImDrawData* data) {
  size_t worst = 0;
  for (int l = 0; l < data->CmdListsCount; ++l) {
    const ImDrawList* list = data->CmdLists[l];
    std::set<unsigned int> offsets;
    for (const ImDrawCmd& cmd : list->CmdBuffer) offsets.insert(cmd.VtxOffset);
    offsets.insert(static_cast<unsigned int>(list->VtxBuffer.Size));
    unsigned int previous = 0;
    bool first = true;
    for (unsigned int offset : offsets) {
      if (!first) worst = std::max<size_t>(worst, offset - previous);
      previous = offset;
      first = false;
    }
  }
  return worst;
}

}  // namespace rollrig::gui::testing
