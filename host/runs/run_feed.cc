// RunManager: every tick, the run's new samples and events into its model (host/run_model),
// in the order they arrived, and the model's effects executed (limit notes, stops, HELD,
// the run's end).
#include <cmath>

#include "absl/strings/str_cat.h"
#include "host/run_model/limit_event.h"
#include "host/run_model/run_progress.h"
#include "host/runs/run_manager.h"

namespace rollrig::host {

using rollrig::v1::HostMessage;

bool RunManager::StillActive() const {
  return active_ && rollrig::v1::RunIsActive(active_->info.state());
}

void RunManager::Step() {
  if (!StillActive() || !active_->telemetry) return;
  FeedNewInput();
  if (!StillActive()) return;
  if (active_->info.state() == rollrig::v1::RUN_STATE_HELD) {
    StepHeld();
    return;
  }
  ActiveRun& run = *active_;
  UpdateProgress();
  SaveNewCycles();
  CheckRecorder();
  if (!StillActive()) return;
  // A stop whose finish never comes (device gone, program already ended): the model
  // closes it.
  Execute(run.model->Time(HostNow()));
  if (!StillActive()) return;
  SaveThrottled();
}

// Where the run is, from the samples just fed.
void RunManager::UpdateProgress() {
  ActiveRun& run = *active_;
  if (run.buffer.empty()) return;
  const RunAnalyzer& analyzer = run.model->analyzer();
  const Sample& last = run.buffer.back();
  auto* p = run.info.mutable_progress();
  p->set_segment(last.segment);
  if (last.cycle > 0) p->set_cycle(last.cycle);
  p->set_segment_label(last.segment >= 0 &&
                               static_cast<size_t>(last.segment) < run.profile->segments.size()
                           ? run.profile->segments[last.segment].label
                           : "");
  p->set_torque_nm(last.torque_nm);
  p->set_force_n(last.force_n);
  p->set_violations(analyzer.violations());
  // Times and ETA (paused and held time left out), and the verdict so far a resume needs.
  run_model::NoteRunProgress(*run.model, run.info.spec(), run.profile->cycle_s, p);
  *run.info.mutable_judged() = analyzer.Verdict();
  if (!analyzer.cycles().empty()) *run.info.mutable_last_cycle() = analyzer.cycles().back();
}

// Drains what arrived since the last call, records it, and feeds it to the run model in
// the order it arrived (host time), executing the model's effects.
void RunManager::FeedNewInput() {
  ActiveRun& run = *active_;
  run.buffer.clear();
  run.telemetry->Drain(&run.buffer);
  run.event_buffer.clear();
  run.events->Drain(&run.event_buffer);
  AnnounceAnalysisDrops();
  RecordSamples();
  for (const auto& e : run.event_buffer) RecordEvent(e);
  size_t next_sample = 0;
  for (const auto& e : run.event_buffer) {
    while (next_sample < run.buffer.size() &&
           run.buffer[next_sample].host_time_ns < e.host_time_ns()) {
      if (!FeedSample(run.buffer[next_sample++])) return;
    }
    if (!FeedEvent(e)) return;
  }
  while (next_sample < run.buffer.size()) {
    if (!FeedSample(run.buffer[next_sample++])) return;
  }
}

// If the run thread fell so far behind that its subscription had to drop samples, they
// are announced as lost (the event comes back here and the model counts it): never
// silently unanalysed.
void RunManager::AnnounceAnalysisDrops() {
  ActiveRun& run = *active_;
  const uint64_t dropped = run.telemetry->dropped();
  if (dropped <= run.analysis_dropped) return;
  const uint64_t lost = dropped - run.analysis_dropped;
  run.analysis_dropped = dropped;
  rollrig::v1::RigEvent e;
  e.set_kind(rollrig::v1::RIG_EVENT_TELEMETRY_GAP);
  e.set_run_id(run.info.id());
  e.set_gap_samples(lost);
  e.set_message(absl::StrCat("run analysis fell behind: ", lost,
                             " samples were not analysed (counted as lost)"));
  device_->events().Publish(std::move(e));
}

// False once the run has ended.
bool RunManager::FeedSample(const Sample& s) {
  ActiveRun& run = *active_;
  Execute(run.model->Time(s.host_time_ns));
  if (!StillActive()) return false;
  Execute(run.model->Sample(s));
  return StillActive();
}

bool RunManager::FeedEvent(const rollrig::v1::RigEvent& e) {
  ActiveRun& run = *active_;
  TrackDevice(e);
  Execute(run.model->Time(e.host_time_ns()));
  if (!StillActive()) return false;
  Execute(run.model->Event(e));
  return StillActive();
}

// Does what the model asks.
void RunManager::Execute(const run_model::RunEffects& fx) {
  if (!active_) return;
  ActiveRun& run = *active_;
  for (const rollrig::v1::LimitResult& v : fx.limit_notes) {
    device_->events().Publish(run_model::LimitEvent(run.info.id(), v));
  }
  if (fx.stop_program || fx.stop_at_cycle_end) {
    HostMessage m;
    m.mutable_stop_program()->set_at_cycle_end(!fx.stop_program);
    if (absl::Status s = run_device_.Command(m); !s.ok()) {
      LogProblem(absl::StrCat("run ", run.info.id(), ": stopping the program: ", s.message()));
    }
  }
  if (fx.state == rollrig::v1::RUN_STATE_HELD) EnterHeld(fx.state_reason);
  if (fx.end) Finish(*fx.end);
}

void RunManager::Finish(const run_model::RunEnd& end) {
  ActiveRun& run = *active_;
  const RunAnalyzer& analyzer = run.model->analyzer();
  SaveNewCycles();
  *run.info.mutable_verdict() = end.verdict;
  if (!analyzer.cycles().empty()) *run.info.mutable_last_cycle() = analyzer.cycles().back();
  run.info.mutable_progress()->set_violations(analyzer.violations());
  run.info.mutable_progress()->set_eta_s(0);
  run.info.set_state(end.state);
  run.info.set_state_reason(end.reason);
  run.info.set_ended_unix_ns(HostNow());
  FinishRecording(end.state, run.info.state_reason());
  device_->telemetry().Unsubscribe(run.telemetry);
  device_->events().Unsubscribe(run.events);
  SaveLocked();
  const std::string verdict = rollrig::v1::VerdictDisplayName(run.info.verdict().verdict());
  Publish(absl::StrCat("run ", run.info.id(), " ", rollrig::v1::RunStateDisplayName(end.state),
                       ": ", verdict, " ", run.info.verdict().reason()));
}

void RunManager::Publish(const std::string& message) {
  rollrig::v1::RigEvent e;
  e.set_kind(rollrig::v1::RIG_EVENT_RUN_STATE);
  e.set_run_id(active_->info.id());
  e.set_run_state(active_->info.state());
  e.set_message(message);
  device_->events().Publish(std::move(e));
}

}  // namespace rollrig::host
