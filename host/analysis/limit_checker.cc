#include "host/analysis/limit_checker.h"

#include <cmath>

namespace rollrig::host {

namespace v1 = rollrig::v1;

namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

// Seconds to whole microseconds; negative or NaN = 0; absurdly long = "never".
uint64_t ToMicros(double seconds) {
  if (!(seconds > 0)) return 0;
  if (seconds > 1e12) return UINT64_MAX;
  return static_cast<uint64_t>(std::llround(seconds * 1e6));
}

void KeepWorse(LimitChecker::Point* worst, const LimitChecker::Point& p) {
  if (!worst->set || p.excess > worst->excess) *worst = p;
}

}  // namespace

LimitChecker::LimitChecker(const v1::Limit& limit, int32_t scope_segment, Kind kind)
    : limit_(limit),
      scope_segment_(scope_segment),
      kind_(kind),
      min_(limit.has_min() ? limit.min() : -kInfinity),
      max_(limit.has_max() ? limit.max() : kInfinity),
      band_(limit.marginal_band() > 0 ? limit.marginal_band() : 0),
      persist_us_(ToMicros(limit.persist_s())),
      settle_us_(ToMicros(limit.settle_s())) {}

LimitChecker::Level LimitChecker::Classify(double value, double* excess) const {
  if (std::isnan(value)) {
    *excess = kInfinity;
    return Level::kOutside;
  }
  double e = -kInfinity;
  if (limit_.has_min()) e = std::fmax(e, min_ - value);
  if (limit_.has_max()) e = std::fmax(e, value - max_);
  *excess = e;
  if (e > 0) return Level::kOutside;
  if (band_ > 0 && e >= -band_) return Level::kMarginal;
  return Level::kInside;
}

void LimitChecker::StartSegment(uint64_t t_us) {
  checks_start_us_ = settle_us_ > UINT64_MAX - t_us ? UINT64_MAX : t_us + settle_us_;
  BreakRuns();
}

void LimitChecker::BreakRuns() {
  in_outside_run_ = false;
  in_marginal_run_ = false;
}

LimitChecker::Change LimitChecker::CheckSample(double value, uint32_t cycle, int32_t segment,
                                               uint64_t t_us) {
  if (t_us < checks_start_us_) return Change::kNone;  // settling
  Point p{.set = true, .value = value, .cycle = cycle, .segment = segment, .t_us = t_us};
  const Level level = Classify(value, &p.excess);
  return Evaluate(p, level, persist_us_);
}

LimitChecker::Change LimitChecker::CheckCycle(double value, uint32_t cycle, uint64_t t_us) {
  Point p{.set = true, .value = value, .cycle = cycle, .segment = -1, .t_us = t_us};
  const Level level = Classify(value, &p.excess);
  BreakRuns();  // every cycle is judged on its own
  return Evaluate(p, level, 0);
}

LimitChecker::Change LimitChecker::Evaluate(const Point& p, Level level, uint64_t persist_us) {
  checked_ = true;
  if (level == Level::kInside) {
    BreakRuns();
    Commit(p);
    return Change::kNone;
  }
  Change change = Change::kNone;
  if (!in_marginal_run_) {
    in_marginal_run_ = true;
    marginal_run_counted_ = false;
    marginal_run_start_us_ = p.t_us;
    marginal_run_worst_ = Point();
  }
  if (level == Level::kOutside) {
    if (!in_outside_run_) {
      in_outside_run_ = true;
      outside_run_counted_ = false;
      outside_run_start_us_ = p.t_us;
      outside_run_worst_ = Point();
    }
  } else {
    in_outside_run_ = false;
  }

  // Marginal: an unbroken run of marginal-or-outside values, long enough.
  if (level == Level::kMarginal) {
    if (marginal_run_counted_) {
      Commit(p);
    } else {
      KeepWorse(&marginal_run_worst_, p);
    }
  }
  if (!marginal_run_counted_ && p.t_us - marginal_run_start_us_ >= persist_us) {
    marginal_run_counted_ = true;
    if (marginal_run_worst_.set) Commit(marginal_run_worst_);
    if (!marginal_seen_) {
      marginal_seen_ = true;
      first_marginal_t_us_ = p.t_us;
    }
    change = Change::kNewMarginal;
  }

  // Violation: an unbroken run of outside values, long enough.
  if (level == Level::kOutside) {
    if (outside_run_counted_) {
      Commit(p);
    } else {
      KeepWorse(&outside_run_worst_, p);
      if (p.t_us - outside_run_start_us_ >= persist_us) {
        outside_run_counted_ = true;
        Commit(outside_run_worst_);
        if (violations_ == 0) first_violation_t_us_ = p.t_us;
        ++violations_;
        change = Change::kNewViolation;
      }
    }
  }
  if (change != Change::kNone) NoteChange(change, p);
  return change;
}

void LimitChecker::Continue(const v1::LimitResult& before) {
  if (kind_ == Kind::kNotChecked || before.outcome() == v1::VERDICT_UNSPECIFIED) return;
  checked_ = true;
  violations_ = before.violations();
  first_violation_t_us_ = ToMicros(before.first_violation_t_s());
  first_marginal_t_us_ = ToMicros(before.first_marginal_t_s());
  // A limit's outcome says MARGINAL for a marginal value, or (RECORD) for a violation.
  marginal_seen_ = before.first_marginal_t_s() > 0 ||
                   (violations_ == 0 && before.outcome() == v1::VERDICT_MARGINAL);
  Point worst{.set = true,
              .value = before.worst_value(),
              .cycle = before.cycle(),
              .segment = before.segment(),
              .t_us = ToMicros(before.t_s())};
  Classify(worst.value, &worst.excess);
  worst_ = worst;
}

void LimitChecker::Commit(const Point& p) { KeepWorse(&worst_, p); }

void LimitChecker::NoteChange(Change change, const Point& p) {
  if (change > pending_event_) {
    pending_event_ = change;
    event_point_ = p;
  }
}

v1::Verdict LimitChecker::Outcome() const {
  if (kind_ == Kind::kNotChecked || !checked_) return v1::VERDICT_UNSPECIFIED;
  if (violations_ > 0) {
    switch (limit_.action()) {
      case v1::LIMIT_ACTION_RECORD:
        return v1::VERDICT_MARGINAL;
      case v1::LIMIT_ACTION_ABORT:
        return v1::VERDICT_ABORTED;
      default:
        return v1::VERDICT_FAIL;
    }
  }
  return marginal_seen_ ? v1::VERDICT_MARGINAL : v1::VERDICT_PASS;
}

}  // namespace rollrig::host
