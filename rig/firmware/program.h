// Device programs: profiles flattened by the host (loops unrolled) into a list of segments
// that the firmware executes at its control tick. This file holds the plain segment
// structs, their validation, the fixed-size program store and the setpoint each segment
// asks for at a given segment-local time. The sequencing (which segment, which cycle,
// pause/stop) lives in Firmware.
//
// Promises: no heap, no exceptions, no OS; the store is a fixed array sized at compile
// time; every function is deterministic. Not thread-safe.
//
// Timing: a segment lasts duration_us rounded to the nearest whole control tick (halves
// round up), at least one tick, so segment boundaries always fall on ticks and a program
// of N ticks per cycle takes exactly N ticks per cycle. The setpoint for the k-th tick of a
// segment (k = 0 .. ticks-1) is evaluated at segment-local time t = k·tick; periods are
// kept in whole microseconds.
#pragma once

#include <cstddef>
#include <cstdint>

#include "rig/firmware/faults.h"

namespace rollrig::firmware {

inline constexpr size_t kMaxProgramSegments = 256;

// Wire values of rollrig.v1.ProgramState (rig/sim checks this at compile time).
enum class ProgramState : uint8_t {
  kNone = 0,    // no complete program loaded
  kLoaded = 1,  // loaded, not running (also after it finished or was aborted)
  kRunning = 2,
  kPaused = 3,
  kStopping = 4,  // ramping the roller down after a stop or the last cycle
};

enum class RollerMotionKind : uint8_t { kNone = 0, kHold, kRamp, kSine, kAlternate };
enum class HeadMotionKind : uint8_t { kNone = 0, kHold, kMoveTo, kSweep };
enum class PreloadMotionKind : uint8_t { kNone = 0, kHold, kRamp };

// Roller rpm, signed. Only the fields of `kind` are read.
struct RollerSegment {
  RollerMotionKind kind = RollerMotionKind::kNone;  // kNone: hold the previous setpoint
  float rpm = 0;            // hold; alternate: +rpm first half period, -rpm second half
  float from_rpm = 0;       // ramp, linear over the segment
  float to_rpm = 0;         // ramp
  float mean_rpm = 0;       // sine: mean + amplitude·sin(2π·t/period + phase)
  float amplitude_rpm = 0;  // sine
  float phase_deg = 0;      // sine
  float period_s = 0;       // sine, alternate
};

// Head degrees. Only the fields of `kind` are read.
struct HeadSegment {
  HeadMotionKind kind = HeadMotionKind::kNone;  // kNone: hold the previous setpoint
  float deg = 0;                                // hold, move_to
  float max_rate_dps = 0;                       // move_to; 0 = the device maximum
  float from_deg = 0;  // sweep: triangle from -> to -> from, one per period, from `from`
  float to_deg = 0;    // sweep
  float period_s = 0;  // sweep
};

// Preload newtons. Only the fields of `kind` are read.
struct PreloadSegment {
  PreloadMotionKind kind = PreloadMotionKind::kNone;  // kNone: hold the previous setpoint
  float newtons = 0;                                  // hold
  float from_newtons = 0;                             // ramp, linear over the segment
  float to_newtons = 0;                               // ramp
};

struct ProgramSegmentDef {
  uint64_t duration_us = 0;
  RollerSegment roller;
  HeadSegment head;
  PreloadSegment preload;
};

// What the device allows; segments outside it are refused.
struct ProgramLimits {
  uint32_t tick_us = 1000;
  float roller_max_rpm = 120;
  float head_min_deg = -180;
  float head_max_deg = 180;
  float head_max_rate_dps = 120;
  float preload_max_n = 150;
};

// Why a LoadProgram or StartProgram was refused, for an operator-readable
// acknowledgement. Strings are static literals.
enum class ProgramProblem : uint8_t {
  kNone = 0,
  kOutOfRange,       // `field` = value, allowed min..max (in `unit`)
  kNotFinite,        // `field` is NaN or infinite
  kNotPositive,      // `field` (a duration or period) must be > 0
  kUnknownMotion,    // `field` names the axis whose kind is invalid
  kEmptyProgram,     // total_segments == 0
  kTooManySegments,  // value = total_segments, max = kMaxProgramSegments
  kNotContiguous,    // a part that does not continue the upload; `expected` = next index
  kOtherUpload,      // a later part whose id or total differs from the upload in progress
  kPastEnd,          // the part runs past total_segments
  kProgramRunning,   // no upload while a program runs
};

struct ProgramRefusal {
  CommandResult result = CommandResult::kOk;
  ProgramProblem problem = ProgramProblem::kNone;
  int32_t segment = -1;  // program index of the offending segment; -1: the request itself
  const char* field = "";
  const char* unit = "";
  float value = 0;
  float min = 0;
  float max = 0;
  uint64_t expected = 0;  // kNotContiguous: the index the next part must start at
};

// Checks one segment against the limits; result kOk when it may be loaded. Non-finite
// values, zero durations and non-positive periods are kBadRequest; values outside the
// limits (including a sweep faster than the head's maximum rate, a move_to rate above it
// and periods shorter than two ticks) are kOutOfRange.
ProgramRefusal CheckSegment(const ProgramSegmentDef& segment, const ProgramLimits& limits);

// duration_us in whole ticks, rounded to nearest (halves up), at least one.
uint64_t SegmentTicks(uint64_t duration_us, uint32_t tick_us);

// The setpoints a program commands on its three axes.
struct ProgramSetpoint {
  float roller_rpm = 0;
  float head_deg = 0;
  float head_rate_dps = 0;  // the rate limit the head reference moves at
  float preload_n = 0;
};

// The setpoint of `segment` at its local tick `k` (of `ticks`); axes the segment omits
// keep `held`. With k == ticks it gives the segment's final setpoint, which the next
// segment holds on the axes it omits (for alternate: the half period that ends there).
ProgramSetpoint EvaluateSegment(const ProgramSegmentDef& segment, uint64_t k, uint64_t ticks,
                                const ProgramSetpoint& held, const ProgramLimits& limits);

// A program of up to kMaxProgramSegments segments, uploaded in contiguous parts.
class ProgramStore {
 public:
  // Appends a part. first_index 0 starts a new program (the old one is discarded once the
  // part is accepted); a later part must continue the upload of the same id and total.
  // A refused part changes nothing, so the same part may be sent again.
  ProgramRefusal Load(uint64_t program_id, uint32_t total_segments, uint32_t first_index,
                      const ProgramSegmentDef* segments, size_t n, const ProgramLimits& limits);
  void Clear();

  bool complete() const { return total_ > 0 && loaded_ == total_; }
  uint64_t id() const { return id_; }
  uint32_t total() const { return total_; }
  uint32_t loaded() const { return loaded_; }
  const ProgramSegmentDef& segment(uint32_t i) const { return segments_[i]; }
  uint64_t ticks(uint32_t i) const { return ticks_[i]; }
  uint64_t cycle_ticks() const { return cycle_ticks_; }  // sum of the segments' ticks

 private:
  ProgramSegmentDef segments_[kMaxProgramSegments] = {};
  uint64_t ticks_[kMaxProgramSegments] = {};
  uint64_t id_ = 0;
  uint32_t total_ = 0;
  uint32_t loaded_ = 0;
  uint64_t cycle_ticks_ = 0;
};

}  // namespace rollrig::firmware
