#include "host/run_model/run_model.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "enum_names.h"
#include "host/run_model/verdict_line.h"

namespace rollrig::run_model {

namespace v1 = rollrig::v1;

namespace {

constexpr int kRankDevice = 0;
constexpr int kRankGap = 1;
constexpr int kRankRequest = 2;

// Why the device aborted the program, from the device's own words (its event), so every
// driver of the model says the same.
std::string DeviceAbortReason(const v1::DeviceEvent& d) {
  std::string reason = "the device aborted the program";
  if (d.cycle() > 0) absl::StrAppend(&reason, " in cycle ", d.cycle());
  if (!d.detail().empty()) absl::StrAppend(&reason, ": ", d.detail());
  return reason;
}

// rigd's own event for the end of the run.
bool IsOwnEnd(const v1::RigEvent& e) {
  return e.kind() == v1::RIG_EVENT_RUN_STATE && e.who().empty() && v1::RunIsFinal(e.run_state());
}

// The reason in rigd's own run-state message "run ID STATE: REASON".
std::string ReasonOf(const v1::RigEvent& e) {
  const std::string& m = e.message();
  const size_t colon = m.find(": ");
  return colon == std::string::npos ? m : m.substr(colon + 2);
}

}  // namespace

std::string LostDeviceReason(const std::string& message) {
  return absl::StartsWith(message, "device lost") ? message
                                                  : absl::StrCat("device lost: ", message);
}

RunRules RunRules::FromSpec(const v1::RunSpec& spec) {
  RunRules rules;
  rules.cycles = spec.cycles();
  rules.duration_s = spec.duration_s();
  if (spec.on_disconnect() != v1::DISCONNECT_POLICY_UNSPECIFIED) {
    rules.on_disconnect = spec.on_disconnect();
  }
  if (spec.hold_timeout_s() > 0) rules.hold_timeout_s = spec.hold_timeout_s();
  return rules;
}

RunModel::RunModel(std::unique_ptr<host::RunAnalyzer> analyzer, RunRules rules)
    : analyzer_(std::move(analyzer)),
      rules_(std::move(rules)),
      phase_(rules_.expect_program_start ? Phase::kArming : Phase::kRunning) {}

double RunModel::last_t_s() const { return analyzer_->run_time_s(last_time_us_); }

double RunModel::analysed_span_s() const {
  return have_analysed_ ? static_cast<double>(last_time_us_ - first_time_us_) / 1e6 : 0.0;
}

void RunModel::Stamp(v1::RigEvent* request) const {
  if (have_position_) request->set_sample_seq(next_seq_);
}

// ---- Inputs ----

RunEffects RunModel::Sample(const host::Sample& s) {
  RunEffects fx;
  if (ended()) return fx;
  have_position_ = true;
  ApplyPendingUpTo(s.seq, &fx);
  next_seq_ = s.seq + 1;
  if (ended() || phase_ != Phase::kRunning) return fx;
  if (awaiting_program_) {
    if (s.segment < 0) return fx;  // arming, at rest: not the run yet
    awaiting_program_ = false;
  }
  analyzer_->AddSample(s);
  if (!have_analysed_) first_time_us_ = s.time_us;
  have_analysed_ = true;
  last_time_us_ = s.time_us;
  ++samples_analysed_;
  AfterSample(&fx);
  ApplyPendingUpTo(next_seq_, &fx);
  return fx;
}

RunEffects RunModel::Event(const v1::RigEvent& e) {
  RunEffects fx;
  if (ended()) return fx;
  if (e.host_time_ns() > now_ns_) now_ns_ = e.host_time_ns();
  switch (e.kind()) {
    case v1::RIG_EVENT_DEVICE:
      Place(e, e.device().sample_seq(), kRankDevice);
      break;
    case v1::RIG_EVENT_TELEMETRY_GAP:
      // The analysis's own gap (run_id set: rigd fell behind) is where the run is now.
      if (e.run_id().empty()) {
        Place(e, e.gap_first_seq(), kRankGap);
      } else {
        ApplyPendingUpTo(next_seq_, &fx);
        Apply(e, &fx);
      }
      break;
    case v1::RIG_EVENT_RUN_STATE:
      if (!e.who().empty() && e.sample_seq() > 0) {
        Place(e, e.sample_seq(), kRankRequest);
        break;
      }
      [[fallthrough]];
    default:
      // Everything else happens at its time: after every event its samples reached.
      if (e.kind() == v1::RIG_EVENT_DISCONNECTED || IsOwnEnd(e)) {
        // The device is gone, or rigd ended the run: nothing of it comes any more.
        ApplyPendingAll(&fx);
      } else {
        ApplyPendingUpTo(next_seq_, &fx);
      }
      if (!ended()) Apply(e, &fx);
      break;
  }
  if (!ended()) ApplyPendingUpTo(next_seq_, &fx);
  return fx;
}

RunEffects RunModel::Time(int64_t now_ns) {
  RunEffects fx;
  if (ended()) return fx;
  if (now_ns > now_ns_) now_ns_ = now_ns;
  const double since_stop_s = static_cast<double>(now_ns_ - stop_at_ns_) / 1e9;
  if (stopping_ && phase_ != Phase::kHeld && since_stop_s > rules_.finish_timeout_s) {
    End(end_state_ == v1::RUN_STATE_COMPLETED ? v1::RUN_STATE_ABORTED : end_state_,
        stop_reason_ + " (the device did not report the end of the program)", &fx);
    return fx;
  }
  const double held_s = static_cast<double>(now_ns_ - held_since_ns_) / 1e9;
  if (phase_ == Phase::kHeld && held_s > rules_.hold_timeout_s) {
    const std::string reason =
        device_gone_
            ? absl::StrFormat("device lost for longer than the hold timeout (%g s)",
                              rules_.hold_timeout_s)
            : absl::StrFormat("held for longer than the hold timeout (%g s) without being resumed",
                              rules_.hold_timeout_s);
    analyzer_->NoteStopped(reason, last_t_s());
    End(v1::RUN_STATE_FAULTED, reason, &fx);
  }
  return fx;
}

RunEffects RunModel::RecorderFailed(const std::string& reason, int64_t now_ns) {
  RunEffects fx;
  if (ended()) return fx;
  if (now_ns > now_ns_) now_ns_ = now_ns;
  if (phase_ == Phase::kHeld) {
    analyzer_->NoteStopped(reason, last_t_s());
    End(v1::RUN_STATE_FAULTED, reason, &fx);
  } else if (!stopping_) {
    analyzer_->NoteStopped(reason, last_t_s());
    BeginStop(v1::RUN_STATE_FAULTED, reason, /*send=*/true, &fx);
  }
  return fx;
}

RunEffects RunModel::Abandon(const std::string& reason) {
  RunEffects fx;
  if (ended()) return fx;
  analyzer_->NoteStopped(reason, last_t_s());
  End(v1::RUN_STATE_ABORTED, reason, &fx);
  return fx;
}

RunEffects RunModel::Interrupt(v1::RunState state, const std::string& reason) {
  RunEffects fx;
  if (!ended()) End(state, reason, &fx);
  return fx;
}

RunEffects RunModel::Finish() {
  RunEffects fx;
  if (ended()) return fx;
  ApplyPendingAll(&fx);
  if (!ended()) End(v1::RUN_STATE_UNSPECIFIED, "", &fx);
  return fx;
}

// ---- Where events go in the sample stream ----

void RunModel::Place(const v1::RigEvent& e, uint64_t seq, int rank) {
  auto after =
      std::upper_bound(pending_.begin(), pending_.end(), std::make_pair(seq, rank),
                       [](const std::pair<uint64_t, int>& key, const Pending& p) {
                         return key.first != p.seq ? key.first < p.seq : key.second < p.rank;
                       });
  pending_.insert(after, Pending{e, seq, rank});
}

void RunModel::ApplyPendingUpTo(uint64_t seq, RunEffects* fx) {
  if (!have_position_) return;  // before the first sample nothing is placed yet
  size_t applied = 0;
  while (applied < pending_.size() && pending_[applied].seq <= seq && !ended()) {
    Apply(pending_[applied].event, fx);
    ++applied;
  }
  if (ended()) applied = pending_.size();
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(applied));
}

