// The run analysis: judges a run from its telemetry, live in rigd and again when a
// recording is replayed. Pure and deterministic: no threads, no clocks, no I/O. The same
// calls in the same order give the same verdict, byte for byte.
//
// Feed it samples in counter order (AddSample), the gaps, faults and stops at the point
// of the sample stream where they happened (NoteGap, NoteFault, NoteStopped), then
// Finish. A replay must interleave the recorded events with the samples as rigd did
// (each recorded event carries the sample counter it happened at).
//
// Run time: seconds since the first sample the analyzer saw, in device time. Every t_s
// below (arguments and results) is run time; run_time_s() converts.
//
// Which samples count
// - Samples with segment -1 (no program running: before it starts, after it ends) are
//   neither checked nor part of any cycle.
// - Once the run has ended -- an ABORT limit tripped, a fault or a stop was noted, or
//   Finish -- further samples are ignored (ramp-down after a stop is not the test).
//
// Live signal limits (Limit.signal), checked at every sample against the limits in force:
// the run-wide limits plus the current segment's own limits (by Sample::segment).
//   TORQUE_NM = |torque_nm|, FORCE_N = force_n, SPEED_ERROR_RPM = |roller_rpm_cmd -
//   roller_rpm|, HEAD_ERROR_DEG = |head_deg_cmd - head_deg|, TEMPERATURE_C = temp_c,
//   CURRENT_A = |current_a|.
// - A value outside [min, max] (strictly) is outside; inside but within marginal_band of a
//   bound (distance <= band, band > 0) is marginal. A NaN counts as outside.
// - settle_s: no checks during the first settle_s of each segment (from the segment's
//   first sample; every cycle starts its segments anew). Run-wide limits settle too.
// - persist_s: a violation counts at the first sample at least persist_s after the first
//   sample of an unbroken run of outside samples (0 = at once). Marginal likewise, for an
//   unbroken run of marginal-or-outside samples. A gap (NoteGap) or a new segment breaks
//   the run. Each counted run is one violation: violations() and LimitResult.violations
//   count runs, not samples. Times compare in whole microseconds, so both are exact to
//   the sample.
// - Worst value: the one furthest outside the bounds, or if none was outside, the closest
//   to a bound; only among samples that counted (an outside blip shorter than persist_s
//   is noise, not a worst value). It carries its cycle, segment, label and run time.
//
// Pauses (SetPaused, between the device's PROGRAM_PAUSED and PROGRAM_RESUMED): the
// program's time stands still, so a paused sample is checked against the live limits but
// kept out of its cycle's statistics; the time goes to the cycle's paused_s, out of its
// length_s, and to paused_s() of the run. A hold (DiscardOpenCycle) loses the open cycle's
// time and the time to the restart (lost_s()). active_s() is the rest: the program's time.
//
// A resumed run (Continue, before the first sample) goes on from what its earlier stretch
// judged: its complete cycles, its limits' counts and worst values, its run time (this
// stretch's run times follow on from it) and where its time went, so the verdict is the
// one run's, over all its cycles.
//
// Cycle statistics (CycleStats), from the samples of each cycle number: peak |torque|,
// mean |torque|, RMS torque, mean and peak force, RMS of (roller_rpm_cmd - roller_rpm),
// max temperature, sample count, and start_s/end_s = run times of its first and last
// sample. Sums are compensated (Neumaier), so long cycles stay exact.
// - A cycle is complete when a sample of another cycle arrives, or when the program ends
//   by itself (a sample with segment -1, no stop, fault or abort noted). Complete cycles
//   are checked against the run-wide cycle-statistic limits (Limit.cycle_statistic), one
//   check per cycle (a violating cycle is one violation, at the cycle's end_s), no settle
//   or persist.
// - A cycle cut short -- open at Finish, or when an abort, fault or stop ended the run --
//   is partial: partial_cycle() reports it, it is not in cycles() and not checked against
//   cycle-statistic limits (a half cycle's mean says nothing about the DUT).
// - Segment limits are live signals only; a cycle statistic among a segment's limits (or
//   a limit that names no measurement) is reported with outcome UNSPECIFIED, "not checked".
//
// Actions: RECORD -> the limit's outcome is MARGINAL when it was violated or marginal,
// else PASS; it never changes the run verdict. FAIL and UNSPECIFIED -> run verdict FAIL at
// worst, the run goes on. ABORT -> at the violation abort_requested() turns true, the
// verdict is ABORTED naming the limit, the run ends. A marginal of any non-RECORD limit
// makes the run MARGINAL at worst.
//
// Faults and stops: any device fault or e-stop (NoteFault) or a stop before the planned
// end (NoteStopped) ends the run ABORTED. The first cause that ends the run is the reason;
// later ones are still listed (faults) but do not change it.
//
// Gaps: noted and counted; the verdict reason mentions the samples lost, but gaps alone
// do not change the verdict.
//
// Verdict: ABORTED > FAIL > MARGINAL > PASS. The reason is the deciding item in one
// line: for FAIL and MARGINAL the first limit (in run time) that reached that outcome, e.g.
//   torque_nm 2.98 N·m above max 2.5 (limit "stall") at cycle 2, segment 3 "knead", 41.2 s
// RunVerdict.limits: each run-wide limit once, then each segment limit once per segment
// (segments by index, limits in the order given), then one entry per distinct fault
// noted. A limit never checked (its segment never ran, or it is still settling) has
// outcome UNSPECIFIED. Before Finish, Verdict() is the verdict so far. A finished run with
// no program samples is UNSPECIFIED.
//
// Cost: AddSample does no heap allocation per sample (streaming sums, fixed per-limit
// state; result text is built in Verdict() and TakeNewViolations()). It may allocate only
// when a cycle ends (cycles() grows by one CycleStats, geometrically) and once when an
// ABORT limit trips (abort_cause()). Memory is flat in the number of samples.
//
// Not thread-safe: one caller at a time (in rigd, the dispatcher thread).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "host/analysis/cycle_statistics.h"
#include "host/analysis/limit_checker.h"
#include "host/analysis/run_time_account.h"
#include "host/recording/sample.h"
#include "rollrig/v1/device.pb.h"
#include "rollrig/v1/profile.pb.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::host {

