// What one tile of the fleet view says about its rig, made from the rig client's snapshot:
// the connection, the device state, the run and its progress, the verdict so far, the
// limit closest to its bound, the last event. Pure; any thread.
#pragma once

#include <string>

#include "gui/dash/rig_client.h"

namespace rollrig::gui {

enum class FleetConnection { kConnecting, kConnected, kUnreachable };
const char* FleetConnectionName(FleetConnection c);  // "connecting", "connected", "unreachable"

struct FleetTile {
  std::string rig;   // the rig list's name
  std::string addr;  // rigd's gRPC address
  FleetConnection connection = FleetConnection::kConnecting;
  std::string connection_detail;  // why it is not connected
  std::string state = "unknown";  // device state ("idle", "running", "faulted"); "unknown" offline
  std::string faults;             // active faults, comma-separated; empty: none
  bool has_run = false;           // the active run, or else the latest
  bool run_active = false;
  std::string run_id, run_state;
  std::string progress;           // "cycle 3 of 10 (2 done)", "12 s of 60 s"
  double progress_fraction = -1;  // 0..1; -1 unknown
  std::string verdict;            // "PASS", "MARGINAL", "FAIL", "ABORTED"; empty: none yet
  std::string worst_limit;        // "peak torque: 2.10 (margin 0.40 to max 2.5)"
  std::string last_event;         // the newest event's summary
};

FleetTile MakeFleetTile(const std::string& rig, const std::string& addr, const RigSnapshot& snap);

// The limit closest to (or furthest past) its bound: the verdict's worst outcome first, then
// the smallest margin relative to the limit's band (or its one bound). Empty for a verdict without
// limits.
std::string WorstLimitText(const rollrig::v1::RunVerdict& verdict);

}  // namespace rollrig::gui
