#include "rig/sim/program_messages.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "rig/sim/device_messages.h"

namespace rollrig::sim {
namespace {

namespace v1 = rollrig::v1;
using firmware::CommandResult;
using firmware::ProgramProblem;

float ToFloat(double v) {
  constexpr double kMax = std::numeric_limits<float>::max();
  if (std::isfinite(v) && std::abs(v) > kMax) return static_cast<float>(v > 0 ? kMax : -kMax);
  return static_cast<float>(v);
}

std::string Number(double v) { return absl::StrFormat("%g", v); }

firmware::RollerSegment ToRoller(const v1::RollerMotion& m) {
  firmware::RollerSegment r;
  switch (m.motion_case()) {
    case v1::RollerMotion::kHold:
      r.kind = firmware::RollerMotionKind::kHold;
      r.rpm = ToFloat(m.hold().rpm());
      break;
    case v1::RollerMotion::kRamp:
      r.kind = firmware::RollerMotionKind::kRamp;
      r.from_rpm = ToFloat(m.ramp().from_rpm());
      r.to_rpm = ToFloat(m.ramp().to_rpm());
      break;
    case v1::RollerMotion::kSine:
      r.kind = firmware::RollerMotionKind::kSine;
      r.mean_rpm = ToFloat(m.sine().mean_rpm());
      r.amplitude_rpm = ToFloat(m.sine().amplitude_rpm());
      r.period_s = ToFloat(m.sine().period_s());
      r.phase_deg = ToFloat(m.sine().phase_deg());
      break;
    case v1::RollerMotion::kAlternate:
      r.kind = firmware::RollerMotionKind::kAlternate;
      r.rpm = ToFloat(m.alternate().rpm());
      r.period_s = ToFloat(m.alternate().period_s());
      break;
    case v1::RollerMotion::MOTION_NOT_SET:
      break;
  }
  return r;
}

firmware::HeadSegment ToHead(const v1::HeadMotion& m) {
  firmware::HeadSegment h;
  switch (m.motion_case()) {
    case v1::HeadMotion::kHold:
      h.kind = firmware::HeadMotionKind::kHold;
      h.deg = ToFloat(m.hold().deg());
      break;
    case v1::HeadMotion::kMoveTo:
      h.kind = firmware::HeadMotionKind::kMoveTo;
      h.deg = ToFloat(m.move_to().deg());
      h.max_rate_dps = ToFloat(m.move_to().max_rate_dps());
      break;
    case v1::HeadMotion::kSweep:
      h.kind = firmware::HeadMotionKind::kSweep;
      h.from_deg = ToFloat(m.sweep().from_deg());
      h.to_deg = ToFloat(m.sweep().to_deg());
      h.period_s = ToFloat(m.sweep().period_s());
      break;
    case v1::HeadMotion::MOTION_NOT_SET:
      break;
  }
  return h;
}

firmware::PreloadSegment ToPreload(const v1::PreloadMotion& m) {
  firmware::PreloadSegment p;
  switch (m.motion_case()) {
    case v1::PreloadMotion::kHold:
      p.kind = firmware::PreloadMotionKind::kHold;
      p.newtons = ToFloat(m.hold().newtons());
      break;
    case v1::PreloadMotion::kRamp:
      p.kind = firmware::PreloadMotionKind::kRamp;
      p.from_newtons = ToFloat(m.ramp().from_newtons());
      p.to_newtons = ToFloat(m.ramp().to_newtons());
      break;
    case v1::PreloadMotion::MOTION_NOT_SET:
      break;
  }
  return p;
}

std::string WhoRuns(const firmware::FirmwareStatus& status) {
  return absl::StrCat("program ", status.program_id, " is ", ProgramStateName(status.program_state),
                      "; stop it first");
}

}  // namespace

firmware::ProgramSegmentDef ToSegmentDef(const v1::ProgramSegment& segment) {
  firmware::ProgramSegmentDef def;
  def.duration_us = segment.duration_us();
  if (segment.has_roller()) def.roller = ToRoller(segment.roller());
  if (segment.has_head()) def.head = ToHead(segment.head());
  if (segment.has_preload()) def.preload = ToPreload(segment.preload());
  return def;
}

std::string CheckPartIndexes(const v1::LoadProgram& request) {
  for (int i = 0; i < request.segments_size(); ++i) {
    const uint64_t expected = static_cast<uint64_t>(request.first_index()) + i;
    if (request.segments(i).index() != expected) {
      return absl::StrCat("load program ", request.program_id(), ": the segment at position ", i,
                          " of the part has index ", request.segments(i).index(), ", expected ",
                          expected, " (first_index ", request.first_index(), " + ", i, ")");
    }
  }
  return "";
}

std::string LoadRefusalDetail(const v1::LoadProgram& request,
                              const firmware::ProgramRefusal& refusal,
                              const firmware::FirmwareStatus& status) {
  const std::string load = absl::StrCat("load program ", request.program_id());
  const std::string where =
      refusal.segment >= 0 ? absl::StrCat("program segment ", refusal.segment) : load;
  const std::string unit = *refusal.unit ? absl::StrCat(" ", refusal.unit) : "";
  switch (refusal.problem) {
    case ProgramProblem::kNone:
      break;
    case ProgramProblem::kOutOfRange:
      if (std::isinf(refusal.max)) {
        return absl::StrCat(where, ": ", refusal.field, " ", Number(refusal.value), unit,
                            " is below the minimum of ", Number(refusal.min), unit,
                            " (two control ticks)");
      }
      return absl::StrCat(where, ": ", refusal.field, " ", Number(refusal.value), " is outside ",
                          Number(refusal.min), "..", Number(refusal.max), unit);
    case ProgramProblem::kNotFinite:
      return absl::StrCat(where, ": ", refusal.field, " is ", Number(refusal.value),
                          ", not a finite number");
    case ProgramProblem::kNotPositive:
      return absl::StrCat(where, ": ", refusal.field, " must be positive, got ",
                          Number(refusal.value), unit);
    case ProgramProblem::kUnknownMotion:
      return absl::StrCat(where, ": unknown ", refusal.field, " kind ", Number(refusal.value));
    case ProgramProblem::kEmptyProgram:
      return absl::StrCat(load, ": total_segments is 0; a program needs at least one segment");
    case ProgramProblem::kTooManySegments:
      return absl::StrCat(load, ": ", request.total_segments(),
                          " segments is more than this device holds (",
                          firmware::kMaxProgramSegments, ")");
    case ProgramProblem::kNotContiguous:
      return absl::StrCat(load, ": the part starts at segment ", request.first_index(),
                          ", expected ", refusal.expected,
                          " (parts must be contiguous; first_index 0 starts a new program)");
    case ProgramProblem::kOtherUpload:
      return absl::StrCat(load, ": the part (total_segments ", request.total_segments(),
                          ") does not continue the upload in progress (program ", status.program_id,
                          "); start again with first_index 0");
    case ProgramProblem::kPastEnd:
      return absl::StrCat(load, ": the part ends at segment ", Number(refusal.value),
                          ", past total_segments ", request.total_segments());
    case ProgramProblem::kProgramRunning:
      return absl::StrCat(load, " refused: ", WhoRuns(status));
  }
  return RefusalDetail(refusal.result, status, load, "");
}

std::string StartRefusalDetail(const v1::StartProgram& request, CommandResult result,
                               const firmware::FirmwareStatus& status,
                               const firmware::ProgramStore& program) {
  const std::string start = absl::StrCat("start program ", request.program_id());
  switch (result) {
    case CommandResult::kOk:
      return "";
    case CommandResult::kBusy:
      return absl::StrCat(start, " refused: ", WhoRuns(status));
    case CommandResult::kBadRequest:
      if (program.total() == 0) return absl::StrCat(start, ": no program is loaded");
      return absl::StrCat(start, ": no complete program ", request.program_id(),
                          " is loaded (loaded: program ", program.id(), ", ", program.loaded(),
                          " of ", program.total(), " segments)");
    default:
      return RefusalDetail(result, status, start, "");
  }
}

std::string PauseResumeRefusalDetail(const char* what, CommandResult result,
                                     const firmware::FirmwareStatus& status) {
  switch (result) {
    case CommandResult::kOk:
      return "";
    case CommandResult::kBusy:
      return absl::StrCat(what, " refused: program ", status.program_id, " is already stopping");
    case CommandResult::kBadRequest:
      return absl::StrCat(what, ": no program is ",
                          std::string(what) == "resume" ? "paused" : "running", " (program ",
                          ProgramStateName(status.program_state), ")");
    default:
      return RefusalDetail(result, status, what, "");
  }
}

const char* ProgramStateName(firmware::ProgramState state) {
  switch (state) {
    case firmware::ProgramState::kNone:
      return "not loaded";
    case firmware::ProgramState::kLoaded:
      return "loaded";
    case firmware::ProgramState::kRunning:
      return "running";
    case firmware::ProgramState::kPaused:
      return "paused";
    case firmware::ProgramState::kStopping:
      return "stopping";
  }
  return "unknown";
}

}  // namespace rollrig::sim
