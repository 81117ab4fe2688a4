#include "rig/firmware/program.h"

#include <algorithm>
#include <cmath>

namespace rollrig::firmware {
namespace {

constexpr float kTwoPi = 6.28318530717958647692f;
constexpr float kRadPerDeg = kTwoPi / 360.0f;
// A periodic motion needs at least two ticks per period to be more than aliasing.
constexpr uint64_t kMinTicksPerPeriod = 2;

uint64_t PeriodUs(float period_s) {
  return static_cast<uint64_t>(std::llround(static_cast<double>(period_s) * 1e6));
}

// Where t_us falls within a period, as a fraction in [0, 1). Integer modulo first, so a
// long segment loses no phase precision in float.
float FractionOfPeriod(uint64_t t_us, uint64_t period_us) {
  if (period_us == 0) return 0;
  return static_cast<float>(t_us % period_us) / static_cast<float>(period_us);
}

float Linear(float from, float to, uint64_t k, uint64_t ticks) {
  if (k >= ticks) return to;  // exactly `to` at the end, whatever the float rounding
  return from + (to - from) * (static_cast<float>(k) / static_cast<float>(ticks));
}

// Collects the first problem of a segment; later checks do nothing once one is found.
class SegmentChecker {
 public:
  explicit SegmentChecker(const ProgramLimits& limits) : limits_(limits) {}

  void InRange(const char* field, const char* unit, float value, float min, float max) {
    if (!Finite(field, unit, value)) return;
    if (value < min || value > max) {
      Refuse(CommandResult::kOutOfRange, ProgramProblem::kOutOfRange, field, unit, value, min, max);
    }
  }

  // Finite, positive and at least two ticks long.
  void Period(const char* field, float period_s) {
    if (!Finite(field, "s", period_s)) return;
    if (period_s <= 0) {
      Refuse(CommandResult::kBadRequest, ProgramProblem::kNotPositive, field, "s", period_s);
      return;
    }
    const float min_s = static_cast<float>(kMinTicksPerPeriod * limits_.tick_us) * 1e-6f;
    if (PeriodUs(period_s) < kMinTicksPerPeriod * limits_.tick_us) {
      Refuse(CommandResult::kOutOfRange, ProgramProblem::kOutOfRange, field, "s", period_s, min_s,
             INFINITY);
    }
  }

  bool Finite(const char* field, const char* unit, float value) {
    if (!ok()) return false;
    if (std::isfinite(value)) return true;
    Refuse(CommandResult::kBadRequest, ProgramProblem::kNotFinite, field, unit, value);
    return false;
  }

  void Refuse(CommandResult result, ProgramProblem problem, const char* field, const char* unit,
              float value, float min = 0, float max = 0) {
    if (!ok()) return;
    refusal_.result = result;
    refusal_.problem = problem;
    refusal_.field = field;
    refusal_.unit = unit;
    refusal_.value = value;
    refusal_.min = min;
    refusal_.max = max;
  }

  bool ok() const { return refusal_.result == CommandResult::kOk; }
  const ProgramRefusal& refusal() const { return refusal_; }

