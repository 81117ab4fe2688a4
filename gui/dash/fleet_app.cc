#include "gui/dash/fleet_app.h"

#include <GLFW/glfw3.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "imgui.h"

namespace rollrig::gui {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

constexpr float kTileMinWidth = 380, kTileHeight = 262;
constexpr float kEStopWidth = 130, kEStopHeight = 56;
constexpr double kTileRefresh_s = 0.25;
constexpr double kListCheck_s = 2;                 // how often the rig list's file is looked at
constexpr size_t kScreenshotSparklinePoints = 40;  // 4 s of torque

ImVec4 ConnectionColour(FleetConnection c) {
  switch (c) {
    case FleetConnection::kConnected:
      return ImVec4(0.4f, 0.9f, 0.4f, 1);
    case FleetConnection::kUnreachable:
      return ImVec4(1, 0.35f, 0.3f, 1);
    case FleetConnection::kConnecting:
      break;
  }
  return ImVec4(0.95f, 0.8f, 0.3f, 1);
}

ImVec4 VerdictColour(const std::string& v) {
  if (v == "PASS") return ImVec4(0.4f, 0.9f, 0.4f, 1);
  if (v == "MARGINAL") return ImVec4(0.95f, 0.8f, 0.3f, 1);
  return ImVec4(1, 0.35f, 0.3f, 1);
}

Value Str(const std::string& s) {
  Value v;
  v.set_string_value(s);
  return v;
}
Value Num(double d) {
  Value v;
  v.set_number_value(d);
  return v;
}
Value BoolValue(bool b) {
  Value v;
  v.set_bool_value(b);
  return v;
}
Value RectValue(const ScreenRect& r) {
  Value v;
  auto& f = *v.mutable_struct_value()->mutable_fields();
  f["x"] = Num(r.x);
  f["y"] = Num(r.y);
  f["w"] = Num(r.w);
  f["h"] = Num(r.h);
  return v;
}

Value TileValue(const FleetTile& t, size_t sparkline_points, bool focused, const ScreenRect& tile,
                const ScreenRect& estop) {
  Value v;
  auto& f = *v.mutable_struct_value()->mutable_fields();
  f["rig"] = Str(t.rig);
  f["addr"] = Str(t.addr);
  f["connection"] = Str(FleetConnectionName(t.connection));
  if (!t.connection_detail.empty()) f["connection_detail"] = Str(t.connection_detail);
  f["state"] = Str(t.state);
  f["faults"] = Str(t.faults);
  if (t.has_run) {
    Value run;
    auto& r = *run.mutable_struct_value()->mutable_fields();
    r["id"] = Str(t.run_id);
    r["state"] = Str(t.run_state);
    r["active"] = BoolValue(t.run_active);
    r["progress"] = Str(t.progress);
    if (t.progress_fraction >= 0) r["fraction"] = Num(t.progress_fraction);
    f["run"] = run;
  }
  f["verdict"] = Str(t.verdict);
  f["worst_limit"] = Str(t.worst_limit);
  f["last_event"] = Str(t.last_event);
  Value spark;
  (*spark.mutable_struct_value()->mutable_fields())["points"] =
      Num(static_cast<double>(sparkline_points));
  f["torque_sparkline"] = spark;
  f["focused"] = BoolValue(focused);
  f["rect"] = RectValue(tile);
  f["estop"] = RectValue(estop);
  return v;
}

}  // namespace

FleetApp::FleetApp(DashOptions options) : options_(std::move(options)) {}

FleetApp::~FleetApp() { Stop(); }

namespace {

// Each client's Stop joins its threads; stopping them one by one would add up their
// cancellation latencies, so they stop side by side.
void StopAll(const std::vector<std::unique_ptr<FleetRig>>& rigs) {
  std::vector<std::thread> stopping;
  for (const auto& rig : rigs) stopping.emplace_back([&rig] { rig->Stop(); });
  for (std::thread& t : stopping) t.join();
}

}  // namespace

namespace {

// What tells a changed rig list: its time and size, taken before it is read, so a change
// written while it is read is seen at the next check (file times are as coarse as a
// kernel tick; the size catches most changes within one).
FleetApp::ListStamp StampOf(const std::string& path) {
  std::error_code ec;
  FleetApp::ListStamp stamp;
  stamp.mtime = std::filesystem::last_write_time(path, ec);
  stamp.size = ec ? 0 : std::filesystem::file_size(path, ec);
  return stamp;
}

}  // namespace

