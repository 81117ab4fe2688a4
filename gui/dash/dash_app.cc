#include "gui/dash/dash_app.h"

#include "absl/strings/str_cat.h"
#include "gui/dash/panels.h"
#include "gui/dash/shown_run.h"
#include "imgui.h"

namespace rollrig::gui {
namespace {

constexpr float kEStopWidth = 180, kEStopHeight = 64;
constexpr float kPanelWidth = 410;
constexpr float kTrendsHeight = 250;

}  // namespace

DashApp::DashApp(DashOptions options) { s_.options = std::move(options); }

DashApp::~DashApp() { Stop(); }

absl::Status DashApp::Start() {
  if (!s_.options.golden_path.empty()) {
    auto golden = LoadRecording(s_.options.golden_path, /*keep_points=*/true);
    if (!golden.ok()) return golden.status();
    s_.golden = std::make_unique<GoldenReference>();
    s_.golden->recording = std::move(*golden);
  }
  if (!s_.options.open_paths.empty()) {
    auto rec = LoadRecording(s_.options.open_paths);
    if (!rec.ok() && !s_.options.screenshot_path.empty()) return rec.status();
    if (!rec.ok()) {  // the window opens and says what it could not show
      s_.message = std::string(rec.status().message());
      return absl::OkStatus();
    }
    s_.recording = std::move(*rec);
    s_.whole_run = true;
    ApplyWindowOption();
    return absl::OkStatus();
  }
  // Address, CA and token: command line, then ROLLRIG_TOKEN, then the client config.
  absl::StatusOr<client::ClientSources> sources = client::ReadClientSources();
  if (!sources.ok()) return sources.status();
  absl::StatusOr<client::ClientSettings> settings =
      client::ResolveClientSettings(s_.options.client, *sources);
  if (!settings.ok()) return settings.status();
  s_.options.addr = settings->addr;
  s_.live = std::make_unique<SeriesSet>();
  s_.client = std::make_unique<RigClient>(*std::move(settings), s_.options.telemetry_rate_hz,
                                          s_.live.get());
  s_.client->Start();
  if (!s_.options.run_id.empty()) OpenRunHistory(s_, s_.options.run_id, /*pinned=*/true);
  ApplyWindowOption();
  return absl::OkStatus();
}

void DashApp::ApplyWindowOption() {
  if (s_.options.window_whole) {
    s_.whole_run = true;
  } else if (s_.options.window_s > 0) {
    s_.whole_run = false;
    s_.window_s = s_.options.window_s;
    s_.view.follow_latest = true;
  }
}

void DashApp::UpdateShown() {
  if (s_.client) s_.snap = s_.client->Snapshot();
  UpdateShownRun(s_);
}

void DashApp::Stop() {
  if (s_.client) s_.client->Stop();
}

void DashApp::PressEStop(const char* how) {
  ++s_.estops_pressed;
  if (s_.client) {
    s_.client->EStop(absl::StrCat("rig-dash e-stop (", how, ")"));
  } else {
    s_.message = "e-stop: no rig connected (a recording is open)";
  }
}

void DashApp::Header(float width) {
  const RigSnapshot& snap = s_.snap;
  const float top = ImGui::GetCursorPosY();
  ImGui::BeginGroup();
  if (back_label_.empty()) {
    ImGui::Text("rig-dash");
  } else if (ImGui::Button(back_label_.c_str())) {
    back_requested_ = true;
  }
  ImGui::SameLine();
  if (s_.recording) {
    ImGui::TextDisabled("recording %s", s_.recording->path.c_str());
  } else if (s_.client) {
    const bool up = snap.link == LinkState::kConnected;
    ImGui::TextColored(up ? ImVec4(0.4f, 0.9f, 0.4f, 1) : ImVec4(1, 0.4f, 0.3f, 1), "rigd %s: %s",
                       s_.client->addr().c_str(), LinkStateName(snap.link));
    if (!snap.estop_refused.empty()) {
      // rigd answers, but not to us: its e-stop needs an identity it accepts.
      ImGui::TextColored(ImVec4(1, 0.3f, 0.25f, 1),
                         "E-STOP FROM HERE WOULD BE REFUSED: rigd wants a valid token. Use the "
                         "rig's own e-stop button.");
      // Wrapped short of the e-stop button, which stands to the right of this text.
      ImGui::PushTextWrapPos(width - kEStopWidth - 2 * ImGui::GetStyle().WindowPadding.x);
      ImGui::TextWrapped("%s", snap.estop_refused.c_str());
      ImGui::PopTextWrapPos();
    } else if (!up) {
      // Said plainly: the button below is only as good as the link.
      ImGui::TextColored(ImVec4(1, 0.3f, 0.25f, 1),
                         "NOT CONNECTED: E-STOP CANNOT REACH THE RIG. Use the rig's own e-stop "
                         "button. Reconnecting...");
      if (!snap.link_detail.empty()) ImGui::TextDisabled("%s", snap.link_detail.c_str());
    } else if (snap.have_status) {
      ImGui::Text("device %s, %s%s", snap.status.transport().c_str(),
                  snap.status.fault_names().empty() ? "no faults" : "FAULTED",
                  snap.we_hold_lease ? ", you have control" : "");
    }
  }
  if (s_.estops_pressed > 0) {
    ImGui::TextColored(ImVec4(1, 0.4f, 0.3f, 1), "e-stop pressed %llu time(s); %llu sent",
                       static_cast<unsigned long long>(s_.estops_pressed),
                       static_cast<unsigned long long>(s_.client ? s_.client->estops_sent() : 0));
  }
  ImGui::EndGroup();
  // The e-stop at the top right, outside every scrolling panel, never disabled.
  ImGui::SameLine();
  ImGui::SetCursorPos(ImVec2(width - kEStopWidth - ImGui::GetStyle().WindowPadding.x, top));
  EStopReach reach = EStopReach::kReaches;
  if (s_.client && !snap.estop_refused.empty()) {
    reach = EStopReach::kRefused;
  } else if (s_.client && snap.link != LinkState::kConnected) {
    reach = EStopReach::kNoLink;
  }
  if (DrawEStopButton(kEStopWidth, kEStopHeight, reach, &s_.estop_rect)) PressEStop("button");
  ImGui::SetCursorPosY(top + kEStopHeight + ImGui::GetStyle().ItemSpacing.y);
  ImGui::Separator();
}

void DashApp::BuildFrame(GLFWwindow* window, double now_s) {
  // The shortcut first, whatever has keyboard focus.
  if (window && shortcut_.Pressed(window)) PressEStop("keyboard");
  UpdateShown();

  const ImGuiIO& io = ImGui::GetIO();
  ImGui::SetNextWindowPos(ImVec2(0, 0));
  ImGui::SetNextWindowSize(io.DisplaySize);
  ImGui::Begin("rig-dash", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                   ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus);
  Header(io.DisplaySize.x);

  // The left column: the panels (scrolling), and below them the trends, always in view.
  ImGui::BeginGroup();
  const float trends_h = s_.trends.series.empty() ? 0 : kTrendsHeight;
  ImGui::BeginChild("panels", ImVec2(kPanelWidth, trends_h > 0 ? -trends_h : 0), true);
  ImGui::PushTextWrapPos(0.0f);  // long lines wrap at the panel's edge instead of being cut off
  if (ImGui::CollapsingHeader("Device", ImGuiTreeNodeFlags_DefaultOpen)) DrawDevicePanel(s_, now_s);
  if (ImGui::CollapsingHeader("Run", ImGuiTreeNodeFlags_DefaultOpen)) DrawRunPanel(s_);
  if (ImGui::CollapsingHeader("Runs and recordings", ImGuiTreeNodeFlags_DefaultOpen)) {
    DrawRunsPanel(s_);
  }
  ImGui::PopTextWrapPos();
  ImGui::EndChild();
  if (trends_h > 0) {
    ImGui::BeginChild("trends", ImVec2(kPanelWidth, 0), true);
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextUnformatted("Trends across cycles");
    DrawTrendsPanel(s_);
    ImGui::PopTextWrapPos();
    ImGui::EndChild();
  }
  ImGui::EndGroup();
  ImGui::SameLine();
  ImGui::BeginChild("plots", ImVec2(0, 0), false,
                    ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse);
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  DrawPlotsPanel(s_, avail);
  ImGui::EndChild();
  ImGui::End();
}

}  // namespace rollrig::gui