void RunModel::ApplyPendingAll(RunEffects* fx) {
  std::vector<Pending> all;
  all.swap(pending_);
  for (const Pending& p : all) {
    if (ended()) return;
    Apply(p.event, fx);
  }
}

// ---- The rules ----

void RunModel::Apply(const v1::RigEvent& e, RunEffects* fx) {
  if (phase_ == Phase::kHeld) {
    ApplyWhileHeld(e, fx);
    return;
  }
  switch (e.kind()) {
    case v1::RIG_EVENT_TELEMETRY_GAP:
    case v1::RIG_EVENT_DEVICE_GAP:
      analyzer_->NoteGap(e.gap_first_seq(), e.gap_samples(), last_t_s());
      break;
    case v1::RIG_EVENT_DISCONNECTED:
      DeviceLost(e, fx);
      break;
    case v1::RIG_EVENT_ESTOP_REQUESTED:
      // Who pressed it and why (bounded by the service): the verdict names them.
      estop_request_ = e.message();
      analyzer_->NoteEStopRequest(e.who(), e.reason());
      break;
    case v1::RIG_EVENT_RUN_STATE:
      ApplyRunState(e, fx);
      break;
    case v1::RIG_EVENT_DEVICE:
      ApplyDevice(e, fx);
      break;
    default:
      break;
  }
}

