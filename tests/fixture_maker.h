// Records lock-step runs of the simulated massager into fixtures: MCAP files with exactly
// the layout of rigd's run recordings (host/recording/recording_layout.h), and the
// expectation each must reproduce.
//
// Deterministic: a fixed seed, log times = a fixed epoch + device time (no wall clock),
// fixed run and program ids, no sync-dependent output. Making a fixture twice gives
// byte-identical files.
//
// What is recorded, as rigd records a run: metadata (run with its profile text and spec,
// device info, host with the clock offset, verdict), every sample the run analysed on
// /telemetry, every device event from PROGRAM_STARTED on and every gap on /events, each
// completed cycle's statistics on /cycles, the 10 Hz envelope on /overview.
// Telemetry is at 100 Hz (the firmware's telemetry divisor 10 on a 1 kHz tick) to keep
// the files small; the analysis is the same at any rate.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "rollrig/v1/device.pb.h"
#include "rollrig/v1/recording.pb.h"
#include "rollrig/v1/rig_service.pb.h"
#include "tests/lockstep_run.h"

namespace rollrig::testing {

// Log time 0 of every fixture: 2025-01-01T00:00:00Z.
inline constexpr int64_t kFixtureEpochNs = 1'735'689'600'000'000'000;

struct FixtureSpec {
  std::string name;          // fixtures/NAME.mcap
  std::string description;   // what the fixture is for (its expectation says so too)
  std::string preset;        // a preset's name, or
  std::string profile_text;  // a profile's text
  uint32_t cycles = 1;
  double ambient_c = 25;  // the simulated room
  // A physical fault injected this long into the program (device time), if any.
  rollrig::v1::InjectedFault inject = rollrig::v1::INJECTED_FAULT_UNSPECIFIED;
  double inject_at_s = 0;
  // Telemetry batches the host loses, as a link dropping transfers: those whose first
  // sample is in [lose_from_s, lose_to_s) of program time. Empty range = none.
  double lose_from_s = 0;
  double lose_to_s = 0;
  std::string reason_contains;  // for the expectation
};

// The fixtures kept in fixtures/, in a fixed order.
const std::vector<FixtureSpec>& StandardFixtures();
const FixtureSpec* FindFixture(const std::string& name);

struct MadeFixture {
  std::string path;                             // DIR/NAME.mcap
  LockstepRunResult run;                        // the live run's outcome
  rollrig::v1::FixtureExpectation expectation;  // made from the live run
  uint64_t bytes = 0;
};

// Runs `spec` in lock-step and writes DIR/NAME.mcap.
absl::StatusOr<MadeFixture> MakeFixture(const FixtureSpec& spec, const std::string& dir);

// The expectation's text, as kept in fixtures/NAME.expect.textproto.
std::string ExpectationText(const rollrig::v1::FixtureExpectation& expectation);

}  // namespace rollrig::testing