absl::Status FleetApp::Start() {
  list_stamp_ = StampOf(options_.lab_path);
  absl::StatusOr<std::vector<client::RigListEntry>> list = client::ReadRigList(options_.lab_path);
  if (!list.ok()) return list.status();
  if (absl::Status st = ApplyList(*list); !st.ok()) return st;
  if (!options_.focus.empty() && !targets_.Focus(options_.focus)) {
    return absl::InvalidArgumentError(absl::StrCat("--focus ", options_.focus, ": no rig '",
                                                   options_.focus, "' in ", options_.lab_path));
  }
  if (!options_.open_rig.empty()) {
    auto it = std::find_if(rigs_.begin(), rigs_.end(),
                           [&](const auto& rig) { return rig->name() == options_.open_rig; });
    if (it == rigs_.end()) {
      return absl::InvalidArgumentError(absl::StrCat("--rig ", options_.open_rig, ": no rig '",
                                                     options_.open_rig, "' in ",
                                                     options_.lab_path));
    }
    OpenFullView(static_cast<size_t>(it - rigs_.begin()));
  }
  return absl::OkStatus();
}

absl::Status FleetApp::ApplyList(const std::vector<client::RigListEntry>& list) {
  absl::StatusOr<std::vector<client::ClientSettings>> settings =
      FleetClientSettings(options_.client, list);
  if (!settings.ok()) return settings.status();
  // A rig whose name and address stay keeps its client (and its sparkline).
  std::vector<std::unique_ptr<FleetRig>> kept, removed;
  std::vector<std::string> names;
  for (size_t i = 0; i < list.size(); ++i) {
    auto same = std::find_if(rigs_.begin(), rigs_.end(), [&](const auto& rig) {
      return rig && rig->name() == list[i].name && rig->entry().grpc_addr == list[i].grpc_addr;
    });
    if (same != rigs_.end()) {
      kept.push_back(std::move(*same));
    } else {
      kept.push_back(std::make_unique<FleetRig>(list[i], (*settings)[i]));
      kept.back()->Start();
    }
    names.push_back(list[i].name);
  }
  for (auto& rig : rigs_) {
    if (rig) removed.push_back(std::move(rig));
  }
  if (full_ && std::find(names.begin(), names.end(), full_rig_) == names.end()) CloseFullView();
  StopAll(removed);
  rigs_ = std::move(kept);
  targets_.SetRigs(std::move(names));  // a removed rig loses the focus
  tiles_.assign(rigs_.size(), FleetTile{});
  sparklines_.assign(rigs_.size(), {});
  estop_rects_.assign(rigs_.size(), ScreenRect{});
  tile_rects_.assign(rigs_.size(), ScreenRect{});
  tiles_at_s_ = -1;
  RefreshTiles(0);
  return absl::OkStatus();
}

void FleetApp::ReloadIfChanged(double now_s) {
  // Prometheus rereads a changed file_sd list; so does the fleet view.
  if (list_checked_s_ >= 0 && now_s - list_checked_s_ < kListCheck_s) return;
  list_checked_s_ = now_s;
  const ListStamp stamp = StampOf(options_.lab_path);
  if (stamp == list_stamp_) return;
  list_stamp_ = stamp;
  absl::StatusOr<std::vector<client::RigListEntry>> list = client::ReadRigList(options_.lab_path);
  absl::Status st = list.ok() ? ApplyList(*list) : list.status();
  message_ = st.ok() ? absl::StrCat("rig list reread: ", rigs_.size(), " rig(s)")
                     : absl::StrCat("the changed rig list is refused, still showing the ",
                                    rigs_.size(), " rig(s) before: ", st.message());
}

void FleetApp::Stop() {
  CloseFullView();
  StopAll(rigs_);
}

void FleetApp::RefreshTiles(double now_s) {
  if (tiles_at_s_ >= 0 && now_s - tiles_at_s_ < kTileRefresh_s) return;
  tiles_at_s_ = now_s;
  for (size_t i = 0; i < rigs_.size(); ++i) {
    tiles_[i] = rigs_[i]->Tile();
    rigs_[i]->Sparkline(&sparklines_[i]);
  }
}

