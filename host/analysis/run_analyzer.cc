#include "host/analysis/run_analyzer.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "enum_names.h"
#include "host/analysis/measurements.h"
#include "host/analysis/result_text.h"

namespace rollrig::host {

namespace v1 = rollrig::v1;

namespace {

LimitChecker::Kind KindOf(const v1::Limit& limit, bool run_wide) {
  switch (limit.measurement_case()) {
    case v1::Limit::kSignal:
      return IsKnownSignal(limit.signal()) ? LimitChecker::Kind::kSignal
                                           : LimitChecker::Kind::kNotChecked;
    case v1::Limit::kCycleStatistic:
      return run_wide && IsKnownCycleStatistic(limit.cycle_statistic())
                 ? LimitChecker::Kind::kCycleStatistic
                 : LimitChecker::Kind::kNotChecked;
    default:
      return LimitChecker::Kind::kNotChecked;
  }
}

const char* MeasurementName(const v1::Limit& limit) {
  switch (limit.measurement_case()) {
    case v1::Limit::kSignal:
      return SignalName(limit.signal());
    case v1::Limit::kCycleStatistic:
      return CycleStatisticName(limit.cycle_statistic());
    default:
      return "no measurement";
  }
}

const char* MeasurementUnit(const v1::Limit& limit) {
  switch (limit.measurement_case()) {
    case v1::Limit::kSignal:
      return SignalUnit(limit.signal());
    case v1::Limit::kCycleStatistic:
      return CycleStatisticUnit(limit.cycle_statistic());
    default:
      return "";
  }
}

// Why a limit has no outcome.
std::string NotCheckedReason(const LimitChecker& c) {
  const v1::Limit& limit = c.limit();
  switch (c.kind()) {
    case LimitChecker::Kind::kSignal:
      if (c.absent_seen()) {
        return std::string("not checked: ") + SignalName(limit.signal()) +
               " is absent from the telemetry (recorded before the channel existed)";
      }
      return "not checked: never in force after settling";
    case LimitChecker::Kind::kCycleStatistic:
      return "not checked: no complete cycle";
    case LimitChecker::Kind::kNotChecked:
      break;
  }
  if (limit.measurement_case() == v1::Limit::kCycleStatistic &&
      IsKnownCycleStatistic(limit.cycle_statistic())) {
    return "not checked: cycle statistics apply as run-wide limits only";
  }
  if (limit.measurement_case() == v1::Limit::MEASUREMENT_NOT_SET) {
    return "not checked: the limit names no measurement";
  }
  return "not checked: unknown measurement";
}

std::string Plural(uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

RunAnalyzer::RunAnalyzer(std::vector<v1::Limit> run_limits, std::vector<AnalyzerSegment> segments) {
  for (const v1::Limit& limit : run_limits) {
    const LimitChecker::Kind kind = KindOf(limit, /*run_wide=*/true);
    const size_t index = checkers_.size();
    checkers_.emplace_back(limit, -1, kind);
    if (kind == LimitChecker::Kind::kSignal) run_live_limits_.push_back(index);
    if (kind == LimitChecker::Kind::kCycleStatistic) cycle_limits_.push_back(index);
  }
  std::stable_sort(
      segments.begin(), segments.end(),
      [](const AnalyzerSegment& a, const AnalyzerSegment& b) { return a.index < b.index; });
  for (AnalyzerSegment& segment : segments) {
    if (segments_.empty() || segments_.back().index != segment.index) {
      segments_.push_back(
          SegmentInfo{.index = segment.index, .label = segment.label, .live_limits = {}});
    } else if (segments_.back().label.empty()) {
      segments_.back().label = segment.label;  // the same index given twice: merge
    }
    for (const v1::Limit& limit : segment.limits) {
      const LimitChecker::Kind kind = KindOf(limit, /*run_wide=*/false);
      const size_t index = checkers_.size();
      checkers_.emplace_back(limit, segment.index, kind);
      if (kind == LimitChecker::Kind::kSignal) segments_.back().live_limits.push_back(index);
    }
  }
}

const RunAnalyzer::SegmentInfo* RunAnalyzer::FindSegment(int32_t index) const {
  auto it = std::lower_bound(segments_.begin(), segments_.end(), index,
                             [](const SegmentInfo& s, int32_t i) { return s.index < i; });
  return it != segments_.end() && it->index == index ? &*it : nullptr;
}

const std::string& RunAnalyzer::SegmentLabel(int32_t index) const {
  const SegmentInfo* info = FindSegment(index);
  return info != nullptr ? info->label : empty_label_;
}

double RunAnalyzer::run_time_s(uint64_t device_time_us) const {
  const double offset_s = static_cast<double>(run_time_offset_us_) / 1e6;
  if (!have_first_sample_) return offset_s;
  return static_cast<double>(static_cast<int64_t>(device_time_us - first_time_us_)) / 1e6 +
         offset_s;
}

uint64_t RunAnalyzer::RunTimeUs(uint64_t device_time_us) const {
  return (device_time_us > first_time_us_ ? device_time_us - first_time_us_ : 0) +
         run_time_offset_us_;
}

void RunAnalyzer::Continue(const RunSoFar& before) {
  if (have_first_sample_ || finished_) return;
  run_time_offset_us_ =
      before.run_time_s > 0 ? static_cast<uint64_t>(std::llround(before.run_time_s * 1e6)) : 0;
  cycles_ = before.cycles;
  for (size_t index = 0; index < checkers_.size() && index < before.limits.size(); ++index) {
    const v1::LimitResult& r = before.limits[index];
    if (r.name() != checkers_[index].limit().name()) continue;  // not this profile's limit
    checkers_[index].Continue(r);
    violations_ += checkers_[index].violations();
  }
  time_.Seed(before.active_s, before.paused_s, before.lost_s);
  samples_lost_ = before.samples_lost;
  gaps_ = before.gaps;
  first_gap_t_s_ = before.first_gap_t_s;
}

void RunAnalyzer::AddSample(const Sample& s) {
  if (finished_ || end_cause_ != EndCause::kNone) return;
  if (!have_first_sample_) {
    have_first_sample_ = true;
    first_time_us_ = s.time_us;
  }
  last_sample_ = s;
  if (s.segment < 0) {
    // No program running. Leaving one by itself completes the cycle it was in.
    if (cycle_open_) CloseCycle(/*complete=*/true);
    in_program_ = false;
    segment_ = -1;
    current_segment_ = nullptr;
    return;
  }

  const uint64_t t_us = RunTimeUs(s.time_us);
  const uint64_t interval_us = time_.Add(t_us, paused_);
  const bool new_cycle = !cycle_open_ || s.cycle != cycle_;
  if (new_cycle) {
    if (cycle_open_) {
      CloseCycle(/*complete=*/true);
      if (end_cause_ != EndCause::kNone) return;  // a cycle-statistic limit aborted the run
    }
    cycle_ = s.cycle;
    cycle_accumulator_.Start(cycle_);
    cycle_open_ = true;
  }
  if (new_cycle || !in_program_ || s.segment != segment_) {
    segment_ = s.segment;
    EnterSegment(t_us);
  }
  in_program_ = true;
  have_program_samples_ = true;
  last_program_t_us_ = t_us;
  if (paused_ && cycle_accumulator_.samples() > 0) {
    cycle_accumulator_.AddPausedTime(static_cast<double>(interval_us) / 1e6);
  } else {
    cycle_accumulator_.Add(s, static_cast<double>(t_us) / 1e6);
  }

  SignalValues signals;
  ComputeSignals(s, &signals);
  auto check = [&](size_t index) {
    LimitChecker& c = checkers_[index];
    if (SignalAbsent(s, c.limit().signal())) {
      c.NoteAbsent();
      return;
    }
    const LimitChecker::Change change =
        c.CheckSample(signals[c.limit().signal()], cycle_, segment_, t_us);
    if (change != LimitChecker::Change::kNone) AfterCheck(index, change);
  };
  for (size_t index : run_live_limits_) check(index);
  if (current_segment_ != nullptr) {
    for (size_t index : current_segment_->live_limits) check(index);
  }
}

void RunAnalyzer::EnterSegment(uint64_t t_us) {
  current_segment_ = FindSegment(segment_);
  for (size_t index : run_live_limits_) checkers_[index].StartSegment(t_us);
  if (current_segment_ != nullptr) {
    for (size_t index : current_segment_->live_limits) checkers_[index].StartSegment(t_us);
  }
}

void RunAnalyzer::CloseCycle(bool complete) {
  cycle_open_ = false;
  const v1::CycleStats stats = cycle_accumulator_.Stats();
  if (stats.samples() == 0) return;
  if (!complete) {
    partial_cycle_ = stats;
    return;
  }
  cycles_.push_back(stats);
  for (size_t index : cycle_limits_) {
    LimitChecker& c = checkers_[index];
    const LimitChecker::Change change = c.CheckCycle(
        CycleStatisticValue(c.limit().cycle_statistic(), stats), stats.cycle(), last_program_t_us_);
    if (change != LimitChecker::Change::kNone) AfterCheck(index, change);
  }
}

void RunAnalyzer::AfterCheck(size_t index, LimitChecker::Change change) {
  if (change != LimitChecker::Change::kNewViolation) return;
  ++violations_;
  if (checkers_[index].aborts() && end_cause_ == EndCause::kNone) {
    abort_checker_ = index;
    abort_cause_ = ResultOf(index);
    EndRun(EndCause::kAbortLimit);
  }
}

void RunAnalyzer::EndRun(EndCause cause) {
  end_cause_ = cause;
  if (cycle_open_) CloseCycle(/*complete=*/false);
}

void RunAnalyzer::DiscardOpenCycle() {
  if (finished_) return;
  if (cycle_open_) {
    time_.Lose(static_cast<uint64_t>(std::llround(cycle_accumulator_.Stats().length_s() * 1e6)));
  }
  time_.Break();
  cycle_open_ = false;
  in_program_ = false;
  segment_ = -1;
  current_segment_ = nullptr;
  for (LimitChecker& c : checkers_) c.BreakRuns();
}

void RunAnalyzer::NoteGap(uint64_t /*first_missing_seq*/, uint64_t count, double t_s) {
  if (finished_ || count == 0) return;
  if (gaps_ == 0) first_gap_t_s_ = t_s;
  ++gaps_;
  samples_lost_ += count;
  // We did not see the lost samples, so no run of outside values is known to go on.
  for (LimitChecker& c : checkers_) c.BreakRuns();
}

void RunAnalyzer::NoteFault(v1::Fault fault, double value, double t_s) {
  if (finished_) return;
  for (FaultRecord& record : faults_) {
    if (record.fault == fault) {
      ++record.count;
      return;
    }
  }
  faults_.push_back(FaultRecord{
      .fault = fault,
      .value = value,
      .torque_nm = std::fabs(static_cast<double>(last_sample_.torque_nm)),
      .in_program = in_program_,
      .cycle = in_program_ ? cycle_ : 0,
      .segment = in_program_ ? segment_ : -1,
      .t_s = t_s,
      .count = 1,
  });
  if (end_cause_ == EndCause::kNone) {
    ending_fault_ = faults_.size() - 1;
    EndRun(EndCause::kFault);
  }
}

void RunAnalyzer::NoteEStopRequest(const std::string& who, const std::string& reason) {
  if (finished_ || !estop_requested_by_.empty()) return;
  estop_requested_by_ = reason.empty() ? who : who + ": " + reason;
}

void RunAnalyzer::NoteStopped(const std::string& why, double t_s) {
  if (finished_ || end_cause_ != EndCause::kNone) return;
  stopped_why_ = why;
  stopped_t_s_ = t_s;
  stopped_in_program_ = in_program_;
  stopped_cycle_ = in_program_ ? cycle_ : 0;
  stopped_segment_ = in_program_ ? segment_ : -1;
  EndRun(EndCause::kStopped);
}

void RunAnalyzer::NoteProgramFinished() {
  if (finished_ || end_cause_ != EndCause::kNone) return;
  if (cycle_open_) CloseCycle(/*complete=*/true);
}

void RunAnalyzer::Finish(double /*t_s*/) {
  if (finished_) return;
  if (cycle_open_) CloseCycle(/*complete=*/false);
  finished_ = true;
}

std::vector<v1::LimitResult> RunAnalyzer::TakeNewViolations() {
  std::vector<v1::LimitResult> out;
  for (size_t index = 0; index < checkers_.size(); ++index) {
    LimitChecker& c = checkers_[index];
    if (c.pending_event() == LimitChecker::Change::kNone) continue;
    const LimitChecker::Point& p = c.event_point();
    const bool violated = c.pending_event() == LimitChecker::Change::kNewViolation;
    v1::LimitResult r = ResultOf(index);
    r.set_worst_value(p.value);
    r.set_cycle(p.cycle);
    r.set_segment(p.segment);
    r.set_segment_label(p.segment >= 0 ? SegmentLabel(p.segment) : std::string());
    r.set_t_s(static_cast<double>(p.t_us) / 1e6);
    if (!violated) {
      r.set_outcome(v1::VERDICT_MARGINAL);
    } else if (c.limit().action() == v1::LIMIT_ACTION_RECORD) {
      r.set_outcome(v1::VERDICT_MARGINAL);
    } else {
      r.set_outcome(c.aborts() ? v1::VERDICT_ABORTED : v1::VERDICT_FAIL);
    }
    r.set_reason(
        DescribeValue(MeasurementName(c.limit()), MeasurementUnit(c.limit()), p.value, c.limit()));
    out.push_back(std::move(r));
    c.TakeEvent();
  }
  return out;
}

v1::LimitResult RunAnalyzer::ResultOf(size_t index) const {
  const LimitChecker& c = checkers_[index];
  const v1::Limit& limit = c.limit();
  v1::LimitResult r;
  r.set_name(limit.name());
  r.set_measurement(MeasurementName(limit));
  r.set_has_min(limit.has_min());
  r.set_has_max(limit.has_max());
  if (limit.has_min()) r.set_min(limit.min());
  if (limit.has_max()) r.set_max(limit.max());
  r.set_violations(c.violations());
  if (c.violations() > 0)
    r.set_first_violation_t_s(static_cast<double>(c.first_violation_t_us()) / 1e6);
  if (c.marginal_seen())
    r.set_first_marginal_t_s(static_cast<double>(c.first_marginal_t_us()) / 1e6);
  r.set_outcome(c.Outcome());
  r.set_segment(c.scope_segment());
  if (c.scope_segment() >= 0) r.set_segment_label(SegmentLabel(c.scope_segment()));
  const LimitChecker::Point& worst = c.worst();
  if (r.outcome() == v1::VERDICT_UNSPECIFIED || !worst.set) {
    r.set_reason(NotCheckedReason(c));
    return r;
  }
  r.set_worst_value(worst.value);
  r.set_cycle(worst.cycle);
  r.set_segment(worst.segment);
  r.set_segment_label(worst.segment >= 0 ? SegmentLabel(worst.segment) : std::string());
  r.set_t_s(static_cast<double>(worst.t_us) / 1e6);
  std::string reason =
      DescribeValue(MeasurementName(limit), MeasurementUnit(limit), worst.value, limit);
  if (c.violations() > 1) reason += " (" + Plural(c.violations(), "violation", "violations") + ")";
  if (limit.action() == v1::LIMIT_ACTION_RECORD && c.violations() > 0) reason += ", recorded only";
  r.set_reason(std::move(reason));
  return r;
}

v1::LimitResult RunAnalyzer::ResultOf(const FaultRecord& f) const {
  v1::LimitResult r;
  r.set_name("fault " + v1::FaultDisplayName(f.fault));
  r.set_measurement("fault " + v1::FaultDisplayName(f.fault));
  r.set_worst_value(f.fault == v1::FAULT_STALL ? f.torque_nm : f.value);
  r.set_cycle(f.cycle);
  r.set_segment(f.segment);
  if (f.segment >= 0) r.set_segment_label(SegmentLabel(f.segment));
  r.set_t_s(f.t_s);
  r.set_outcome(v1::VERDICT_ABORTED);
  r.set_violations(f.count);
  r.set_reason(DescribeFault(f.fault, f.value, f.torque_nm, estop_requested_by_));
  return r;
}

// A limit's worst value and where it was, for the verdict's reason line.
std::string RunAnalyzer::LimitLine(size_t index, bool name_the_limit) const {
  const LimitChecker& c = checkers_[index];
  const LimitChecker::Point& worst = c.worst();
  return DescribeValue(MeasurementName(c.limit()), MeasurementUnit(c.limit()), worst.value,
                       c.limit()) +
         (name_the_limit ? " (limit \"" + c.limit().name() + "\")" : std::string()) + " at " +
         FormatWhere(true, worst.cycle, worst.segment,
                     worst.segment >= 0 ? SegmentLabel(worst.segment) : empty_label_,
                     static_cast<double>(worst.t_us) / 1e6);
}

v1::RunVerdict RunAnalyzer::Verdict() const {
  v1::RunVerdict verdict;
  for (size_t index = 0; index < checkers_.size(); ++index) {
    *verdict.add_limits() = ResultOf(index);
  }
  for (const FaultRecord& f : faults_) *verdict.add_limits() = ResultOf(f);

  std::string reason;
  switch (end_cause_) {
    case EndCause::kAbortLimit:
      verdict.set_verdict(v1::VERDICT_ABORTED);
      reason = "limit \"" + checkers_[abort_checker_].limit().name() +
               "\" aborted the run: " + LimitLine(abort_checker_, /*name_the_limit=*/false);
      break;
    case EndCause::kFault: {
      const FaultRecord& f = faults_[ending_fault_];
      verdict.set_verdict(v1::VERDICT_ABORTED);
      reason = DescribeFault(f.fault, f.value, f.torque_nm, estop_requested_by_) + " at " +
               FormatWhere(f.in_program, f.cycle, f.segment,
                           f.segment >= 0 ? SegmentLabel(f.segment) : empty_label_, f.t_s);
      break;
    }
    case EndCause::kStopped:
      verdict.set_verdict(v1::VERDICT_ABORTED);
      reason = stopped_why_ + " at " +
               FormatWhere(stopped_in_program_, stopped_cycle_, stopped_segment_,
                           stopped_segment_ >= 0 ? SegmentLabel(stopped_segment_) : empty_label_,
                           stopped_t_s_);
      break;
    case EndCause::kNone:
      reason = UndecidedReason(&verdict);
      break;
  }
  if (samples_lost_ > 0) {
    reason += "; " + Plural(samples_lost_, "sample", "samples") + " lost in " +
              Plural(gaps_, "gap", "gaps") + " (first at " + FormatSeconds(first_gap_t_s_) + ")";
  }
  verdict.set_reason(std::move(reason));
  return verdict;
}

// The verdict when nothing ended the run: FAIL, MARGINAL or PASS by the limits.
std::string RunAnalyzer::UndecidedReason(v1::RunVerdict* verdict) const {
  // The deciding limit: the first in run time to reach the outcome; ties by limit order.
  auto first_with = [&](bool violated) {
    size_t best = checkers_.size();
    for (size_t index = 0; index < checkers_.size(); ++index) {
      const LimitChecker& c = checkers_[index];
      if (!c.affects_verdict()) continue;
      const bool qualifies = violated ? c.violations() > 0 : c.Outcome() == v1::VERDICT_MARGINAL;
      if (!qualifies) continue;
      const uint64_t t = violated ? c.first_violation_t_us() : c.first_marginal_t_us();
      const uint64_t best_t = best == checkers_.size() ? UINT64_MAX
                              : violated               ? checkers_[best].first_violation_t_us()
                                                       : checkers_[best].first_marginal_t_us();
      if (best == checkers_.size() || t < best_t) best = index;
    }
    return best;
  };
  auto count_with = [&](v1::Verdict outcome) {
    uint64_t n = 0;
    for (const LimitChecker& c : checkers_) n += c.affects_verdict() && c.Outcome() == outcome;
    return n;
  };

  const size_t failed = first_with(/*violated=*/true);
  if (failed < checkers_.size()) {
    verdict->set_verdict(v1::VERDICT_FAIL);
    std::string reason = LimitLine(failed, /*name_the_limit=*/true);
    const uint64_t others = count_with(v1::VERDICT_FAIL) - 1;
    if (others > 0) reason += "; " + Plural(others, "more limit", "more limits") + " failed";
    return reason;
  }
  const size_t marginal = first_with(/*violated=*/false);
  if (marginal < checkers_.size()) {
    verdict->set_verdict(v1::VERDICT_MARGINAL);
    std::string reason = LimitLine(marginal, /*name_the_limit=*/true);
    const uint64_t others = count_with(v1::VERDICT_MARGINAL) - 1;
    if (others > 0) reason += "; " + Plural(others, "more limit", "more limits") + " marginal";
    return reason;
  }
  if (finished_ && !have_program_samples_) {
    verdict->set_verdict(v1::VERDICT_UNSPECIFIED);
    return "no program samples to judge";
  }
  verdict->set_verdict(v1::VERDICT_PASS);
  uint64_t checked = 0;
  uint64_t recorded = 0;
  for (const LimitChecker& c : checkers_) {
    checked += c.Outcome() != v1::VERDICT_UNSPECIFIED;
    recorded += !c.affects_verdict() && c.violations() > 0;
  }
  std::string reason = std::string(finished_ ? "all " : "so far all ") +
                       Plural(checked, "limit", "limits") + " checked passed over " +
                       Plural(cycles_.size(), "cycle", "cycles");
  if (partial_cycle_) reason += " and a partial one";
  if (recorded > 0) {
    reason += "; " + Plural(recorded, "recorded limit", "recorded limits") + " exceeded";
  }
  return reason;
}

}  // namespace rollrig::host
