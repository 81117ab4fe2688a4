#include "host/profile_loader/program_unrolling.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"

namespace rollrig::host {
namespace {

uint64_t SaturatingAdd(uint64_t a, uint64_t b) {
  return a > std::numeric_limits<uint64_t>::max() - b ? std::numeric_limits<uint64_t>::max()
                                                      : a + b;
}

rollrig::v1::ProgramSegment ToProgramSegment(const rollrig::v1::Segment& segment, uint32_t index) {
  rollrig::v1::ProgramSegment out;
  out.set_index(index);
  out.set_duration_us(DurationMicros(segment.duration_s()));
  if (segment.has_roller()) *out.mutable_roller() = segment.roller();
  if (segment.has_head()) *out.mutable_head() = segment.head();
  if (segment.has_preload()) *out.mutable_preload() = segment.preload();
  return out;
}

}  // namespace

uint64_t DurationMicros(double duration_s) {
  return static_cast<uint64_t>(std::llround(duration_s * 1e6));
}

uint64_t CountProgramSegments(const rollrig::v1::Profile& profile) {
  uint64_t count = 0;
  for (const rollrig::v1::Step& step : profile.steps()) {
    if (step.has_segment()) {
      count = SaturatingAdd(count, 1);
    } else if (step.has_loop()) {
      // Both factors fit in 32 bits, so the product fits in 64.
      count = SaturatingAdd(count, uint64_t{step.loop().repeat()} *
                                       static_cast<uint64_t>(step.loop().segments_size()));
    }
  }
  return count;
}

UnrolledProgram UnrollProfile(const rollrig::v1::Profile& profile) {
  UnrolledProgram out;
  uint64_t start_us = 0;
  auto add = [&](const rollrig::v1::Segment& segment, std::string path, uint32_t step,
                 uint32_t iteration) {
    const auto index = static_cast<uint32_t>(out.program.size());
    out.program.push_back(ToProgramSegment(segment, index));
    const uint64_t duration_us = out.program.back().duration_us();
    ProgramSegmentInfo info;
    info.index = index;
    info.label = segment.label();
    info.path = std::move(path);
    info.step = step;
    info.loop_iteration = iteration;
    info.start_s = static_cast<double>(start_us) / 1e6;
    info.duration_s = static_cast<double>(duration_us) / 1e6;
    info.limits.assign(segment.limits().begin(), segment.limits().end());
    out.segments.push_back(std::move(info));
    start_us += duration_us;
  };
  for (int s = 0; s < profile.steps_size(); ++s) {
    const rollrig::v1::Step& step = profile.steps(s);
    const auto step_index = static_cast<uint32_t>(s);
    if (step.has_segment()) {
      add(step.segment(), absl::StrCat("steps[", s, "].segment"), step_index, 0);
    } else if (step.has_loop()) {
      for (uint32_t iteration = 0; iteration < step.loop().repeat(); ++iteration) {
        for (int k = 0; k < step.loop().segments_size(); ++k) {
          add(step.loop().segments(k), absl::StrCat("steps[", s, "].loop.segments[", k, "]"),
              step_index, iteration);
        }
      }
    }
  }
  // Summed in whole microseconds, so the cycle is exactly what the device runs.
  out.cycle_s = static_cast<double>(start_us) / 1e6;
  return out;
}

}  // namespace rollrig::host
