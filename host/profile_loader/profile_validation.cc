#include "host/profile_loader/profile_validation.h"

#include <cmath>
#include <numbers>

#include "absl/strings/str_format.h"
#include "google/protobuf/reflection.h"
#include "host/profile_loader/program_unrolling.h"

namespace rollrig::host {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using rollrig::v1::Capabilities;
using rollrig::v1::Limit;
using rollrig::v1::Range;

class ProfileValidator {
 public:
  explicit ProfileValidator(const Capabilities& caps) : caps_(caps) {
    tick_hz_ = caps.tick_hz() > 0 ? caps.tick_hz() : 1000;
    max_segments_ =
        caps.max_profile_segments() > 0 ? caps.max_profile_segments() : kDefaultMaxProfileSegments;
  }

  std::vector<ProfileIssue> Validate(const rollrig::v1::Profile& profile) {
    ReportNonFinite(profile, {});
    if (profile.steps_size() == 0) {
      Report(ChildPath({}, "steps"), "a profile needs at least one step (a segment or a loop)");
    }
    for (int s = 0; s < profile.steps_size(); ++s) {
      CheckStep(profile.steps(s), ChildPath({}, "steps", s));
    }
    CheckProgramSize(profile);
    CheckLimits(profile.limits(), {});
    return std::move(issues_);
  }

 private:
  void Report(FieldPath field, std::string message) {
    issues_.push_back({std::move(field), std::move(message)});
  }

  // Every double anywhere must be finite; the specific checks below skip non-finite
  // values so each is reported once.
  void ReportNonFinite(const Message& message, const FieldPath& path) {
    std::vector<const FieldDescriptor*> fields;
    message.GetReflection()->ListFields(message, &fields);
    const auto* reflection = message.GetReflection();
    for (const FieldDescriptor* field : fields) {
      const int count = field->is_repeated() ? reflection->FieldSize(message, field) : 1;
      for (int i = 0; i < count; ++i) {
        FieldPath child = path;
        child.push_back({field, field->is_repeated() ? i : -1});
        if (field->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE) {
          const double value = field->is_repeated()
                                   ? reflection->GetRepeatedDouble(message, field, i)
                                   : reflection->GetDouble(message, field);
          if (!std::isfinite(value)) {
            Report(std::move(child), absl::StrFormat("%g is not a finite number", value));
          }
        } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
          ReportNonFinite(field->is_repeated() ? reflection->GetRepeatedMessage(message, field, i)
                                               : reflection->GetMessage(message, field),
                          child);
        }
      }
    }
  }

  void CheckStep(const rollrig::v1::Step& step, const FieldPath& path) {
    switch (step.step_case()) {
      case rollrig::v1::Step::kSegment:
        CheckSegment(step.segment(), ChildPath(path, "segment"));
        break;
      case rollrig::v1::Step::kLoop: {
        const rollrig::v1::Loop& loop = step.loop();
        const FieldPath loop_path = ChildPath(path, "loop");
        if (loop.repeat() < 1) {
          Report(ChildPath(loop_path, "repeat"),
                 absl::StrFormat("repeat %u must be at least 1", loop.repeat()));
        }
        if (loop.segments_size() == 0) {
          Report(ChildPath(loop_path, "segments"), "a loop needs at least one segment");
        }
        for (int k = 0; k < loop.segments_size(); ++k) {
          CheckSegment(loop.segments(k), ChildPath(loop_path, "segments", k));
        }
        break;
      }
      case rollrig::v1::Step::STEP_NOT_SET:
        Report(path, "a step needs a segment or a loop");
        break;
    }
  }

  void CheckSegment(const rollrig::v1::Segment& segment, const FieldPath& path) {
    const double duration = segment.duration_s();
    const FieldPath duration_path = ChildPath(path, "duration_s");
    const double tick_s = 1.0 / tick_hz_;
    if (!std::isfinite(duration)) {
      // reported as non-finite
    } else if (duration <= 0) {
      Report(duration_path,
             absl::StrFormat("%g s must be > 0 (every segment needs a duration)", duration));
    } else if (duration > kMaxSegmentDurationS) {
      Report(duration_path,
             absl::StrFormat("%g s is longer than the longest segment, %g s (24 h); use a loop",
                             duration, kMaxSegmentDurationS));
    } else if (duration < tick_s) {
      Report(duration_path, absl::StrFormat("%g s is shorter than one control tick (%g s at %u Hz)",
                                            duration, tick_s, tick_hz_));
    }
    if (segment.has_roller()) CheckRoller(segment.roller(), ChildPath(path, "roller"));
    if (segment.has_head()) CheckHead(segment.head(), ChildPath(path, "head"));
    if (segment.has_preload()) CheckPreload(segment.preload(), ChildPath(path, "preload"));
    CheckLimits(segment.limits(), path);
  }

