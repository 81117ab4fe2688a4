// The run model: the rules that turn a run's samples, device events, requests and time into
// its state, the requests rigd must send to the device, and its verdict with the reason.
// Written once; rigd executes its effects (RunManager), `rigctl check` replays a
// recording's events and samples into it, the lock-step tests drive it, so a replay gives
// the verdict line the live run gave.
//
// Inputs, in the order they happened (live: as they arrive; replayed: by log time):
// - Sample(): every telemetry sample, in counter order.
// - Event(): every RigEvent of the run, as recorded:
//   - placed by sample counter (held until every sample before it was fed): a device event
//     (DeviceEvent.sample_seq) and a gap between the device and rigd (gap_first_seq), and a
//     request whose sample_seq the live run stamped (Stamp());
//   - applied at once: a lost device (DISCONNECTED), the device's own gap (DEVICE_GAP), a
//     device back (CONNECTED), an e-stop request (who and why: ESTOP_REQUESTED), an analysis
//     gap (TELEMETRY_GAP with run_id), a request (RUN_STATE with `who`: ABORTED = stop) and
//     rigd's own run states (RUN_STATE without `who`: PAUSED, RUNNING, ARMING = a held run
//     re-arms, a final state = how rigd ended the run: while HELD, or alone as at shutdown).
// - Time(): the host time, for the finish and hold timeouts.
// - RecorderFailed(), Interrupt(): what only rigd knows (its disk, its shutdown).
//
// The rules (states as in RunState):
// - Samples before the program's PROGRAM_STARTED (arming) and until its first program
//   sample (segment >= 0) are not the run; neither are samples while HELD.
// - An ABORT limit: stop the program (a controlled ramp-down); ABORTED "limit NAME: why".
// - A device fault: noted; the device stops itself; FAULTED "device fault: NAME" (with the
//   e-stop's who and why when one was requested) at the program's end.
// - PROGRAM_FINISHED of the run's program ends the run (COMPLETED unless a stop or fault
//   came first); PROGRAM_ABORTED with no stop or fault before: FAULTED "the device aborted
//   the program in cycle N: DETAIL" (the device's own words).
// - A stop by WHO: stop the program; ABORTED "stopped by WHO" (a HELD run ends at once,
//   "stopped by WHO while held").
// - The device's PROGRAM_PAUSED .. PROGRAM_RESUMED: the program is paused (its time and
//   samples kept out of the cycle statistics and the program's time, see RunAnalyzer).
// - A duration run: at its duration of program time, stop at the end of the cycle.
// - A stop whose end never comes (finish_timeout_s): ends with "... (the device did not
//   report the end of the program)".
// - A lost device: a stop under way ends the run ("... (device lost: ... before the end of
//   the program)"); policy ABORT: FAULTED "device lost: ..."; HOLD and RESUME: HELD. While
//   HELD: a device gap is noted; a fault other than the watchdog's ends it FAULTED "device
//   fault while held: NAME"; rigd's re-arming drops the open cycle; the restarted program's
//   PROGRAM_STARTED runs it again; longer than hold_timeout_s: FAULTED.
// - A recorder failure: stop the program; FAULTED with the recorder's reason.
//
// Effects: every input returns what rigd must do now (RunEffects). Once ended(), inputs
// change nothing.
//
// Deterministic: the same inputs give the same effects and verdict, byte for byte. Memory
// flat in the number of samples (events wait only until their sample). Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "host/analysis/run_analyzer.h"
#include "host/recording/sample.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::run_model {

// What the run spec says about the run's rules.
struct RunRules {
  uint32_t cycles = 0;  // 0: the run goes by duration_s
  // With cycles == 0: stop at the end of the cycle past this much program time (paused
  // and held time left out; a resumed run's earlier stretches counted).
  double duration_s = 0;
  rollrig::v1::DisconnectPolicy on_disconnect = rollrig::v1::DISCONNECT_POLICY_HOLD;
  double hold_timeout_s = 600;
  double finish_timeout_s = 10;
  // False for a recording made before rigd recorded PROGRAM_STARTED: the run is running
  // from its first sample.
  bool expect_program_start = true;

  static RunRules FromSpec(const rollrig::v1::RunSpec& spec);
};

// How the run ended.
struct RunEnd {
  rollrig::v1::RunState state = rollrig::v1::RUN_STATE_UNSPECIFIED;
  std::string reason;  // why (never empty: the state's name at least)
  rollrig::v1::RunVerdict verdict;
};

// What rigd must do after an input.
struct RunEffects {
  std::vector<rollrig::v1::LimitResult> limit_notes;  // newly violated or marginal limits
  bool stop_program = false;                          // a controlled ramp-down, now
  bool stop_at_cycle_end = false;                     // the run's duration is reached
  std::optional<rollrig::v1::RunState> state;         // the run's state changed (HELD)
  std::string state_reason;                           // why, for HELD: the lost device
  std::optional<RunEnd> end;                          // the run ended: close it
  bool empty() const {
    return limit_notes.empty() && !stop_program && !stop_at_cycle_end && !state && !end;
  }
};

