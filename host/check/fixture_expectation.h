// A fixture's expectation (fixtures/NAME.expect.textproto, a FixtureExpectation) and its
// comparison with a replayed run.
//
// The check passes exactly when the verdict is the expected one, the verdict's reason
// contains reason_contains (when given), the expectation was made with this analysis
// (analysis_version), and every expected metric is within its tolerance -- whatever the
// verdict is: a fixture of an aborted run passes when it aborts as expected.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "host/check/recording_replay.h"
#include "rollrig/v1/recording.pb.h"

namespace rollrig::check {

// "dir/NAME.mcap" -> "dir/NAME.expect.textproto" (any other name: NAME + ".expect.textproto").
std::string DefaultExpectationPath(const std::string& recording_path);

// Reads and parses a FixtureExpectation text file; errors name the file (and the line).
absl::StatusOr<rollrig::v1::FixtureExpectation> LoadExpectation(const std::string& path);

// One item checked: the verdict, the reason, the analysis version or one metric.
struct CheckItem {
  std::string name;      // "verdict", "reason", "analysis_version" or the metric's name
  std::string expected;  // as people read it, e.g. "PASS" or "2.5 ± 0.01"
  std::string actual;    // "(missing)" for a metric the run does not have
  bool ok = false;
};

struct CheckReport {
  std::vector<CheckItem> items;  // verdict, reason, analysis_version, then the metrics
  bool ok() const;
};

CheckReport CompareWithExpectation(const ReplayedRun& run,
                                   const rollrig::v1::FixtureExpectation& expected);

}  // namespace rollrig::check