  // ---- Roller ----

  void CheckRollerRpm(double rpm, const FieldPath& path) {
    CheckInRange(rpm, caps_.roller_rpm(), "rpm", "the device's range", path);
  }

  void CheckRoller(const rollrig::v1::RollerMotion& roller, const FieldPath& path) {
    const double accel = caps_.roller_max_accel_rpm_s();
    switch (roller.motion_case()) {
      case rollrig::v1::RollerMotion::kHold:
        CheckRollerRpm(roller.hold().rpm(), ChildPath(ChildPath(path, "hold"), "rpm"));
        break;
      case rollrig::v1::RollerMotion::kRamp: {
        const FieldPath ramp = ChildPath(path, "ramp");
        CheckRollerRpm(roller.ramp().from_rpm(), ChildPath(ramp, "from_rpm"));
        CheckRollerRpm(roller.ramp().to_rpm(), ChildPath(ramp, "to_rpm"));
        break;
      }
      case rollrig::v1::RollerMotion::kSine:
        CheckSine(roller.sine(), ChildPath(path, "sine"));
        break;
      case rollrig::v1::RollerMotion::kAlternate: {
        const rollrig::v1::RollerAlternate& alternate = roller.alternate();
        const FieldPath alt = ChildPath(path, "alternate");
        const double rpm = std::abs(alternate.rpm());
        const Range& range = caps_.roller_rpm();
        if (std::isfinite(rpm) && (-rpm < range.min() || rpm > range.max())) {
          Report(ChildPath(alt, "rpm"),
                 absl::StrFormat("±%g rpm is outside the device's range %g..%g rpm", rpm,
                                 range.min(), range.max()));
        }
        const FieldPath period_path = ChildPath(alt, "period_s");
        if (CheckPeriod(alternate.period_s(), period_path) && std::isfinite(rpm) && accel > 0) {
          // Reversals are ramped at the acceleration limit; each must finish well within
          // its half period or the roller never reaches the commanded speed.
          const double reversal_s = 2 * rpm / accel;
          if (alternate.period_s() / 2 <= reversal_s) {
            Report(
                period_path,
                absl::StrFormat("half of %g s is not longer than the %g s a reversal from "
                                "%g to -%g rpm takes at the device's %g rpm/s; use a "
                                "period above %g s or a lower rpm",
                                alternate.period_s(), reversal_s, rpm, rpm, accel, 2 * reversal_s));
          }
        }
        break;
      }
      case rollrig::v1::RollerMotion::MOTION_NOT_SET:
        Report(path, "roller needs one of hold, ramp, sine, alternate");
        break;
    }
  }

  void CheckSine(const rollrig::v1::RollerSine& sine, const FieldPath& path) {
    const double mean = sine.mean_rpm();
    const double amplitude = std::abs(sine.amplitude_rpm());
    const FieldPath amplitude_path = ChildPath(path, "amplitude_rpm");
    const Range& range = caps_.roller_rpm();
    if (std::isfinite(mean) && std::isfinite(amplitude)) {
      if (mean < range.min() || mean > range.max()) {
        CheckRollerRpm(mean, ChildPath(path, "mean_rpm"));
      } else if (mean - amplitude < range.min() || mean + amplitude > range.max()) {
        Report(amplitude_path,
               absl::StrFormat("%g ± %g rpm reaches %g..%g rpm, outside the device's range "
                               "%g..%g rpm",
                               mean, amplitude, mean - amplitude, mean + amplitude, range.min(),
                               range.max()));
      }
    }
    const double accel = caps_.roller_max_accel_rpm_s();
    if (CheckPeriod(sine.period_s(), ChildPath(path, "period_s")) && std::isfinite(amplitude) &&
        accel > 0) {
      // d/dt of A*sin(2*pi*t/P) peaks at 2*pi*A/P.
      const double peak_accel = 2 * std::numbers::pi * amplitude / sine.period_s();
      if (peak_accel > accel) {
        Report(amplitude_path,
               absl::StrFormat("%g rpm at a period of %g s needs %.4g rpm/s, more than the "
                               "device's %g rpm/s acceleration limit: at %g s the amplitude "
                               "can be at most %.4g rpm, or at %g rpm the period must be at "
                               "least %.4g s",
                               amplitude, sine.period_s(), peak_accel, accel, sine.period_s(),
                               accel * sine.period_s() / (2 * std::numbers::pi), amplitude,
                               2 * std::numbers::pi * amplitude / accel));
      }
    }
  }