class RunModel {
 public:
  RunModel(std::unique_ptr<host::RunAnalyzer> analyzer, RunRules rules);
  RunModel(const RunModel&) = delete;
  RunModel& operator=(const RunModel&) = delete;

  RunEffects Sample(const host::Sample& s);
  RunEffects Event(const rollrig::v1::RigEvent& e);
  RunEffects Time(int64_t now_ns);
  // The recorder failed: the run cannot go on unrecorded.
  RunEffects RecorderFailed(const std::string& reason, int64_t now_ns);
  // The device never reported the program's end (a harness gave up waiting): noted as a
  // stop, ABORTED with `reason`.
  RunEffects Abandon(const std::string& reason);
  // rigd shuts down (or could not arm): the run ends now in `state` with `reason`.
  RunEffects Interrupt(rollrig::v1::RunState state, const std::string& reason);
  // End of input (a replay's last sample): applies the events still waiting and, when the
  // run has not ended, closes it as it stands (analysis only: state stays unspecified).
  RunEffects Finish();

  // A request rigd records: stamped with the counter of the next sample, so a replay
  // applies it where the live run did.
  void Stamp(rollrig::v1::RigEvent* request) const;

  bool ended() const { return end_.has_value(); }
  const std::optional<RunEnd>& end() const { return end_; }
  bool held() const { return phase_ == Phase::kHeld; }
  bool paused() const { return paused_; }
  // HELD: whether the run restarts by itself when its device is back (RESUME, not paused
  // when lost), or waits for a ResumeRun.
  bool auto_resume() const { return auto_resume_; }
  uint32_t holds() const { return holds_; }
  uint32_t cycles_completed() const { return cycles_completed_; }
  // Seconds of run time of the latest sample analysed.
  double last_t_s() const;
  uint64_t samples_analysed() const { return samples_analysed_; }
  double analysed_span_s() const;  // device time from the first to the last analysed
  const host::RunAnalyzer& analyzer() const { return *analyzer_; }

 private:
  enum class Phase : uint8_t { kArming, kRunning, kHeld };
  struct Pending {
    rollrig::v1::RigEvent event;
    uint64_t seq = 0;
    int rank = 0;  // among events at one counter: device events, gaps, requests
  };

  void Place(const rollrig::v1::RigEvent& e, uint64_t seq, int rank);
  void ApplyPendingUpTo(uint64_t seq, RunEffects* fx);
  void ApplyPendingAll(RunEffects* fx);
  void Apply(const rollrig::v1::RigEvent& e, RunEffects* fx);
  void ApplyDevice(const rollrig::v1::RigEvent& e, RunEffects* fx);
  void ApplyWhileHeld(const rollrig::v1::RigEvent& e, RunEffects* fx);
  void ApplyRunState(const rollrig::v1::RigEvent& e, RunEffects* fx);
  void ApplyRunStateWhileHeld(const rollrig::v1::RigEvent& e, RunEffects* fx);
  void DeviceLost(const rollrig::v1::RigEvent& e, RunEffects* fx);
  void StopBy(const std::string& who, RunEffects* fx);
  void BeginStop(rollrig::v1::RunState end_state, const std::string& reason, bool send,
                 RunEffects* fx);
  void ProgramStarted(uint64_t program_id);
  void AfterSample(RunEffects* fx);
  void End(rollrig::v1::RunState state, const std::string& reason, RunEffects* fx);
  bool Ours(const rollrig::v1::DeviceEvent& d) const;

  std::unique_ptr<host::RunAnalyzer> analyzer_;
  const RunRules rules_;
  Phase phase_;
  bool awaiting_program_ = true;  // until the (re)started program's first sample
  std::optional<uint64_t> program_id_;
  std::vector<Pending> pending_;  // sorted by (seq, rank), arrival order within
  bool have_position_ = false;
  uint64_t next_seq_ = 0;  // the counter of the next sample

  int64_t now_ns_ = 0;
  bool paused_ = false;
  bool stopping_ = false;  // a stop is under way: the program's end is awaited
  int64_t stop_at_ns_ = 0;
  rollrig::v1::RunState end_state_ = rollrig::v1::RUN_STATE_COMPLETED;
  std::string stop_reason_;
  bool fault_seen_ = false;
  bool duration_stop_sent_ = false;
  std::string estop_request_;  // "e-stop requested by WHO: WHY", the latest

  // HELD.
  int64_t held_since_ns_ = 0;
  bool device_gone_ = false;
  bool auto_resume_ = false;
  uint32_t holds_ = 0;

  uint32_t cycles_completed_ = 0;
  bool have_analysed_ = false;
  uint64_t first_time_us_ = 0;
  uint64_t last_time_us_ = 0;
  uint64_t samples_analysed_ = 0;
  std::optional<RunEnd> end_;
};

// "device lost: WHY" from a DISCONNECTED event's message.
std::string LostDeviceReason(const std::string& message);

}  // namespace rollrig::run_model
