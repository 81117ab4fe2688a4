// The runs panel: past runs from rigd, recordings from disk, the golden reference.
#include <chrono>
#include <string>

#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "enum_names.h"
#include "gui/dash/panels.h"
#include "gui/dash/shown_run.h"
#include "imgui.h"

namespace rollrig::gui {
namespace {

std::future<absl::StatusOr<std::unique_ptr<LoadedRecording>>> LoadInBackground(std::string path,
                                                                               bool keep_points) {
  // Reading a long recording takes a while: the frames go on meanwhile.
  return std::async(std::launch::async,
                    [path, keep_points] { return LoadRecording(path, keep_points); });
}

template <typename F>
bool Ready(const std::future<F>& f) {
  return f.valid() && f.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
}

}  // namespace

void DrawRunsPanel(DashState& s) {
  // Finish loads started earlier.
  if (Ready(s.loading)) {
    auto rec = s.loading.get();
    if (rec.ok()) {
      CloseShown(s);
      s.recording = std::move(*rec);
      s.whole_run = true;
      s.message.clear();
    } else {
      s.message = std::string(rec.status().message());
    }
  }
  if (Ready(s.golden_loading)) {
    auto rec = s.golden_loading.get();
    if (rec.ok()) {
      s.golden = std::make_unique<GoldenReference>();
      s.golden->recording = std::move(*rec);
    } else {
      s.message = std::string(rec.status().message());
    }
  }
  if (s.client && s.snap.downloads > s.downloads_seen) {
    s.downloads_seen = s.snap.downloads;
    if (s.loading_what == "golden") {
      s.golden_loading = LoadInBackground(s.snap.downloaded_path, true);
    } else {
      s.loading = LoadInBackground(s.snap.downloaded_path, false);
    }
    s.loading_what.clear();
  }

  if (s.client) {
    if (ImGui::Button("Refresh runs")) s.client->RefreshRuns();
    ImGui::BeginChild("runs", ImVec2(0, 120), true);
    for (const auto& run : s.snap.runs) {
      ImGui::PushID(run.id().c_str());
      const std::string when = absl::FormatTime(
          "%Y-%m-%d %H:%M", absl::FromUnixNanos(run.started_unix_ns()), absl::LocalTimeZone());
      ImGui::Text("%s %s %s", when.c_str(), run.profile_name().c_str(),
                  rollrig::v1::VerdictDisplayName(run.verdict().verdict()).c_str());
      ImGui::SameLine();
      if (ImGui::SmallButton("open")) {
        // Through rigd's history, from run time 0: no file is downloaded.
        OpenRunHistory(s, run.id(), true);
        s.whole_run = true;
      }
      ImGui::SameLine();
      if (ImGui::SmallButton("as golden")) {
        // Fetched like an opened run, then moved to the golden slot when it arrives.
        s.client->Download(run.id(), 0);
        s.loading_what = "golden";
      }
      ImGui::PopID();
    }
    ImGui::EndChild();
  }
  ImGui::InputText("recording", s.open_path, sizeof(s.open_path));
  ImGui::SameLine();
  if (ImGui::Button("Open") && s.open_path[0]) s.loading = LoadInBackground(s.open_path, false);
  ImGui::InputText("golden", s.golden_path, sizeof(s.golden_path));
  ImGui::SameLine();
  if (ImGui::Button("Overlay") && s.golden_path[0]) {
    s.golden_loading = LoadInBackground(s.golden_path, true);
  }
  if (s.loading.valid() || s.golden_loading.valid()) ImGui::TextDisabled("loading...");
  if (s.golden) {
    ImGui::Text("golden: %s", s.golden->recording->path.c_str());
    int cycle = s.golden->align_cycle;
    if (ImGui::InputInt("align on cycle (0 = run time)", &cycle)) {
      s.golden->align_cycle = std::max(0, cycle);
      s.golden->built = false;
    }
    if (ImGui::SmallButton("remove golden")) s.golden.reset();
  }
  if (s.history) {
    const RunHistorySummary& h = s.history_summary;
    if (h.have) {
      ImGui::TextWrapped("showing run %s from its start: %.1f s recorded%s, %zu events, %zu cycles",
                         h.run_id.c_str(), h.recorded_end_s, h.recording ? " (recording)" : "",
                         h.events.size(), h.cycles.size());
    } else {
      ImGui::TextDisabled("fetching the history of run %s...", s.history->requested_run().c_str());
    }
    const absl::Status st = s.history->status();
    if (!st.ok())
      ImGui::TextColored(ImVec4(1, 0.4f, 0.3f, 1), "%s", std::string(st.message()).c_str());
    if (s.history_pinned && ImGui::SmallButton("back to the active run")) CloseShown(s);
  }
  if (!s.message.empty()) ImGui::TextColored(ImVec4(1, 0.4f, 0.3f, 1), "%s", s.message.c_str());
}

}  // namespace rollrig::gui