// One program segment (loops unrolled: `index` is what telemetry reports), its label and
// its own limits, in force only while it runs.
struct AnalyzerSegment {
  int32_t index = 0;
  std::string label;
  std::vector<rollrig::v1::Limit> limits;
};

// What an interrupted run had judged, to go on from when it is resumed.
struct RunSoFar {
  double run_time_s = 0;                         // of its last sample
  std::vector<rollrig::v1::CycleStats> cycles;   // its complete cycles, in order
  std::vector<rollrig::v1::LimitResult> limits;  // RunVerdict.limits of its verdict so far
  double active_s = 0;                           // where its time went
  double paused_s = 0;
  double lost_s = 0;
  uint64_t samples_lost = 0;  // its gaps
  uint64_t gaps = 0;
  double first_gap_t_s = 0;
};

class RunAnalyzer {
 public:
  // run_limits: the profile-wide limits. segments: every program segment that has a
  // label or limits (others may be left out; their label is then "").
  RunAnalyzer(std::vector<rollrig::v1::Limit> run_limits, std::vector<AnalyzerSegment> segments);
  RunAnalyzer(const RunAnalyzer&) = delete;
  RunAnalyzer& operator=(const RunAnalyzer&) = delete;

  // A resumed run: goes on from `before` (before the first sample).
  void Continue(const RunSoFar& before);
  // The program is paused (true) or runs again (false) from the next sample on.
  void SetPaused(bool paused) { paused_ = paused; }

  // The next sample, in counter order. Uses segment, cycle, time_us and the signals.
  void AddSample(const Sample& s);
  // `count` samples from `first_missing_seq` on were lost before the next sample.
  void NoteGap(uint64_t first_missing_seq, uint64_t count, double t_s);
  // A device fault or e-stop latched: the run is ABORTED. `value` is the device's
  // tripping measurement in its display unit (for a stall the motor current, A; the
  // reason names the torque of the latest sample). Cycle and segment: the latest sample's.
  void NoteFault(rollrig::v1::Fault fault, double value, double t_s);
  // Who asked for a software e-stop and why (a RIG_EVENT_ESTOP_REQUESTED event; both
  // bounded by rigd), before or after its FAULT_ESTOP_SOFTWARE: the fault's reason and the
  // verdict name them. The first request counts.
  void NoteEStopRequest(const std::string& who, const std::string& reason);
  // The run was stopped before its planned end -- by a person, or because the device was
  // lost: ABORTED. `why` is the reason as people read it, e.g. "stopped by alice@bench";
  // the verdict adds where: "stopped by alice@bench at cycle 2, segment 3, 41.2 s". A run
  // that ends as planned calls only Finish.
  void NoteStopped(const std::string& why, double t_s);
  // The device reports the program finished on its own (its last cycle ran to the end,
  // or a stop at a cycle boundary): a cycle still open is complete, even when no sample
  // after it (segment -1) arrived to close it. After a stop or fault it changes nothing.
  void NoteProgramFinished();
  // End of the run: closes a cycle still open as partial. Later calls change nothing.
  void Finish(double t_s);
  // The device was lost mid-cycle and the run restarts that cycle from its start: the
  // samples of the open cycle are dropped (it is neither complete nor partial), so the
  // restarted cycle's statistics are its own; runs of outside values are broken.
  void DiscardOpenCycle();

