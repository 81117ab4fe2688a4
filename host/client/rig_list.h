// The lab's rig list: the Prometheus file_sd JSON file that Prometheus scrapes and rig-dash's
// fleet view reads, so a lab keeps one list of its rigs. It is a JSON list of target groups:
//
//   [{"targets": ["HOST:METRICS_PORT"], "labels": {"rig": "NAME", "grpc": "HOST:GRPC_PORT"}}]
//
// Each group is one rig: its name (label "rig", unique in the list), where rigd's gRPC
// server listens (label "grpc") and its metrics target. Other labels are Prometheus's and
// are kept but not interpreted.
//
// Pure functions apart from reading the file; any thread.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace rollrig::client {

struct RigListEntry {
  std::string name;                           // label "rig"
  std::string grpc_addr;                      // label "grpc": HOST:PORT of rigd's gRPC server
  std::string metrics_target;                 // targets[0]: HOST:PORT of rigd's /metrics
  std::map<std::string, std::string> labels;  // all of the group's labels
};

// Parses the list's text. `source` names it in errors (the file name). Errors name the
// entry (by index, and by rig name when it has one) and what is wrong: not a JSON list, a
// group that is not an object, no "targets" or not exactly one target, a missing or empty
// "rig" or "grpc" label, a label that is not a string, a duplicate rig name, an address
// that is not HOST:PORT, or an empty list.
absl::StatusOr<std::vector<RigListEntry>> ParseRigList(const std::string& json,
                                                       const std::string& source);

// Reads and parses the file at `path`.
absl::StatusOr<std::vector<RigListEntry>> ReadRigList(const std::string& path);

}  // namespace rollrig::client