  // True when `period` is usable for further checks.
  bool CheckPeriod(double period, const FieldPath& path) {
    if (!std::isfinite(period)) return false;
    const double shortest = kMinTicksPerPeriod / static_cast<double>(tick_hz_);
    if (period <= 0) {
      Report(path, absl::StrFormat("%g s must be > 0", period));
      return false;
    }
    if (period < shortest) {
      Report(path, absl::StrFormat("%g s is shorter than %d control ticks (%g s at %u Hz)", period,
                                   kMinTicksPerPeriod, shortest, tick_hz_));
      return false;
    }
    return true;
  }

  // ---- Head ----

  void CheckHeadDeg(double deg, const FieldPath& path) {
    CheckInRange(deg, caps_.head_deg(), "deg", "the head's range", path);
  }

  void CheckHead(const rollrig::v1::HeadMotion& head, const FieldPath& path) {
    const double max_rate = caps_.head_max_rate_dps();
    switch (head.motion_case()) {
      case rollrig::v1::HeadMotion::kHold:
        CheckHeadDeg(head.hold().deg(), ChildPath(ChildPath(path, "hold"), "deg"));
        break;
      case rollrig::v1::HeadMotion::kMoveTo: {
        const FieldPath move = ChildPath(path, "move_to");
        CheckHeadDeg(head.move_to().deg(), ChildPath(move, "deg"));
        const double rate = head.move_to().max_rate_dps();
        if (std::isfinite(rate) && (rate < 0 || (max_rate > 0 && rate > max_rate))) {
          Report(ChildPath(move, "max_rate_dps"),
                 absl::StrFormat("%g deg/s is outside 0..%g deg/s (0 = the device maximum)", rate,
                                 max_rate));
        }
        break;
      }
      case rollrig::v1::HeadMotion::kSweep: {
        const rollrig::v1::HeadSweep& sweep = head.sweep();
        const FieldPath sweep_path = ChildPath(path, "sweep");
        CheckHeadDeg(sweep.from_deg(), ChildPath(sweep_path, "from_deg"));
        CheckHeadDeg(sweep.to_deg(), ChildPath(sweep_path, "to_deg"));
        const FieldPath period_path = ChildPath(sweep_path, "period_s");
        const double span = std::abs(sweep.to_deg() - sweep.from_deg());
        if (CheckPeriod(sweep.period_s(), period_path) && std::isfinite(span) && max_rate > 0) {
          // A triangle wave covers the span twice per period.
          const double rate = 2 * span / sweep.period_s();
          if (rate > max_rate) {
            Report(period_path,
                   absl::StrFormat("sweeping %g deg there and back in %g s needs %.4g deg/s, "
                                   "more than the head's %g deg/s; use a period of at least "
                                   "%.4g s",
                                   span, sweep.period_s(), rate, max_rate, 2 * span / max_rate));
          }
        }
        break;
      }
      case rollrig::v1::HeadMotion::MOTION_NOT_SET:
        Report(path, "head needs one of hold, move_to, sweep");
        break;
    }
  }

  // ---- Preload ----

  void CheckPreload(const rollrig::v1::PreloadMotion& preload, const FieldPath& path) {
    const Range& range = caps_.preload_n();
    switch (preload.motion_case()) {
      case rollrig::v1::PreloadMotion::kHold:
        CheckInRange(preload.hold().newtons(), range, "N", "the device's preload range",
                     ChildPath(ChildPath(path, "hold"), "newtons"));
        break;
      case rollrig::v1::PreloadMotion::kRamp: {
        const FieldPath ramp = ChildPath(path, "ramp");
        CheckInRange(preload.ramp().from_newtons(), range, "N", "the device's preload range",
                     ChildPath(ramp, "from_newtons"));
        CheckInRange(preload.ramp().to_newtons(), range, "N", "the device's preload range",
                     ChildPath(ramp, "to_newtons"));
        break;
      }
      case rollrig::v1::PreloadMotion::MOTION_NOT_SET:
        Report(path, "preload needs one of hold, ramp");
        break;
    }
  }

  void CheckInRange(double value, const Range& range, const char* unit, const char* range_name,
                    const FieldPath& path) {
    if (!std::isfinite(value)) return;
    if (value < range.min() || value > range.max()) {
      Report(path, absl::StrFormat("%g %s is outside %s %g..%g %s", value, unit, range_name,
                                   range.min(), range.max(), unit));
    }
  }