void RunModel::ApplyDevice(const v1::RigEvent& e, RunEffects* fx) {
  const v1::DeviceEvent& d = e.device();
  switch (d.kind()) {
    case v1::DEVICE_EVENT_PROGRAM_STARTED:
      if (phase_ == Phase::kArming) ProgramStarted(d.program_id());
      break;
    case v1::DEVICE_EVENT_FAULT_RAISED:
      analyzer_->NoteFault(d.fault(), d.value(), last_t_s());
      if (!fault_seen_) {
        fault_seen_ = true;
        std::string reason = absl::StrCat("device fault: ", v1::FaultDisplayName(d.fault()));
        // The e-stop rigd was asked for names who asked and why.
        if (d.fault() == v1::FAULT_ESTOP_SOFTWARE && !estop_request_.empty()) {
          absl::StrAppend(&reason, " (", estop_request_, ")");
        }
        // The device stops by itself (stop category 1); the program's end is awaited.
        BeginStop(v1::RUN_STATE_FAULTED, reason, /*send=*/false, fx);
      }
      break;
    case v1::DEVICE_EVENT_CYCLE_COMPLETED:
      if (Ours(d)) cycles_completed_ = d.cycle();
      break;
    case v1::DEVICE_EVENT_PROGRAM_PAUSED:
    case v1::DEVICE_EVENT_PROGRAM_RESUMED:
      if (Ours(d)) analyzer_->SetPaused(d.kind() == v1::DEVICE_EVENT_PROGRAM_PAUSED);
      break;
    case v1::DEVICE_EVENT_PROGRAM_FINISHED:
      if (!Ours(d)) break;
      analyzer_->NoteProgramFinished();
      End(end_state_, stop_reason_, fx);
      break;
    case v1::DEVICE_EVENT_PROGRAM_ABORTED:
      if (!Ours(d)) break;
      if (!fault_seen_ && end_state_ == v1::RUN_STATE_COMPLETED) {
        const std::string reason = DeviceAbortReason(d);
        analyzer_->NoteStopped(reason, last_t_s());
        End(v1::RUN_STATE_FAULTED, reason, fx);
      } else {
        End(end_state_, stop_reason_, fx);
      }
      break;
    default:
      break;
  }
}

void RunModel::ApplyRunState(const v1::RigEvent& e, RunEffects* fx) {
  if (!e.who().empty()) {
    if (e.run_state() == v1::RUN_STATE_ABORTED) StopBy(e.who(), fx);
    return;
  }
  // rigd's own states.
  if (e.run_state() == v1::RUN_STATE_PAUSED) paused_ = true;
  if (e.run_state() == v1::RUN_STATE_RUNNING) paused_ = false;
  // An end rigd decided alone (it shut down, arming failed): nothing is noted.
  if (v1::RunIsFinal(e.run_state())) End(e.run_state(), ReasonOf(e), fx);
}

void RunModel::StopBy(const std::string& who, RunEffects* fx) {
  if (stopping_) return;
  const std::string reason = absl::StrCat("stopped by ", who);
  analyzer_->NoteStopped(reason, last_t_s());
  BeginStop(v1::RUN_STATE_ABORTED, reason, /*send=*/true, fx);
}

void RunModel::BeginStop(v1::RunState end_state, const std::string& reason, bool send,
                         RunEffects* fx) {
  stopping_ = true;
  stop_at_ns_ = now_ns_;
  end_state_ = end_state;
  stop_reason_ = reason;
  fx->stop_program = fx->stop_program || send;
}

void RunModel::DeviceLost(const v1::RigEvent& e, RunEffects* fx) {
  const std::string lost = LostDeviceReason(e.message());
  if (stopping_) {
    // Already ending (a person, a limit, a fault): end now, the device stops itself.
    End(end_state_ == v1::RUN_STATE_COMPLETED ? v1::RUN_STATE_ABORTED : end_state_,
        absl::StrCat(stop_reason_, " (", lost, " before the end of the program)"), fx);
    return;
  }
  if (rules_.on_disconnect == v1::DISCONNECT_POLICY_ABORT) {
    analyzer_->NoteStopped(lost, last_t_s());
    End(v1::RUN_STATE_FAULTED, lost, fx);
    return;
  }
  phase_ = Phase::kHeld;
  ++holds_;
  held_since_ns_ = now_ns_;
  device_gone_ = true;
  auto_resume_ = rules_.on_disconnect == v1::DISCONNECT_POLICY_RESUME && !paused_;
  fx->state = v1::RUN_STATE_HELD;
  fx->state_reason = lost;
}

