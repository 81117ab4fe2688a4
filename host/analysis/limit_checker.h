// One limit in force: classifies values against its bounds, applies settling and
// persistence, counts violations and keeps the worst value. The rules are documented in
// run_analyzer.h; times here are run times in whole microseconds, so settle and persist
// decisions are exact to the sample.
//
// Promises: no allocation after construction; deterministic; not thread-safe.
#pragma once

#include <cstdint>
#include <limits>

#include "rollrig/v1/profile.pb.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::host {

class LimitChecker {
 public:
  enum class Kind : uint8_t {
    kSignal,          // a live signal, checked per sample
    kCycleStatistic,  // a cycle statistic, checked per complete cycle
    kNotChecked,      // names no measurement we check here
  };
  enum class Level : uint8_t { kInside, kMarginal, kOutside };
  // What one check newly counted.
  enum class Change : uint8_t { kNone, kNewMarginal, kNewViolation };

  // One observed value and where it was.
  struct Point {
    bool set = false;
    double value = 0;
    double excess = -std::numeric_limits<double>::infinity();  // > 0 outside, by this much
    uint32_t cycle = 0;
    int32_t segment = -1;
    uint64_t t_us = 0;  // run time
  };

  // scope_segment: the segment index whose limit this is, -1 for a run-wide limit.
  LimitChecker(const rollrig::v1::Limit& limit, int32_t scope_segment, Kind kind);

  // The bounds alone: kOutside beyond them (or NaN), kMarginal within marginal_band.
  Level Classify(double value, double* excess) const;

  // A segment begins at run time t_us: settling restarts and unbroken runs end.
  void StartSegment(uint64_t t_us);
  // Continuity is lost (samples were lost): unbroken runs end.
  void BreakRuns();
  // One live-signal value (kSignal only).
  Change CheckSample(double value, uint32_t cycle, int32_t segment, uint64_t t_us);
  // A sample lacked the channel this live signal is taken from: nothing is checked, and a
  // limit never checked says why.
  void NoteAbsent() { absent_seen_ = true; }
  bool absent_seen() const { return absent_seen_; }
  // One cycle statistic (kCycleStatistic only): no settling, no persistence.
  Change CheckCycle(double value, uint32_t cycle, uint64_t t_us);
  // Goes on from what an earlier stretch of the run counted for this limit (a resumed
  // run): its violations, marginal, worst value and first times. Before any check.
  void Continue(const rollrig::v1::LimitResult& before);

  const rollrig::v1::Limit& limit() const { return limit_; }
  Kind kind() const { return kind_; }
  int32_t scope_segment() const { return scope_segment_; }
  bool checked() const { return checked_; }
  uint64_t violations() const { return violations_; }
  bool marginal_seen() const { return marginal_seen_; }
  const Point& worst() const { return worst_; }
  // Run time of the first counted violation / marginal (valid when counted).
  uint64_t first_violation_t_us() const { return first_violation_t_us_; }
  uint64_t first_marginal_t_us() const { return first_marginal_t_us_; }
  // This limit's outcome so far, by its action: UNSPECIFIED when never checked.
  rollrig::v1::Verdict Outcome() const;
  // RECORD limits never change the run verdict.
  bool affects_verdict() const { return limit_.action() != rollrig::v1::LIMIT_ACTION_RECORD; }
  bool aborts() const { return limit_.action() == rollrig::v1::LIMIT_ACTION_ABORT; }

  // The strongest change since the last TakeEvent, and the value that counted.
  Change pending_event() const { return pending_event_; }
  const Point& event_point() const { return event_point_; }
  void TakeEvent() { pending_event_ = Change::kNone; }

 private:
  void Commit(const Point& p);
  Change Evaluate(const Point& p, Level level, uint64_t persist_us);
  void NoteChange(Change change, const Point& p);

  rollrig::v1::Limit limit_;
  int32_t scope_segment_;
  Kind kind_;
  double min_;
  double max_;
  double band_;
  uint64_t persist_us_;
  uint64_t settle_us_;

  uint64_t checks_start_us_ = 0;  // end of settling in the present segment
  bool checked_ = false;
  bool absent_seen_ = false;
  uint64_t violations_ = 0;
  bool marginal_seen_ = false;
  uint64_t first_violation_t_us_ = 0;
  uint64_t first_marginal_t_us_ = 0;
  Point worst_;

  // The unbroken run of outside values, and of marginal-or-outside values.
  bool in_outside_run_ = false;
  bool outside_run_counted_ = false;
  uint64_t outside_run_start_us_ = 0;
  Point outside_run_worst_;  // not yet committed
  bool in_marginal_run_ = false;
  bool marginal_run_counted_ = false;
  uint64_t marginal_run_start_us_ = 0;
  Point marginal_run_worst_;  // its marginal values, not yet committed

  Change pending_event_ = Change::kNone;
  Point event_point_;
};

}  // namespace rollrig::host
