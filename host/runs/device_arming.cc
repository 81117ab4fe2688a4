#include "host/runs/device_arming.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace rollrig::host {
namespace {

using rollrig::v1::HostMessage;

constexpr size_t kProgramPartSegments = 32;  // one LoadProgram part fits a frame easily

bool ProgramUnderWay(const DeviceSnapshot& snap) {
  return snap.program_state == rollrig::v1::PROGRAM_STATE_RUNNING ||
         snap.program_state == rollrig::v1::PROGRAM_STATE_PAUSED ||
         snap.program_state == rollrig::v1::PROGRAM_STATE_STOPPING;
}

bool Moving(const DeviceSnapshot& snap) {
  return snap.state == rollrig::v1::DEVICE_STATE_ACTIVE ||
         snap.state == rollrig::v1::DEVICE_STATE_STOPPING;
}

bool RollerStill(const DeviceSnapshot& snap) {
  return !snap.have_last || std::fabs(snap.last.roller_rpm) < 0.5;
}

absl::Status Prefixed(const absl::Status& s, const char* what) {
  if (s.ok()) return s;
  return absl::Status(s.code(), absl::StrCat(what, ": ", s.message()));
}

}  // namespace

DeviceArming::DeviceArming(RunDevice* device, Clock* clock, ArmingTimeouts timeouts)
    : device_(device), clock_(clock), timeouts_(timeouts) {}

void DeviceArming::Sleep(absl::Duration d) {
  clock_->SleepUntil(clock_->NowNanos() + absl::ToInt64Nanoseconds(d));
}

bool DeviceArming::WaitUntil(absl::Duration timeout, const std::function<bool()>& done) {
  const int64_t deadline = clock_->NowNanos() + absl::ToInt64Nanoseconds(timeout);
  while (clock_->NowNanos() < deadline) {
    if (done()) return true;
    Sleep(timeouts_.poll);
  }
  return false;
}

absl::Status DeviceArming::ReleasePreloadAndTare() {
  const DeviceSnapshot snap = device_->Snapshot();
  if (snap.preload_n_target > 0 || (snap.have_last && snap.last.preload_cmd_n > 0.5)) {
    HostMessage release;
    release.mutable_set_preload()->set_newtons(0);
    if (absl::Status s = device_->Command(release); !s.ok()) return s;
    // Released when the force stops falling near zero (the old tare may be off by a few N).
    WaitUntil(timeouts_.preload_release, [&] {
      const DeviceSnapshot now = device_->Snapshot();
      return now.have_last && now.last.force_n < 3.0 && now.last.preload_cmd_n < 0.5;
    });
    Sleep(timeouts_.settle);  // let the actuator settle before zeroing
  }
  HostMessage tare;
  tare.mutable_tare();
  return Prefixed(device_->Command(tare), "tare");
}

absl::Status DeviceArming::Upload(uint64_t program_id,
                                  const std::vector<rollrig::v1::ProgramSegment>& program) {
  for (size_t first = 0; first < program.size(); first += kProgramPartSegments) {
    HostMessage part;
    auto* load = part.mutable_load_program();
    load->set_program_id(program_id);
    load->set_total_segments(static_cast<uint32_t>(program.size()));
    load->set_first_index(static_cast<uint32_t>(first));
    for (size_t i = first; i < std::min(program.size(), first + kProgramPartSegments); ++i) {
      *load->add_segments() = program[i];
    }
    if (absl::Status s = device_->Command(part); !s.ok()) return Prefixed(s, "upload");
  }
  return absl::OkStatus();
}

absl::Status DeviceArming::StartProgram(uint64_t program_id, uint32_t first_cycle,
                                        uint32_t cycles) {
  HostMessage start;
  auto* st = start.mutable_start_program();
  st->set_program_id(program_id);
  st->set_first_cycle(first_cycle);
  if (cycles > 0) st->set_cycles(cycles);
  return Prefixed(device_->Command(start), "start");
}

absl::Status DeviceArming::BringToRest() {
  const DeviceSnapshot snap = device_->Snapshot();
  const bool program = ProgramUnderWay(snap);
  if (!program && !Moving(snap)) return absl::OkStatus();
  if (snap.state == rollrig::v1::DEVICE_STATE_ACTIVE) {
    HostMessage m;
    if (program) {
      m.mutable_stop_program()->set_at_cycle_end(false);
    } else {
      m.mutable_stop();
    }
    (void)device_->Command(m);
  }
  bool lost = false;
  const bool at_rest = WaitUntil(timeouts_.rest, [&] {
    const DeviceSnapshot now = device_->Snapshot();
    lost = now.connection != rollrig::v1::CONNECTION_STATE_CONNECTED;
    return lost || (!Moving(now) && RollerStill(now));
  });
  if (lost) return absl::UnavailableError("the device was lost again");
  if (at_rest) return absl::OkStatus();
  return absl::DeadlineExceededError(absl::StrCat("the device did not come to rest within ",
                                                  absl::FormatDuration(timeouts_.rest)));
}

absl::Status DeviceArming::ClearFaults() {
  const int64_t deadline = clock_->NowNanos() + absl::ToInt64Nanoseconds(timeouts_.clear_faults);
  absl::Status cleared;
  do {
    HostMessage clear;
    clear.mutable_clear_faults();
    cleared = device_->Command(clear);
    if (cleared.ok() || absl::IsUnavailable(cleared)) break;
    Sleep(timeouts_.clear_retry);
  } while (clock_->NowNanos() < deadline);
  return cleared;
}

void DeviceArming::StopAndWaitForStandstill(absl::Duration timeout) {
  HostMessage stop;
  stop.mutable_stop_program()->set_at_cycle_end(false);
  (void)device_->Command(stop);
  WaitUntil(timeout, [&] { return RollerStill(device_->Snapshot()); });
}

}  // namespace rollrig::host