  // An ABORT-action limit tripped: stop the run. abort_cause() is that limit's result.
  bool abort_requested() const { return abort_cause_.has_value(); }
  const rollrig::v1::LimitResult* abort_cause() const {
    return abort_cause_ ? &*abort_cause_ : nullptr;
  }

  // The verdict so far; final after Finish.
  rollrig::v1::RunVerdict Verdict() const;
  // Violations counted so far, over all limits (each counted run of outside values once).
  uint64_t violations() const { return violations_; }
  // Complete cycles, in order.
  const std::vector<rollrig::v1::CycleStats>& cycles() const { return cycles_; }
  // The cycle cut short by the end of the run, if any (not in cycles(), not checked).
  const rollrig::v1::CycleStats* partial_cycle() const {
    return partial_cycle_ ? &*partial_cycle_ : nullptr;
  }
  // Limits newly violated or newly marginal since the last call, in limit order; a limit
  // that did both is reported once, as violated. For live events.
  std::vector<rollrig::v1::LimitResult> TakeNewViolations();

  // Run time of a sample, or of a device time (e.g. a DeviceEvent's time_us): seconds
  // since the first sample seen; 0 before any.
  double run_time_s(const Sample& s) const { return run_time_s(s.time_us); }
  double run_time_s(uint64_t device_time_us) const;

  // Where the run time of the program samples went (see Pauses above), seconds.
  double active_s() const { return time_.active_s(); }
  double paused_s() const { return time_.paused_s(); }
  double lost_s() const { return time_.lost_s(); }

  uint64_t samples_lost() const { return samples_lost_; }
  uint64_t gaps() const { return gaps_; }
  double first_gap_t_s() const { return first_gap_t_s_; }
  bool finished() const { return finished_; }

 private:
  struct SegmentInfo {
    int32_t index = 0;
    std::string label;
    std::vector<size_t> live_limits;  // into checkers_
  };
  struct FaultRecord {
    rollrig::v1::Fault fault = rollrig::v1::FAULT_NONE;
    double value = 0;
    double torque_nm = 0;  // |torque| of the latest sample
    bool in_program = false;
    uint32_t cycle = 0;
    int32_t segment = -1;
    double t_s = 0;
    uint64_t count = 0;
  };
  enum class EndCause : uint8_t { kNone, kAbortLimit, kFault, kStopped };

  uint64_t RunTimeUs(uint64_t device_time_us) const;
  const SegmentInfo* FindSegment(int32_t index) const;
  const std::string& SegmentLabel(int32_t index) const;
  void EnterSegment(uint64_t t_us);
  void CloseCycle(bool complete);
  void AfterCheck(size_t checker_index, LimitChecker::Change change);
  void EndRun(EndCause cause);
  rollrig::v1::LimitResult ResultOf(size_t checker_index) const;
  rollrig::v1::LimitResult ResultOf(const FaultRecord& fault) const;
  std::string LimitLine(size_t checker_index, bool name_the_limit) const;
  std::string UndecidedReason(rollrig::v1::RunVerdict* verdict) const;

  std::vector<LimitChecker> checkers_;  // report order: run-wide, then per segment
  std::vector<size_t> run_live_limits_;
  std::vector<size_t> cycle_limits_;
  std::vector<SegmentInfo> segments_;  // sorted by index
  const std::string empty_label_;

  // Where the stream is.
  bool have_first_sample_ = false;
  uint64_t first_time_us_ = 0;
  uint64_t run_time_offset_us_ = 0;  // a resumed run: the run time its stretch begins at
  bool paused_ = false;
  RunTimeAccount time_;
  bool in_program_ = false;  // the last sample had segment >= 0
  uint32_t cycle_ = 0;
  int32_t segment_ = -1;
  const SegmentInfo* current_segment_ = nullptr;
  Sample last_sample_;
  bool have_program_samples_ = false;
  uint64_t last_program_t_us_ = 0;  // run time of the latest program sample

  CycleAccumulator cycle_accumulator_;
  bool cycle_open_ = false;
  std::vector<rollrig::v1::CycleStats> cycles_;
  std::optional<rollrig::v1::CycleStats> partial_cycle_;

  uint64_t violations_ = 0;
  uint64_t samples_lost_ = 0;
  uint64_t gaps_ = 0;
  double first_gap_t_s_ = 0;

  EndCause end_cause_ = EndCause::kNone;
  size_t abort_checker_ = 0;
  std::optional<rollrig::v1::LimitResult> abort_cause_;
  std::vector<FaultRecord> faults_;  // one per distinct fault, first first
  std::string estop_requested_by_;   // "WHO: REASON" of the first e-stop request
  size_t ending_fault_ = 0;
  std::string stopped_why_;
  double stopped_t_s_ = 0;
  bool stopped_in_program_ = false;
  uint32_t stopped_cycle_ = 0;
  int32_t stopped_segment_ = -1;
  bool finished_ = false;
};

}  // namespace rollrig::host