// HELD: the samples are not the run's; the device's gap, its faults, rigd's re-arming
// and how the run ended while held are.
void RunModel::ApplyWhileHeld(const v1::RigEvent& e, RunEffects* fx) {
  switch (e.kind()) {
    case v1::RIG_EVENT_DEVICE_GAP:
      analyzer_->NoteGap(e.gap_first_seq(), e.gap_samples(), last_t_s());
      break;
    case v1::RIG_EVENT_DISCONNECTED:
      device_gone_ = true;
      break;
    case v1::RIG_EVENT_CONNECTED:
      device_gone_ = false;
      break;
    case v1::RIG_EVENT_RUN_STATE:
      ApplyRunStateWhileHeld(e, fx);
      break;
    case v1::RIG_EVENT_DEVICE: {
      const v1::DeviceEvent& d = e.device();
      if (d.kind() == v1::DEVICE_EVENT_FAULT_RAISED && d.fault() != v1::FAULT_WATCHDOG) {
        // The watchdog's fault is the device making itself safe because rigd was gone.
        analyzer_->NoteFault(d.fault(), d.value(), last_t_s());
        End(v1::RUN_STATE_FAULTED,
            absl::StrCat("device fault while held: ", v1::FaultDisplayName(d.fault())), fx);
      } else if (d.kind() == v1::DEVICE_EVENT_PROGRAM_STARTED) {
        ProgramStarted(d.program_id());
      }
      break;
    }
    default:
      break;
  }
}

void RunModel::ApplyRunStateWhileHeld(const v1::RigEvent& e, RunEffects* fx) {
  if (!e.who().empty()) {
    if (e.run_state() == v1::RUN_STATE_ABORTED) {
      const std::string reason = absl::StrCat("stopped by ", e.who(), " while held");
      analyzer_->NoteStopped(reason, last_t_s());
      End(v1::RUN_STATE_ABORTED, reason, fx);
    }
    return;
  }
  if (e.run_state() == v1::RUN_STATE_ARMING) {
    // rigd re-arms: the interrupted cycle restarts from its start.
    analyzer_->DiscardOpenCycle();
    device_gone_ = false;
    return;
  }
  if (!v1::RunIsFinal(e.run_state())) return;
  // How rigd ended the run while held: a cycle count reached before the loss, a restart
  // that failed, a fault found when the device came back.
  switch (e.run_state()) {
    case v1::RUN_STATE_COMPLETED:
      analyzer_->NoteProgramFinished();
      End(v1::RUN_STATE_COMPLETED, "", fx);
      break;
    case v1::RUN_STATE_ABORTED:
    case v1::RUN_STATE_FAULTED:
      analyzer_->NoteStopped(ReasonOf(e), last_t_s());
      End(e.run_state(), ReasonOf(e), fx);
      break;
    default:
      End(e.run_state(), ReasonOf(e), fx);  // INTERRUPTED: rigd shut down
      break;
  }
}

void RunModel::ProgramStarted(uint64_t program_id) {
  if (phase_ == Phase::kHeld) analyzer_->DiscardOpenCycle();
  analyzer_->SetPaused(false);
  program_id_ = program_id;
  phase_ = Phase::kRunning;
  awaiting_program_ = true;
  stopping_ = false;
  duration_stop_sent_ = false;
}

bool RunModel::Ours(const v1::DeviceEvent& d) const {
  return !program_id_ || d.program_id() == *program_id_;
}

void RunModel::AfterSample(RunEffects* fx) {
  for (v1::LimitResult& r : analyzer_->TakeNewViolations()) fx->limit_notes.push_back(std::move(r));
  if (analyzer_->abort_requested() && !stopping_) {
    const v1::LimitResult* cause = analyzer_->abort_cause();
    BeginStop(v1::RUN_STATE_ABORTED,
              cause ? absl::StrCat("limit ", cause->name(), ": ", cause->reason()) : "abort limit",
              /*send=*/true, fx);
  }
  if (rules_.cycles == 0 && rules_.duration_s > 0 && !duration_stop_sent_ &&
      analyzer_->active_s() >= rules_.duration_s) {
    duration_stop_sent_ = true;
    fx->stop_at_cycle_end = true;
  }
}

void RunModel::End(v1::RunState state, const std::string& reason, RunEffects* fx) {
  analyzer_->Finish(last_t_s());
  for (v1::LimitResult& r : analyzer_->TakeNewViolations()) fx->limit_notes.push_back(std::move(r));
  RunEnd end;
  end.state = state;
  end.reason = reason.empty() && state != v1::RUN_STATE_UNSPECIFIED ? v1::RunStateDisplayName(state)
                                                                    : reason;
  end.verdict = analyzer_->Verdict();
  end_ = end;
  fx->end = std::move(end);
  pending_.clear();
}

}  // namespace rollrig::run_model
