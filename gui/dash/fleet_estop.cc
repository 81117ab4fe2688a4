#include "gui/dash/fleet_estop.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace rollrig::gui {

FleetEStopTargets::FleetEStopTargets(std::vector<std::string> rigs) { SetRigs(std::move(rigs)); }

void FleetEStopTargets::SetRigs(std::vector<std::string> rigs) {
  rigs_ = std::move(rigs);
  if (focused_ && !Has(*focused_)) focused_.reset();
}

bool FleetEStopTargets::Has(const std::string& rig) const {
  return std::find(rigs_.begin(), rigs_.end(), rig) != rigs_.end();
}

bool FleetEStopTargets::Focus(const std::string& rig) {
  if (!Has(rig)) return false;
  focused_ = rig;
  return true;
}

void FleetEStopTargets::ClearFocus() { focused_.reset(); }

std::vector<std::string> FleetEStopTargets::ShortcutTargets() const {
  if (focused_) return {*focused_};
  return rigs_;
}

std::vector<std::string> FleetEStopTargets::ButtonTargets(const std::string& rig) const {
  if (!Has(rig)) return {};
  return {rig};
}

std::string DescribeEStopPress(const std::vector<EStopAttempt>& attempts) {
  if (attempts.empty()) return "E-STOP: no rig in the view";
  std::vector<std::string> sent, unreachable;
  for (const EStopAttempt& a : attempts) (a.reachable ? sent : unreachable).push_back(a.rig);
  std::string out;
  if (!sent.empty()) out = absl::StrCat("E-STOP sent to ", absl::StrJoin(sent, ", "));
  if (!unreachable.empty()) {
    absl::StrAppend(&out, out.empty() ? "" : "; ", "E-STOP to ", absl::StrJoin(unreachable, ", "),
                    " attempted but NOT CONNECTED (retrying): use the rig's own e-stop button");
  }
  return out;
}

}  // namespace rollrig::gui