  // ---- Program size ----

  void CheckProgramSize(const rollrig::v1::Profile& profile) {
    const uint64_t total = CountProgramSegments(profile);
    if (total <= max_segments_) return;
    // Point at the step where the program overflows: that is what has to shrink.
    rollrig::v1::Profile prefix;
    for (int s = 0; s < profile.steps_size(); ++s) {
      *prefix.add_steps() = profile.steps(s);
      if (CountProgramSegments(prefix) > max_segments_) {
        const FieldPath step = ChildPath({}, "steps", s);
        const FieldPath where =
            profile.steps(s).has_loop() ? ChildPath(ChildPath(step, "loop"), "repeat") : step;
        Report(where, absl::StrFormat("the profile unrolls to %u program segments (loops "
                                      "multiplied out); the device holds at most %u",
                                      total, max_segments_));
        return;
      }
    }
  }

  // ---- Limits ----

  void CheckLimits(const google::protobuf::RepeatedPtrField<Limit>& limits,
                   const FieldPath& owner) {
    for (int i = 0; i < limits.size(); ++i) CheckLimit(limits[i], ChildPath(owner, "limits", i));
  }

  void CheckLimit(const Limit& limit, const FieldPath& path) {
    const std::string name =
        limit.name().empty() ? std::string("this limit") : "limit \"" + limit.name() + "\"";
    switch (limit.measurement_case()) {
      case Limit::kSignal:
        if (limit.signal() == rollrig::v1::SIGNAL_UNSPECIFIED ||
            !rollrig::v1::Signal_IsValid(limit.signal())) {
          Report(ChildPath(path, "signal"),
                 absl::StrFormat("%s needs a signal such as SIGNAL_TORQUE_NM, not %s", name,
                                 rollrig::v1::Signal_Name(limit.signal())));
        }
        break;
      case Limit::kCycleStatistic:
        if (limit.cycle_statistic() == rollrig::v1::CYCLE_STATISTIC_UNSPECIFIED ||
            !rollrig::v1::CycleStatistic_IsValid(limit.cycle_statistic())) {
          Report(ChildPath(path, "cycle_statistic"),
                 absl::StrFormat("%s needs a statistic such as "
                                 "CYCLE_STATISTIC_PEAK_TORQUE_NM, not %s",
                                 name, rollrig::v1::CycleStatistic_Name(limit.cycle_statistic())));
        }
        break;
      case Limit::MEASUREMENT_NOT_SET:
        Report(path, absl::StrFormat("%s measures nothing: set signal or cycle_statistic", name));
        break;
    }
    if (!limit.has_min() && !limit.has_max()) {
      Report(path, absl::StrFormat("%s bounds nothing: set min, max or both", name));
    }
    if (limit.has_min() && limit.has_max() && std::isfinite(limit.min()) &&
        std::isfinite(limit.max()) && limit.min() > limit.max()) {
      Report(ChildPath(path, "min"), absl::StrFormat("min %g is above max %g: no value could pass",
                                                     limit.min(), limit.max()));
    }
    CheckNotNegative(limit.marginal_band(), ChildPath(path, "marginal_band"));
    CheckNotNegative(limit.persist_s(), ChildPath(path, "persist_s"));
    CheckNotNegative(limit.settle_s(), ChildPath(path, "settle_s"));
    if (limit.measurement_case() == Limit::kCycleStatistic) {
      // Statistics are judged once per cycle: timing filters have nothing to act on.
      if (limit.persist_s() != 0) {
        Report(ChildPath(path, "persist_s"),
               absl::StrFormat("%g s: persist_s applies to live signals only, not to a cycle "
                               "statistic",
                               limit.persist_s()));
      }
      if (limit.settle_s() != 0) {
        Report(ChildPath(path, "settle_s"),
               absl::StrFormat("%g s: settle_s applies to live signals only, not to a cycle "
                               "statistic",
                               limit.settle_s()));
      }
    }
  }

  void CheckNotNegative(double value, const FieldPath& path) {
    if (std::isfinite(value) && value < 0) {
      Report(path, absl::StrFormat("%g must be >= 0", value));
    }
  }

  const Capabilities& caps_;
  uint32_t tick_hz_;
  uint32_t max_segments_;
  std::vector<ProfileIssue> issues_;
};

}  // namespace

std::vector<ProfileIssue> ValidateProfile(const rollrig::v1::Profile& profile,
                                          const Capabilities& caps) {
  return ProfileValidator(caps).Validate(profile);
}

}  // namespace rollrig::host