bool FleetApp::WaitForRigs(double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    bool ready = true;
    for (const auto& rig : rigs_) {
      const FleetTile t = rig->Tile();
      ready = ready && t.connection != FleetConnection::kConnecting &&
              (t.connection != FleetConnection::kConnected ||
               (t.state != "unknown" && rig->sparkline_points() >= kScreenshotSparklinePoints));
    }
    if (ready) {
      tiles_at_s_ = -1;
      // A full view open from the start shows its plots with data, as rig-dash --addr does.
      const double left =
          std::chrono::duration<double>(deadline - std::chrono::steady_clock::now()).count();
      if (full_ && full_->state().client) return full_->state().client->WaitForTelemetry(500, left);
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  tiles_at_s_ = -1;
  return false;
}

void FleetApp::PressEStop(const std::vector<std::string>& targets, const char* how) {
  ++presses_;
  std::vector<EStopAttempt> attempts;
  for (const std::string& name : targets) {
    for (size_t i = 0; i < rigs_.size(); ++i) {
      if (rigs_[i]->name() != name) continue;
      // Sent whatever the link: the client retries, and rigd may be back by then.
      rigs_[i]->EStop(absl::StrCat("rig-dash fleet e-stop (", how, ")"));
      attempts.push_back({name, tiles_[i].connection == FleetConnection::kConnected});
    }
  }
  message_ = DescribeEStopPress(attempts);
}

void FleetApp::OpenFullView(size_t i) {
  targets_.Focus(rigs_[i]->name());
  DashOptions o = options_;
  o.lab_path.clear();
  o.focus.clear();
  o.open_rig.clear();
  o.screenshot_path.clear();
  o.addr = rigs_[i]->entry().grpc_addr;
  o.client.addr = o.addr;
  full_ = std::make_unique<DashApp>(std::move(o));
  full_->SetBackButton(absl::StrCat("< Fleet (rig ", rigs_[i]->name(), ")"));
  full_rig_ = rigs_[i]->name();
  if (absl::Status st = full_->Start(); !st.ok()) {
    message_ = absl::StrCat("cannot open rig ", rigs_[i]->name(), ": ", st.message());
    full_.reset();
  }
}

void FleetApp::CloseFullView() {
  if (!full_) return;
  full_->Stop();
  full_.reset();
}

void FleetApp::Header(float width) {
  // The list's file name (its directory is in the tooltip): the header stays one short line.
  ImGui::Text("rig-dash fleet: %zu rig(s) from %s", rigs_.size(),
              std::filesystem::path(options_.lab_path).filename().c_str());
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", options_.lab_path.c_str());
  const auto& focused = targets_.focused();
  if (focused) {
    ImGui::TextColored(ImVec4(1, 0.85f, 0.2f, 1),
                       "Focused: rig %s. F1 / Ctrl+Space e-stops rig %s only.", focused->c_str(),
                       focused->c_str());
    ImGui::SameLine();
    if (ImGui::SmallButton("Unfocus (Esc)")) targets_.ClearFocus();
  } else {
    ImGui::TextColored(ImVec4(1, 0.45f, 0.35f, 1),
                       "No rig focused: F1 / Ctrl+Space e-stops ALL %zu RIGS. Click a tile to "
                       "focus it; Open (or double click) shows its full view.",
                       rigs_.size());
  }
  if (!message_.empty()) {
    ImGui::PushTextWrapPos(width);
    ImGui::TextColored(ImVec4(1, 0.4f, 0.3f, 1), "%s", message_.c_str());
    ImGui::PopTextWrapPos();
  }
  ImGui::Separator();
}

void FleetApp::TileText(const FleetTile& t) {
  ImGui::TextColored(ConnectionColour(t.connection), "%s", FleetConnectionName(t.connection));
  ImGui::SameLine();
  ImGui::TextDisabled("%s", t.addr.c_str());
  if (t.connection != FleetConnection::kConnected) {
    if (!t.connection_detail.empty()) ImGui::TextWrapped("%s", t.connection_detail.c_str());
    return;
  }
  ImGui::Text("device: %s", t.state.c_str());
  if (!t.faults.empty()) {
    ImGui::SameLine();
    ImGui::TextColored(ImVec4(1, 0.35f, 0.3f, 1), "faults: %s", t.faults.c_str());
  }
  if (t.has_run) {
    ImGui::Text("run %s: %s", t.run_id.c_str(), t.run_state.c_str());
    ImGui::Text("%s", t.progress.c_str());
  } else {
    ImGui::TextDisabled("no run yet");
  }
}

void FleetApp::Tile(size_t i, float width, float height) {
  const FleetTile& t = tiles_[i];
  const bool focused = targets_.IsFocused(t.rig);
  const ImVec2 pos = ImGui::GetCursorScreenPos();
  tile_rects_[i] = {pos.x, pos.y, width, height};
  ImGui::PushStyleColor(ImGuiCol_ChildBg,
                        focused ? IM_COL32(70, 58, 10, 255) : IM_COL32(28, 30, 36, 255));
  ImGui::PushID(static_cast<int>(i));
  ImGui::BeginChild("tile", ImVec2(width, height), true,
                    ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse);
  const float inner = ImGui::GetContentRegionAvail().x;
  ImGui::BeginGroup();
  ImGui::SetWindowFontScale(1.5f);
  ImGui::Text("%s", t.rig.c_str());
  ImGui::SetWindowFontScale(1.0f);
  ImGui::PushTextWrapPos(inner - kEStopWidth - 8);
  TileText(t);
  ImGui::PopTextWrapPos();
  ImGui::EndGroup();
  // The rig's own e-stop, top right of its tile, naming the rig.
  ImGui::SetCursorPos(ImVec2(inner - kEStopWidth + ImGui::GetStyle().WindowPadding.x,
                             ImGui::GetStyle().WindowPadding.y));
  const EStopReach reach =
      t.connection == FleetConnection::kConnected ? EStopReach::kReaches : EStopReach::kNoLink;
  if (DrawRigEStopButton(t.rig, kEStopWidth, kEStopHeight, reach, &estop_rects_[i])) {
    PressEStop(targets_.ButtonTargets(t.rig), "button");
  }
  ImGui::SetCursorPosX(inner - kEStopWidth + ImGui::GetStyle().WindowPadding.x);
  const bool open = ImGui::Button("Open full view", ImVec2(kEStopWidth, 0));
  ImGui::SetCursorPosY(
      std::max(ImGui::GetCursorPosY(), 6 * ImGui::GetTextLineHeightWithSpacing() + 12));
  if (t.progress_fraction >= 0 && t.connection == FleetConnection::kConnected) {
    ImGui::ProgressBar(static_cast<float>(t.progress_fraction), ImVec2(inner, 0));
  }
  if (!t.verdict.empty()) {
    ImGui::TextColored(VerdictColour(t.verdict), "verdict %s%s", t.verdict.c_str(),
                       t.run_active ? " so far" : "");
  }
  if (!t.worst_limit.empty()) {
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextWrapped("worst limit %s", t.worst_limit.c_str());
    ImGui::PopTextWrapPos();
  }
  if (!t.last_event.empty()) ImGui::TextDisabled("last: %s", t.last_event.c_str());
  const std::vector<float>& spark = sparklines_[i];
  const float spark_h = std::max(24.0f, ImGui::GetContentRegionAvail().y);
  if (t.connection == FleetConnection::kConnected && !spark.empty()) {
    const auto [lo, hi] = std::minmax_element(spark.begin(), spark.end());
    const std::string caption = absl::StrFormat("torque %.2f..%.2f Nm", *lo, *hi);
    ImGui::PlotLines("##torque", spark.data(), static_cast<int>(spark.size()), 0, caption.c_str(),
                     FLT_MAX, FLT_MAX, ImVec2(inner, spark_h));
  }
  // A click anywhere else on the tile focuses it; a double click opens it.
  const bool on_tile =
      ImGui::IsWindowHovered(ImGuiHoveredFlags_ChildWindows) && !ImGui::IsAnyItemHovered();
  if (on_tile && ImGui::IsMouseClicked(ImGuiMouseButton_Left)) targets_.Focus(t.rig);
  ImGui::EndChild();
  ImGui::PopID();
  ImGui::PopStyleColor();
  if (focused) {  // plainly: a thick amber frame around the focused tile
    ImGui::GetWindowDrawList()->AddRect(ImVec2(pos.x - 2, pos.y - 2),
                                        ImVec2(pos.x + width + 2, pos.y + height + 2),
                                        IM_COL32(255, 190, 0, 255), 4.0f, 0, 5.0f);
  }
  if (open || (on_tile && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left))) OpenFullView(i);
}

