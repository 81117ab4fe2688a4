// RunManager: a run whose device was lost (HELD), and the device's return: the outage
// timed, another device told apart, the run's device brought to rest, its watchdog fault
// cleared and the interrupted cycle restarted from its start (RESUME, or on ResumeRun).
// The hold timeout is the model's (Time() with the clock's host time, every tick).
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "enum_names.h"
#include "host/runs/run_manager.h"

namespace rollrig::host {

using rollrig::v1::RunState;

namespace {

// How long a returning device may take to show its first telemetry (its gap noted).
constexpr absl::Duration kGapWait = absl::Seconds(1);

// How long a run may stay HELD (RunSpec.hold_timeout_s; 0 = the model's default).
double HoldTimeoutS(const rollrig::v1::RunSpec& spec) {
  return run_model::RunRules::FromSpec(spec).hold_timeout_s;
}

uint32_t FaultBit(rollrig::v1::Fault f) { return 1u << static_cast<uint32_t>(f); }

double SecondsBetween(int64_t from_ns, int64_t to_ns) {
  return static_cast<double>(to_ns - from_ns) / 1e9;
}

}  // namespace

void RunManager::EnterHeld(const std::string& lost) {
  ActiveRun& run = *active_;
  run.held_since_ns = ClockNow();
  NoteDeviceGone();
  auto* p = run.info.mutable_progress();
  p->set_disconnects(p->disconnects() + 1);
  const uint32_t cycle = p->cycles_completed() + 1;
  const bool auto_resume = run.model->auto_resume();
  run.info.set_state(rollrig::v1::RUN_STATE_HELD);
  run.info.set_state_reason(absl::StrCat(
      lost, "; held until device ", run.info.device_serial(), " is back",
      auto_resume ? absl::StrCat(" (then cycle ", cycle, " restarts from its start)")
                  : absl::StrCat(" and the run is resumed (rigctl resume ", run.info.id(), ")")));
  SaveLocked();
  Publish(absl::StrFormat(
      "run %s held: %s; the device's watchdog stops its motors; waiting up to %g s for "
      "device %s, then %s",
      run.info.id(), lost, HoldTimeoutS(run.info.spec()), run.info.device_serial(),
      auto_resume ? absl::StrCat("restarting cycle ", cycle, " from its start")
                  : absl::StrCat("waiting for rigctl resume ", run.info.id(), " (or stop)")));
}

// The run's device is (again) away from now on.
void RunManager::NoteDeviceGone() {
  ActiveRun& run = *active_;
  run.device_gone = true;
  run.gone_since_ns = ClockNow();
  run.device_back_reported = false;
  run.gap_noted = false;
  run.foreign_serial_reported.clear();
}

void RunManager::StepHeld() {
  ActiveRun& run = *active_;
  // Nothing of the run's program runs: the model analyses nothing (a sample outside the
  // program would close the interrupted cycle as if it had ended).
  auto* p = run.info.mutable_progress();
  if (run.device_gone) {
    p->set_disconnected_s(run.disconnected_done_s + SecondsBetween(run.gone_since_ns, ClockNow()));
  }
  CheckRecorder();
  if (!active_ || active_->info.state() != rollrig::v1::RUN_STATE_HELD) return;
  Execute(run.model->Time(HostNow()));  // the hold timeout
  if (!active_ || active_->info.state() != rollrig::v1::RUN_STATE_HELD) return;
  const DeviceSnapshot snap = device_->Snapshot();
  if (snap.connection != rollrig::v1::CONNECTION_STATE_CONNECTED || !snap.info) {
    if (!run.device_gone) NoteDeviceGone();
    p->set_disconnected_s(run.disconnected_done_s + SecondsBetween(run.gone_since_ns, ClockNow()));
    SaveThrottled();
    return;
  }
  if (!HeldDeviceIsBack(snap)) return;
  if (!run.device_back_reported) ActOnDeviceBack();
}

// True when the connected device is the run's own (another one is announced once).
bool RunManager::HeldDeviceIsBack(const DeviceSnapshot& snap) {
  ActiveRun& run = *active_;
  if (snap.info->serial() != run.info.device_serial()) {
    if (run.foreign_serial_reported != snap.info->serial()) {
      run.foreign_serial_reported = snap.info->serial();
      Publish(absl::StrCat("run ", run.info.id(), " stays held: device ", snap.info->serial(),
                           " appeared on ", snap.transport, "; it is not the run's device ",
                           run.info.device_serial()));
    }
    return false;
  }
  if (run.device_gone) {
    run.device_gone = false;
    run.disconnected_done_s += SecondsBetween(run.gone_since_ns, ClockNow());
    run.info.mutable_progress()->set_disconnected_s(run.disconnected_done_s);
    run.back_since_ns = ClockNow();
  }
  return true;
}

// Once its first telemetry came (or kGapWait passed): the device at rest, the return
// announced, and with RESUME the cycle restarted.
void RunManager::ActOnDeviceBack() {
  ActiveRun& run = *active_;
  const int64_t now = ClockNow();
  if (!run.gap_noted && now - run.back_since_ns < absl::ToInt64Nanoseconds(kGapWait)) return;
  run.device_back_reported = true;
  // Whatever the device still does of the program (a short outage its watchdog did
  // not catch) stops now: a held run keeps the rig at rest.
  if (absl::Status s = arming_.BringToRest(); !s.ok()) {
    LogProblem(absl::StrCat("run ", run.info.id(), ": bringing the device to rest: ", s.message()));
  }
  const bool auto_resume = run.model->auto_resume();
  Publish(absl::StrFormat(
      "run %s: device %s is back (gone %.1f s)%s", run.info.id(), run.info.device_serial(),
      SecondsBetween(run.gone_since_ns, now),
      auto_resume ? absl::StrCat("; restarting cycle ", run.info.progress().cycles_completed() + 1,
                                 " from its start")
                  : absl::StrCat("; the run stays held until rigctl resume ", run.info.id(),
                                 " (or stop)")));
  SaveLocked();
  if (auto_resume) (void)RestartHeld("the device came back");
}

// What the run keeps of an event besides its rules: cycles done, and while HELD where its
// device is (the reconnect machine).
void RunManager::TrackDevice(const rollrig::v1::RigEvent& e) {
  ActiveRun& run = *active_;
  const rollrig::v1::DeviceEvent& d = e.device();
  if (e.kind() == rollrig::v1::RIG_EVENT_DEVICE &&
      d.kind() == rollrig::v1::DEVICE_EVENT_CYCLE_COMPLETED && d.program_id() == run.program_id) {
    run.info.mutable_progress()->set_cycles_completed(d.cycle());
  }
  if (run.info.state() != rollrig::v1::RUN_STATE_HELD) return;
  if (e.kind() == rollrig::v1::RIG_EVENT_DEVICE_GAP) run.gap_noted = true;
  if (e.kind() != rollrig::v1::RIG_EVENT_DISCONNECTED) return;
  // Whatever device was connected (another one may have come and gone while the run's own
  // was away), the next one back must show its own first telemetry before the run acts.
  run.gap_noted = false;
  if (run.device_gone) return;
  // Lost again after it came back: another outage of the same hold.
  if (run.device_back_reported) CountOutage();
  NoteDeviceGone();
}

void RunManager::CountOutage() {
  auto* p = active_->info.mutable_progress();
  p->set_disconnects(p->disconnects() + 1);
}

// Re-arms a HELD run on its own device and restarts the cycle the loss interrupted from
// its start (the firmware ramps from standstill; no setpoint of before is sent again).
// On failure the run stays HELD when the device is gone again, else ends FAULTED.
absl::Status RunManager::RestartHeld(const std::string& why) {
  if (absl::Status s = CheckRunDeviceConnected(); !s.ok()) return s;
  ActiveRun& run = *active_;
  if (run.device_gone) {
    run.device_gone = false;
    run.disconnected_done_s += SecondsBetween(run.gone_since_ns, ClockNow());
    run.info.mutable_progress()->set_disconnected_s(run.disconnected_done_s);
  }
  const int64_t restart_began_ns = ClockNow();
  const uint32_t total = run.info.spec().cycles();
  if (total > 0 && run.info.progress().cycles_completed() >= total) {
    // Lost after its last cycle completed: nothing is left to run.
    EndHeld(rollrig::v1::RUN_STATE_COMPLETED, "");
    return absl::OkStatus();
  }
  if (absl::Status s = arming_.BringToRest(); !s.ok()) return FailRestart(s);
  if (absl::Status s = ClearWatchdogFault(); !s.ok()) return s;
  return ReArm(why, restart_began_ns);
}

absl::Status RunManager::CheckRunDeviceConnected() const {
  const ActiveRun& run = *active_;
  const DeviceSnapshot snap = device_->Snapshot();
  if (snap.connection != rollrig::v1::CONNECTION_STATE_CONNECTED || !snap.info) {
    return absl::FailedPreconditionError(absl::StrCat(
        "run ", run.info.id(), " stays held: its device ", run.info.device_serial(),
        " is not connected (", snap.transport, snap.detail.empty() ? "" : ": ", snap.detail, ")"));
  }
  if (snap.info->serial() != run.info.device_serial()) {
    return absl::FailedPreconditionError(
        absl::StrCat("run ", run.info.id(), " stays held: the connected device is ",
                     snap.info->serial(), ", not the run's device ", run.info.device_serial()));
  }
  return absl::OkStatus();
}

// The watchdog latched because rigd was gone; clearing it is what rigd would ask of an
// operator. Any other fault ends the run FAULTED (existing rules).
absl::Status RunManager::ClearWatchdogFault() {
  const uint32_t faults = device_->Snapshot().faults;
  if ((faults & ~FaultBit(rollrig::v1::FAULT_WATCHDOG)) != 0) {
    std::vector<std::string> names = rollrig::v1::FaultDisplayNames(faults);
    const std::string reason =
        absl::StrCat("device fault while held: ", absl::StrJoin(names, ", "));
    EndHeld(rollrig::v1::RUN_STATE_FAULTED, reason);
    return absl::FailedPreconditionError(reason);
  }
  if (faults == 0) return absl::OkStatus();
  absl::Status cleared = arming_.ClearFaults();
  if (cleared.ok()) return cleared;
  return FailRestart(absl::Status(
      cleared.code(), absl::StrCat("clearing the watchdog fault: ", cleared.message())));
}

absl::Status RunManager::ReArm(const std::string& why, int64_t restart_began_ns) {
  ActiveRun& run = *active_;
  // The model drops the interrupted cycle at the re-arming event published below.
  run.first_cycle = run.info.progress().cycles_completed() + 1;
  run.restarting = true;
  run.info.set_state(rollrig::v1::RUN_STATE_ARMING);
  run.info.mutable_progress()->set_cycle(run.first_cycle);
  run.info.mutable_progress()->set_segment(-1);
  SaveLocked();
  Publish(absl::StrCat("run ", run.info.id(), " re-arming (", why, "): cycle ", run.first_cycle,
                       " restarts from its start"));
  if (absl::Status s = ArmDevice(run); !s.ok()) return FailRestart(s);
  run.restarting = false;
  run.info.set_state(rollrig::v1::RUN_STATE_RUNNING);
  run.info.set_state_reason("");
  SaveLocked();
  const int64_t now = ClockNow();
  Publish(absl::StrFormat(
      "run %s running again from the start of cycle %u (held %.1f s, re-armed in %.1f s)",
      run.info.id(), run.first_cycle, SecondsBetween(run.held_since_ns, now),
      SecondsBetween(restart_began_ns, now)));
  return absl::OkStatus();
}

// A restart that failed: HELD again if the device is gone again, else FAULTED.
absl::Status RunManager::FailRestart(const absl::Status& s) {
  ActiveRun& run = *active_;
  run.restarting = false;
  if (device_->Snapshot().connection != rollrig::v1::CONNECTION_STATE_CONNECTED) {
    run.info.set_state(rollrig::v1::RUN_STATE_HELD);
    run.device_back_reported = false;
    SaveLocked();
    Publish(absl::StrCat("run ", run.info.id(), " held again: re-arming failed: ", s.message()));
    return s;
  }
  const std::string reason =
      absl::StrCat("could not restart after the device came back: ", s.message());
  EndHeld(rollrig::v1::RUN_STATE_FAULTED, reason);
  return absl::Status(s.code(), reason);
}

// Ends a HELD run the way rigd decided (a restart that failed, a fault found when the
// device came back, nothing left to run): as an event of the run, the one the recording's
// end carries, so a replay ends it the same way.
void RunManager::EndHeld(RunState state, const std::string& reason) {
  ActiveRun& run = *active_;
  rollrig::v1::RigEvent e;
  e.set_kind(rollrig::v1::RIG_EVENT_RUN_STATE);
  e.set_run_id(run.info.id());
  e.set_run_state(state);
  e.set_message(absl::StrCat("run ", run.info.id(), " ", rollrig::v1::RunStateDisplayName(state),
                             ": ",
                             reason.empty() ? rollrig::v1::RunStateDisplayName(state) : reason));
  Execute(run.model->Event(e));
}

}  // namespace rollrig::host
