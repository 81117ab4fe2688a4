// The torque and force limits a run is judged by, for the plots' limit bands: from a
// profile's text (what a run will be held to) or from a verdict (what it was held to).
#pragma once

#include <string>

#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::gui {

struct SignalLimit {
  bool has_min = false, has_max = false;
  double min = 0, max = 0;
  std::string name;  // the limit's name in the profile
};

struct RunLimits {
  SignalLimit torque_nm;
  SignalLimit force_n;
};

// Profile-wide live limits on torque and force in a textproto profile; empty limits when
// the text does not parse (validation reports that, not the plots).
RunLimits LimitsFromProfileText(const std::string& text);
// The live-signal limits a verdict lists (measurement "torque_nm" / "force_n").
RunLimits LimitsFromVerdict(const rollrig::v1::RunVerdict& verdict);

}  // namespace rollrig::gui