void FleetApp::BuildFrame(GLFWwindow* window, double now_s) {
  if (full_) {  // one rig's full view: its own header, e-stop and F1 (that rig only)
    full_->BuildFrame(window, now_s);
    if (full_->TakeBackRequest()) CloseFullView();
    return;
  }
  // The shortcut first, whatever has keyboard focus.
  if (window && shortcut_.Pressed(window)) PressEStop(targets_.ShortcutTargets(), "keyboard");
  if (ImGui::IsKeyPressed(GLFW_KEY_ESCAPE, false)) targets_.ClearFocus();
  ReloadIfChanged(now_s);
  RefreshTiles(now_s);
  const ImGuiIO& io = ImGui::GetIO();
  ImGui::SetNextWindowPos(ImVec2(0, 0));
  ImGui::SetNextWindowSize(io.DisplaySize);
  ImGui::Begin("rig-dash fleet", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                   ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus);
  Header(io.DisplaySize.x);
  ImGui::BeginChild("tiles");
  const float spacing = ImGui::GetStyle().ItemSpacing.x + 4;
  const float avail = ImGui::GetContentRegionAvail().x;
  const int columns = std::max(1, static_cast<int>((avail + spacing) / (kTileMinWidth + spacing)));
  const float width = (avail - spacing * static_cast<float>(columns - 1)) / columns;
  visible_tiles_ = 0;
  for (size_t i = 0; i < rigs_.size() && !full_; ++i) {
    if (i % columns != 0) ImGui::SameLine(0, spacing);
    // A tile scrolled out of view costs a placeholder, not its drawing: 50 rigs cost about
    // what a screenful of them does.
    if (!ImGui::IsRectVisible(ImVec2(width, kTileHeight))) {
      tile_rects_[i] = estop_rects_[i] = {};
      ImGui::Dummy(ImVec2(width, kTileHeight));
      continue;
    }
    ++visible_tiles_;
    Tile(i, width, kTileHeight);
  }
  ImGui::EndChild();
  ImGui::End();
}

