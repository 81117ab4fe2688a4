// The run panel: choose a profile, validate it, run it, follow it.
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_format.h"
#include "enum_names.h"
#include "gui/dash/panels.h"
#include "gui/dash/shown_run.h"
#include "imgui.h"

namespace rollrig::gui {
namespace {

const ImVec4 kRed(1.0f, 0.35f, 0.3f, 1.0f);
const ImVec4 kGreen(0.4f, 0.9f, 0.4f, 1.0f);
const ImVec4 kAmber(1.0f, 0.75f, 0.2f, 1.0f);

std::string VerdictText(rollrig::v1::Verdict v) {
  return v == rollrig::v1::VERDICT_UNSPECIFIED ? "not decided yet"
                                               : rollrig::v1::VerdictDisplayName(v);
}

ImVec4 VerdictColor(rollrig::v1::Verdict v) {
  return v == rollrig::v1::VERDICT_PASS          ? kGreen
         : v == rollrig::v1::VERDICT_MARGINAL    ? kAmber
         : v == rollrig::v1::VERDICT_UNSPECIFIED ? ImVec4(0.8f, 0.8f, 0.8f, 1)
                                                 : kRed;
}

// The profile the operator chose, as rigd takes it; false (and a message) when a file
// cannot be read.
bool ChosenProfile(DashState& s, rollrig::v1::ProfileSource* source) {
  if (s.use_profile_file) {
    std::ifstream in(s.profile_path);
    if (!in) {
      s.message = absl::StrFormat("cannot read profile file '%s'", s.profile_path);
      return false;
    }
    std::stringstream text;
    text << in.rdbuf();
    source->set_file_name(s.profile_path);
    source->set_text(text.str());
    return true;
  }
  if (s.snap.presets.empty()) {
    s.message = "rigd listed no presets";
    return false;
  }
  const int i = std::min<int>(s.preset_index, static_cast<int>(s.snap.presets.size()) - 1);
  source->set_preset(s.snap.presets[i].name());
  return true;
}

void DrawVerdict(const rollrig::v1::RunVerdict& v) {
  ImGui::Text("verdict:");
  ImGui::SameLine();
  ImGui::TextColored(VerdictColor(v.verdict()), "%s", VerdictText(v.verdict()).c_str());
  if (!v.reason().empty()) ImGui::TextWrapped("%s", v.reason().c_str());
  for (const auto& l : v.limits()) {
    if (l.violations() == 0 && l.outcome() == rollrig::v1::VERDICT_PASS) continue;
    ImGui::TextColored(VerdictColor(l.outcome()),
                       "  %s: %llu violations, worst %.3f (cycle %u, %s)", l.name().c_str(),
                       static_cast<unsigned long long>(l.violations()), l.worst_value(), l.cycle(),
                       l.segment_label().c_str());
  }
}

}  // namespace

// Pause, resume and stop of the active run. No lease needed: the run's owner may command it
// from any client, and an admin another identity's run by force with a reason; rigd judges
// and its refusal (naming the owner) shows as the action's outcome.
void RunCommandButtons(DashState& s, const RigSnapshot& snap) {
  const bool active = snap.have_run && !rollrig::v1::RunIsFinal(snap.run.state());
  ImGui::BeginDisabled(!active);
  RunCommand command;
  command.force = s.run_force;
  command.reason = s.run_force_reason;
  ImGui::SameLine();
  if (ImGui::Button("Pause")) s.client->PauseRun(command);
  ImGui::SameLine();
  if (ImGui::Button("Resume")) s.client->ResumeRun(command);
  ImGui::SameLine();
  if (ImGui::Button("Stop run")) s.client->StopRun(command);
  if (active && !snap.run.started_by().empty()) {
    ImGui::TextDisabled("run of %s; another's run needs an admin's force:",
                        snap.run.started_by().c_str());
    ImGui::Checkbox("force", &s.run_force);
    if (s.run_force) {
      ImGui::SameLine();
      ImGui::SetNextItemWidth(-1);
      ImGui::InputTextWithHint("##force-reason", "reason (recorded)", s.run_force_reason,
                               sizeof(s.run_force_reason));
    }
  }
  ImGui::EndDisabled();
}

void DrawRunPanel(DashState& s) {
  const RigSnapshot& snap = s.snap;
  if (s.recording) {
    const LoadedRecording& r = *s.recording;
    ImGui::Text("recording %s", r.run_id.empty() ? "(no run id)" : r.run_id.c_str());
    ImGui::TextWrapped("%s", r.path.c_str());
    ImGui::Text("profile %s, %s", r.profile_name.c_str(), r.state.c_str());
    ImGui::Text("%llu samples, %llu lost, %zu cycles, %zu events",
                static_cast<unsigned long long>(r.samples),
                static_cast<unsigned long long>(r.dropped), r.cycles.size(), r.events.size());
    if (r.has_verdict) DrawVerdict(r.verdict);
    if (!r.state_reason.empty()) ImGui::TextWrapped("%s", r.state_reason.c_str());
    if (!r.problem.empty()) {
      ImGui::PushStyleColor(ImGuiCol_Text, kAmber);
      ImGui::TextWrapped("%s", r.problem.c_str());
      ImGui::PopStyleColor();
    }
    if (s.client && ImGui::Button("Back to live")) {
      CloseShown(s);
      s.recording.reset();
    }
    return;
  }
  if (!s.client) return;

  ImGui::Checkbox("local profile file", &s.use_profile_file);
  if (s.use_profile_file) {
    ImGui::InputText("file", s.profile_path, sizeof(s.profile_path));
  } else if (!snap.presets.empty()) {
    std::vector<const char*> names;
    for (const auto& p : snap.presets) names.push_back(p.name().c_str());
    ImGui::Combo("preset", &s.preset_index, names.data(), static_cast<int>(names.size()));
    const auto& p = snap.presets[std::min<size_t>(s.preset_index, snap.presets.size() - 1)];
    ImGui::TextDisabled("%s (%.0f s per cycle)", p.description().c_str(), p.cycle_s());
  } else {
    ImGui::TextDisabled("no presets (is rigd connected?)");
  }
  ImGui::InputInt("cycles", &s.run_cycles);
  if (s.run_cycles < 1) s.run_cycles = 1;
  ImGui::InputText("DUT serial", s.dut_serial, sizeof(s.dut_serial));

  rollrig::v1::ProfileSource source;
  if (ImGui::Button("Validate") && ChosenProfile(s, &source)) s.client->Validate(source);
  ImGui::SameLine();
  ImGui::BeginDisabled(!snap.we_hold_lease);
  if (ImGui::Button("Start") && ChosenProfile(s, &source)) {
    rollrig::v1::RunSpec spec;
    *spec.mutable_profile() = source;
    spec.set_cycles(static_cast<uint32_t>(s.run_cycles));
    spec.set_dut_serial(s.dut_serial);
    spec.set_operator_(snap.lease.holder());
    s.client->StartRun(spec);
  }
  ImGui::EndDisabled();
  RunCommandButtons(s, snap);

  if (snap.have_validation) {
    const auto& v = snap.validation;
    if (v.ok()) {
      ImGui::TextColored(kGreen, "valid: %.1f s per cycle, %u segments", v.cycle_s(),
                         v.program_segments());
    } else {
      for (const auto& e : v.errors()) {
        // As a compiler prints it: FILE:LINE:COL: FIELD: message.
        ImGui::TextColored(kRed, "%s:%u:%u: %s: %s", e.file_name().c_str(), e.line(), e.column(),
                           e.field().c_str(), e.message().c_str());
      }
    }
  }

  if (snap.have_run) {
    const auto& run = snap.run;
    const auto& p = run.progress();
    ImGui::Separator();
    ImGui::Text("run %s: %s", run.id().c_str(),
                rollrig::v1::RunStateDisplayName(run.state()).c_str());
    ImGui::Text("profile %s", run.profile_name().c_str());
    ImGui::Text("cycle %u%s, %s", p.cycle(),
                p.cycles_total() ? absl::StrFormat("/%u", p.cycles_total()).c_str() : "",
                rollrig::v1::SegmentDisplayText(p.segment(), p.segment_label()).c_str());
    // Progress in program time, as the ETA counts it (paused and held time left out);
    // a rigd that does not report it gives elapsed time.
    const double program_s = p.active_s() > 0 ? p.active_s() : p.elapsed_s();
    const float frac = p.cycles_total() > 0 && run.cycle_s() > 0
                           ? static_cast<float>(program_s / (p.cycles_total() * run.cycle_s()))
                           : 0.0f;
    ImGui::ProgressBar(
        std::min(frac, 1.0f), ImVec2(-1, 0),
        absl::StrFormat("%.0f s elapsed, ETA %s", p.elapsed_s(),
                        p.eta_s() < 0 ? "unknown" : absl::StrFormat("%.0f s", p.eta_s()))
            .c_str());
    ImGui::Text("limit violations so far: %llu", static_cast<unsigned long long>(p.violations()));
    DrawVerdict(run.verdict());
    if (!run.state_reason().empty()) ImGui::TextWrapped("%s", run.state_reason().c_str());
  }
}

}  // namespace rollrig::gui
