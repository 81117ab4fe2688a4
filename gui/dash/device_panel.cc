// The device panel: what the rig is and does, and manual control of it.
#include <algorithm>
#include <string>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "enum_names.h"
#include "gui/dash/panels.h"
#include "imgui.h"

namespace rollrig::gui {
namespace {

// Jogging from the dashboard is held to a fraction of the device's range: a slip of the
// mouse must not send the roller to full speed.
constexpr double kJogFraction = 0.5;
// Hold-to-run: the jog is repeated while the button is held; letting go stops the roller.
constexpr double kHoldRepeat_s = 0.2;

const ImVec4 kRed(1.0f, 0.35f, 0.3f, 1.0f);
const ImVec4 kGreen(0.4f, 0.9f, 0.4f, 1.0f);
const ImVec4 kAmber(1.0f, 0.75f, 0.2f, 1.0f);

}  // namespace

void DrawDevicePanel(DashState& s, double now_s) {
  const RigSnapshot& snap = s.snap;
  if (!s.client) {
    ImGui::TextDisabled("No rig: showing a recording (start without --open to connect).");
    return;
  }
  const auto& st = snap.status;
  const auto& dev = snap.have_info ? snap.info.device() : st.device();
  ImGui::Text("rigd %s: %s", s.client->addr().c_str(), LinkStateName(snap.link));
  if (!dev.serial().empty()) {
    ImGui::TextWrapped("%s %s, serial %s, firmware %s%s", dev.vendor().c_str(), dev.model().c_str(),
                       dev.serial().c_str(), dev.firmware_version().c_str(),
                       dev.simulated() ? " (simulated)" : "");
  }
  if (snap.have_status) {
    const bool faulted = st.state() == rollrig::v1::DEVICE_STATE_FAULTED;
    ImGui::Text(
        "transport %s, device %s", st.transport().c_str(),
        st.connection() == rollrig::v1::CONNECTION_STATE_CONNECTED ? "connected" : "not connected");
    if (!st.detail().empty()) ImGui::TextWrapped("%s", st.detail().c_str());
    ImGui::Text("state:");
    ImGui::SameLine();
    ImGui::TextColored(faulted ? kRed : kGreen, "%s",
                       rollrig::v1::StateDisplayName(st.state()).c_str());
    ImGui::Text("faults:");
    ImGui::SameLine();
    ImGui::TextColored(
        st.fault_names().empty() ? kGreen : kRed, "%s",
        st.fault_names().empty() ? "none" : absl::StrJoin(st.fault_names(), ", ").c_str());
    ImGui::Text("interlocks:");
    ImGui::SameLine();
    ImGui::TextColored(
        st.interlock_names().empty() ? kGreen : kAmber, "%s",
        st.interlock_names().empty() ? "none" : absl::StrJoin(st.interlock_names(), ", ").c_str());
    const auto& l = st.last();
    ImGui::Text("roller %7.1f rpm  head %6.1f deg", l.roller_rpm(), l.head_deg());
    ImGui::Text("torque %7.3f N·m  force %6.1f N", l.torque_nm(), l.force_n());
    ImGui::Text("temp %5.1f °C  %llu samples, %llu lost", l.temp_c(),
                static_cast<unsigned long long>(st.samples_received()),
                static_cast<unsigned long long>(st.samples_lost()));
  }
  ImGui::Text("telemetry: %u Hz, %llu rows here, %llu dropped by the stream", snap.sample_rate_hz,
              static_cast<unsigned long long>(snap.telemetry_rows),
              static_cast<unsigned long long>(snap.stream_dropped_total));

  ImGui::Separator();
  const auto& lease = snap.lease;
  if (snap.we_hold_lease) {
    ImGui::TextColored(kGreen, "control: you (%s)", lease.holder().c_str());
    if (ImGui::Button("Release control")) s.client->ReleaseLease();
  } else {
    ImGui::Text("control: %s",
                lease.held() ? absl::StrFormat("%s (%s)", lease.holder(), lease.client()).c_str()
                             : "nobody");
    if (ImGui::Button("Take control")) s.client->AcquireLease(false);
    if (lease.held()) {
      ImGui::SameLine();
      if (ImGui::Button("Take it by force")) s.client->AcquireLease(true);
    }
  }

  // Jog, within reduced limits of the device's ranges.
  const auto& caps = dev.capabilities();
  const float rpm_max =
      static_cast<float>(kJogFraction * std::max(std::abs(caps.roller_rpm().min()),
                                                 std::abs(caps.roller_rpm().max())));
  const float head_min = static_cast<float>(caps.head_deg().min());
  const float head_max = static_cast<float>(caps.head_deg().max());
  const float preload_max = static_cast<float>(kJogFraction * caps.preload_n().max());
  ImGui::BeginDisabled(!snap.we_hold_lease);
  ImGui::SliderFloat("roller rpm", &s.jog_rpm, -std::max(rpm_max, 1.0f), std::max(rpm_max, 1.0f),
                     "%.0f");
  ImGui::SliderFloat("head deg", &s.jog_head, std::min(head_min, 0.0f), std::max(head_max, 1.0f),
                     "%.0f");
  ImGui::SliderFloat("preload N", &s.jog_preload, 0.0f, std::max(preload_max, 1.0f), "%.0f");
  ImGui::Checkbox("hold to run", &s.hold_to_run);
  JogCommand jog{s.jog_rpm, s.jog_head, s.jog_preload};
  if (s.hold_to_run) {
    ImGui::Button("Hold to jog");
    const bool held = ImGui::IsItemActive();
    if (held && (!s.hold_active || now_s - s.hold_last_sent >= kHoldRepeat_s)) {
      s.client->Jog(jog);
      s.hold_last_sent = now_s;
    }
    if (!held && s.hold_active) s.client->Jog(JogCommand{0.0, std::nullopt, std::nullopt});
    s.hold_active = held;
  } else {
    if (ImGui::Button("Jog")) s.client->Jog(jog);
  }
  ImGui::SameLine();
  if (ImGui::Button("Stop")) s.client->StopMotion();
  ImGui::SameLine();
  if (ImGui::Button("Clear fault")) s.client->ClearFault();
  ImGui::EndDisabled();
  if (!snap.we_hold_lease) ImGui::TextDisabled("take control to jog, stop or clear");
  ImGui::TextDisabled("jog limits: +-%.0f rpm, %.0f N preload (half the device's range)", rpm_max,
                      preload_max);
  if (!snap.action_message.empty()) {
    ImGui::TextColored(snap.action_ok ? kGreen : kRed, "%s", snap.action_message.c_str());
  }

  if (ImGui::TreeNode("Events")) {
    for (auto it = snap.events.rbegin(); it != snap.events.rend(); ++it) {
      ImGui::TextWrapped("%s", it->message().c_str());
    }
    ImGui::TreePop();
  }
}

}  // namespace rollrig::gui
