// Which rigs an e-stop in the fleet view reaches, kept apart from drawing so it can be
// tested: a tile's own button stops exactly its rig; the shortcut (F1) stops the focused
// rig, or every rig in the view when none is focused. Never the wrong rig, never none.
//
// Not thread-safe: the render thread owns it.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace rollrig::gui {

class FleetEStopTargets {
 public:
  FleetEStopTargets() = default;
  explicit FleetEStopTargets(std::vector<std::string> rigs);

  // The rigs in the view, by name (unique). A focused rig that is no longer among them loses
  // the focus, so the shortcut falls back to every rig rather than to a stale one.
  void SetRigs(std::vector<std::string> rigs);
  // Focuses `rig`; false (focus unchanged) for a rig not in the view.
  bool Focus(const std::string& rig);
  void ClearFocus();
  const std::optional<std::string>& focused() const { return focused_; }
  bool IsFocused(const std::string& rig) const { return focused_ && *focused_ == rig; }

  // The shortcut: {focused} or every rig. Empty only when the view has no rigs.
  std::vector<std::string> ShortcutTargets() const;
  // A tile's own button: {rig}, or empty for a rig not in the view.
  std::vector<std::string> ButtonTargets(const std::string& rig) const;

 private:
  bool Has(const std::string& rig) const;

  std::vector<std::string> rigs_;
  std::optional<std::string> focused_;
};

// What became of one rig's e-stop request, as the operator is told.
struct EStopAttempt {
  std::string rig;
  bool reachable = false;  // connected when pressed
};

// One line: "E-STOP sent to A, B" and, for rigs that were not connected, that the request
// was still sent (it is retried) but may not arrive, so the rig's own button is needed.
std::string DescribeEStopPress(const std::vector<EStopAttempt>& attempts);

}  // namespace rollrig::gui
