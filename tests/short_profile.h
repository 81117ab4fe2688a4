// The short profile the run tests drive the simulated rig with: three segments, 4 s a
// cycle, a stall limit that aborts and two that fail. Plain data, and a run request of it.
#pragma once

#include <cstdint>

#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::testing {

// A short profile: 1 s ramp up, 2 s hold at 40 rpm with 30 N, 1 s ramp down; 4 s a cycle.
inline constexpr char kShortProfile[] = R"pb(
  name: "short"
  steps {
    segment {
      label: "up"
      duration_s: 1
      roller { ramp { from_rpm: 0 to_rpm: 40 } }
      preload { ramp { from_newtons: 0 to_newtons: 30 } }
    }
  }
  steps {
    segment {
      label: "hold"
      duration_s: 2
      roller { hold { rpm: 40 } }
      head { sweep { from_deg: -20 to_deg: 20 period_s: 1 } }
      preload { hold { newtons: 30 } }
    }
  }
  steps {
    segment {
      label: "down"
      duration_s: 1
      roller { ramp { from_rpm: 40 to_rpm: 0 } }
      preload { ramp { from_newtons: 30 to_newtons: 0 } }
    }
  }
  limits {
    name: "stall"
    signal: SIGNAL_TORQUE_NM
    max: 2.5
    persist_s: 0.2
    action: LIMIT_ACTION_ABORT
  }
  limits {
    name: "winding temperature"
    signal: SIGNAL_TEMPERATURE_C
    max: 60
    action: LIMIT_ACTION_FAIL
  }
  limits {
    name: "speed tracking"
    signal: SIGNAL_SPEED_ERROR_RPM
    max: 10
    persist_s: 0.3
    settle_s: 0.3
    action: LIMIT_ACTION_FAIL
  }
)pb";

// A run of the short profile, `cycles` long.
inline rollrig::v1::StartRunRequest ShortRunRequest(uint32_t cycles) {
  rollrig::v1::StartRunRequest req;
  req.mutable_spec()->mutable_profile()->set_file_name("short.textproto");
  req.mutable_spec()->mutable_profile()->set_text(kShortProfile);
  req.mutable_spec()->set_cycles(cycles);
  return req;
}

}  // namespace rollrig::testing