std::string FleetApp::Describe(int width, int height, const FrameTiming& timing) const {
  Struct d;
  auto& f = *d.mutable_fields();
  f["mode"] = Str("fleet");
  f["rig_list"] = Str(options_.lab_path);
  Value size;
  (*size.mutable_struct_value()->mutable_fields())["w"] = Num(width);
  (*size.mutable_struct_value()->mutable_fields())["h"] = Num(height);
  f["size"] = size;
  Value tiles;
  for (size_t i = 0; i < tiles_.size(); ++i) {
    *tiles.mutable_list_value()->add_values() =
        TileValue(tiles_[i], sparklines_[i].size(), targets_.IsFocused(tiles_[i].rig),
                  tile_rects_[i], estop_rects_[i]);
  }
  f["tiles"] = tiles;
  if (targets_.focused()) {
    f["focused"] = Str(*targets_.focused());
  } else {
    f["focused"].set_null_value(google::protobuf::NULL_VALUE);
  }
  Value shortcut;
  for (const std::string& rig : targets_.ShortcutTargets()) {
    *shortcut.mutable_list_value()->add_values() = Str(rig);
  }
  f["shortcut_estop_targets"] = shortcut;
  Value t;
  auto& tf = *t.mutable_struct_value()->mutable_fields();
  tf["frames"] = Num(timing.frames);
  tf["mean_frame_ms"] = Num(timing.mean_frame_ms);
  tf["max_frame_ms"] = Num(timing.max_frame_ms);
  tf["wall_s"] = Num(timing.wall_s);
  tf["cpu_s"] = Num(timing.cpu_s);
  tf["render_cpu_s"] = Num(timing.render_cpu_s);
  tf["visible_tiles"] = Num(static_cast<double>(visible_tiles_));
  tf["max_rss_kb"] = Num(static_cast<double>(timing.max_rss_kb));
  f["timing"] = t;
  f["message"] = Str(message_);
  if (full_) {  // one rig's full view is on screen instead of the tiles
    Value full;
    auto& ff = *full.mutable_struct_value()->mutable_fields();
    ff["rig"] = Str(full_rig_);
    ff["connection"] = Str(LinkStateName(full_->state().snap.link));
    ff["estop"] = RectValue(full_->state().estop_rect);
    f["full_view"] = full;
  }
  std::string out;
  google::protobuf::util::JsonPrintOptions print;
  print.add_whitespace = true;
  print.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(d, &out, print);
  return out;
}

}  // namespace rollrig::gui