 private:
  const ProgramLimits& limits_;
  ProgramRefusal refusal_{.result = CommandResult::kOk};
};

void CheckRoller(const RollerSegment& r, const ProgramLimits& limits, SegmentChecker* c) {
  const float max = limits.roller_max_rpm;
  switch (r.kind) {
    case RollerMotionKind::kNone:
      return;
    case RollerMotionKind::kHold:
      c->InRange("roller hold rpm", "rpm", r.rpm, -max, max);
      return;
    case RollerMotionKind::kRamp:
      c->InRange("roller ramp from_rpm", "rpm", r.from_rpm, -max, max);
      c->InRange("roller ramp to_rpm", "rpm", r.to_rpm, -max, max);
      return;
    case RollerMotionKind::kSine:
      c->InRange("roller sine mean_rpm", "rpm", r.mean_rpm, -max, max);
      c->Finite("roller sine amplitude_rpm", "rpm", r.amplitude_rpm);
      c->Finite("roller sine phase_deg", "deg", r.phase_deg);
      c->Period("roller sine period_s", r.period_s);
      if (c->ok()) {
        // The extreme the sine reaches, signed like the mean.
        const float peak = std::abs(r.mean_rpm) + std::abs(r.amplitude_rpm);
        c->InRange("roller sine peak (|mean_rpm| + |amplitude_rpm|)", "rpm",
                   r.mean_rpm < 0 ? -peak : peak, -max, max);
      }
      return;
    case RollerMotionKind::kAlternate:
      c->InRange("roller alternate rpm", "rpm", r.rpm, -max, max);
      c->Period("roller alternate period_s", r.period_s);
      return;
  }
  c->Refuse(CommandResult::kBadRequest, ProgramProblem::kUnknownMotion, "roller motion", "",
            static_cast<float>(r.kind));
}

void CheckHead(const HeadSegment& h, const ProgramLimits& limits, SegmentChecker* c) {
  const float lo = limits.head_min_deg, hi = limits.head_max_deg;
  switch (h.kind) {
    case HeadMotionKind::kNone:
      return;
    case HeadMotionKind::kHold:
      c->InRange("head hold deg", "deg", h.deg, lo, hi);
      return;
    case HeadMotionKind::kMoveTo:
      c->InRange("head move_to deg", "deg", h.deg, lo, hi);
      c->InRange("head move_to max_rate_dps", "deg/s", h.max_rate_dps, 0, limits.head_max_rate_dps);
      return;
    case HeadMotionKind::kSweep:
      c->InRange("head sweep from_deg", "deg", h.from_deg, lo, hi);
      c->InRange("head sweep to_deg", "deg", h.to_deg, lo, hi);
      c->Period("head sweep period_s", h.period_s);
      if (c->ok()) {
        // There and back once per period: the reference moves at 2·|to - from| / period.
        const float rate = 2.0f * std::abs(h.to_deg - h.from_deg) / h.period_s;
        c->InRange("head sweep rate (2·|to_deg - from_deg| / period_s)", "deg/s", rate, 0,
                   limits.head_max_rate_dps);
      }
      return;
  }
  c->Refuse(CommandResult::kBadRequest, ProgramProblem::kUnknownMotion, "head motion", "",
            static_cast<float>(h.kind));
}

void CheckPreload(const PreloadSegment& p, const ProgramLimits& limits, SegmentChecker* c) {
  const float max = limits.preload_max_n;
  switch (p.kind) {
    case PreloadMotionKind::kNone:
      return;
    case PreloadMotionKind::kHold:
      c->InRange("preload hold newtons", "N", p.newtons, 0, max);
      return;
    case PreloadMotionKind::kRamp:
      c->InRange("preload ramp from_newtons", "N", p.from_newtons, 0, max);
      c->InRange("preload ramp to_newtons", "N", p.to_newtons, 0, max);
      return;
  }
  c->Refuse(CommandResult::kBadRequest, ProgramProblem::kUnknownMotion, "preload motion", "",
            static_cast<float>(p.kind));
}

}  // namespace

ProgramRefusal CheckSegment(const ProgramSegmentDef& segment, const ProgramLimits& limits) {
  SegmentChecker c(limits);
  if (segment.duration_us == 0) {
    c.Refuse(CommandResult::kBadRequest, ProgramProblem::kNotPositive, "duration_us", "us", 0);
  }
  CheckRoller(segment.roller, limits, &c);
  CheckHead(segment.head, limits, &c);
  CheckPreload(segment.preload, limits, &c);
  return c.refusal();
}

uint64_t SegmentTicks(uint64_t duration_us, uint32_t tick_us) {
  if (tick_us == 0) return 1;
  const uint64_t ticks = duration_us / tick_us + (duration_us % tick_us >= (tick_us + 1) / 2);
  return std::max<uint64_t>(ticks, 1);
}

ProgramSetpoint EvaluateSegment(const ProgramSegmentDef& segment, uint64_t k, uint64_t ticks,
                                const ProgramSetpoint& held, const ProgramLimits& limits) {
  ProgramSetpoint sp = held;
  const bool at_end = k >= ticks;
  const uint64_t t_us = std::min(k, ticks) * limits.tick_us;

  const RollerSegment& r = segment.roller;
  switch (r.kind) {
    case RollerMotionKind::kNone:
      break;
    case RollerMotionKind::kHold:
      sp.roller_rpm = r.rpm;
      break;
    case RollerMotionKind::kRamp:
      sp.roller_rpm = Linear(r.from_rpm, r.to_rpm, k, ticks);
      break;
    case RollerMotionKind::kSine: {
      const float angle =
          kTwoPi * FractionOfPeriod(t_us, PeriodUs(r.period_s)) + r.phase_deg * kRadPerDeg;
      sp.roller_rpm = r.mean_rpm + r.amplitude_rpm * std::sin(angle);
      break;
    }
    case RollerMotionKind::kAlternate: {
      const uint64_t period_us = PeriodUs(r.period_s);
      // At the end, the half period that ends there (not the one that would begin).
      const uint64_t t = at_end && t_us > 0 ? t_us - 1 : t_us;
      const bool first_half = period_us == 0 || 2 * (t % period_us) < period_us;
      sp.roller_rpm = first_half ? r.rpm : -r.rpm;
      break;
    }
  }

  const HeadSegment& h = segment.head;
  switch (h.kind) {
    case HeadMotionKind::kNone:
      break;
    case HeadMotionKind::kHold:
      sp.head_deg = h.deg;
      sp.head_rate_dps = limits.head_max_rate_dps;
      break;
    case HeadMotionKind::kMoveTo:
      sp.head_deg = h.deg;
      sp.head_rate_dps = h.max_rate_dps > 0 ? std::min(h.max_rate_dps, limits.head_max_rate_dps)
                                            : limits.head_max_rate_dps;
      break;
    case HeadMotionKind::kSweep: {
      const float f = FractionOfPeriod(t_us, PeriodUs(h.period_s));
      const float span = h.to_deg - h.from_deg;
      sp.head_deg = f < 0.5f ? h.from_deg + span * (2.0f * f) : h.to_deg - span * (2.0f * f - 1.0f);
      sp.head_rate_dps = limits.head_max_rate_dps;
      break;
    }
  }

  const PreloadSegment& p = segment.preload;
  switch (p.kind) {
    case PreloadMotionKind::kNone:
      break;
    case PreloadMotionKind::kHold:
      sp.preload_n = p.newtons;
      break;
    case PreloadMotionKind::kRamp:
      sp.preload_n = Linear(p.from_newtons, p.to_newtons, k, ticks);
      break;
  }
  return sp;
}

ProgramRefusal ProgramStore::Load(uint64_t program_id, uint32_t total_segments,
                                  uint32_t first_index, const ProgramSegmentDef* segments, size_t n,
                                  const ProgramLimits& limits) {
  ProgramRefusal refusal{.result = CommandResult::kOk};
  auto refuse = [&](CommandResult result, ProgramProblem problem) {
    refusal.result = result;
    refusal.problem = problem;
    return refusal;
  };
  if (total_segments == 0) return refuse(CommandResult::kBadRequest, ProgramProblem::kEmptyProgram);
  if (total_segments > kMaxProgramSegments) {
    refusal.value = static_cast<float>(total_segments);
    refusal.max = static_cast<float>(kMaxProgramSegments);
    return refuse(CommandResult::kOutOfRange, ProgramProblem::kTooManySegments);
  }
  if (first_index != 0) {
    if (total_ == 0 || program_id != id_ || total_segments != total_) {
      refusal.expected = 0;
      return refuse(CommandResult::kBadRequest,
                    total_ == 0 ? ProgramProblem::kNotContiguous : ProgramProblem::kOtherUpload);
    }
    if (first_index != loaded_) {
      refusal.expected = loaded_;
      return refuse(CommandResult::kBadRequest, ProgramProblem::kNotContiguous);
    }
  }
  if (n > total_segments - first_index || (n > 0 && segments == nullptr)) {
    refusal.value = static_cast<float>(first_index + n);
    refusal.max = static_cast<float>(total_segments);
    return refuse(CommandResult::kBadRequest, ProgramProblem::kPastEnd);
  }
  for (size_t i = 0; i < n; ++i) {
    ProgramRefusal check = CheckSegment(segments[i], limits);
    if (check.result != CommandResult::kOk) {
      check.segment = static_cast<int32_t>(first_index + i);
      return check;
    }
  }

  if (first_index == 0) {
    id_ = program_id;
    total_ = total_segments;
    loaded_ = 0;
    cycle_ticks_ = 0;
  }
  for (size_t i = 0; i < n; ++i) {
    segments_[loaded_] = segments[i];
    ticks_[loaded_] = SegmentTicks(segments[i].duration_us, limits.tick_us);
    cycle_ticks_ += ticks_[loaded_];
    ++loaded_;
  }
  return refusal;
}

void ProgramStore::Clear() {
  id_ = 0;
  total_ = 0;
  loaded_ = 0;
  cycle_ticks_ = 0;
}

}  // namespace rollrig::firmware
