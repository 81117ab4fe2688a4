#include "host/runs/run_resumption.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "enum_names.h"
#include "host/run_model/run_so_far.h"
#include "host/run_model/verdict_line.h"

namespace rollrig::host {
namespace {

namespace v1 = rollrig::v1;

std::string ResumeHint(const std::string& id) {
  return absl::StrCat("resume it with rigctl run --resume ", id);
}

// Why `run` cannot go on, or OK.
absl::Status CheckResumable(const v1::RunInfo& run, const RunSoFar& so_far,
                            const std::string& serial) {
  if (!run.resumed_by().empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("run ", run.id(), " was already resumed as ", run.resumed_by()));
  }
  if (run.state() != v1::RUN_STATE_INTERRUPTED) {
    return absl::FailedPreconditionError(absl::StrCat("run ", run.id(),
                                                      " is not interrupted (it is ",
                                                      rollrig::v1::RunStateDisplayName(run.state()),
                                                      "); only an interrupted run can be resumed"));
  }
  for (const v1::LimitResult& r : so_far.limits) {
    if (r.outcome() == v1::VERDICT_ABORTED) {
      return absl::FailedPreconditionError(absl::StrCat(
          "run ", run.id(), " cannot go on: ", r.name(), " had aborted it (", r.reason(), ")"));
    }
  }
  const v1::RunSpec& spec = run.spec();
  if (spec.cycles() > 0 && run_model::NextCycle(so_far) > spec.cycles()) {
    return absl::FailedPreconditionError(
        absl::StrCat("run ", run.id(), " had completed all ", spec.cycles(), " cycles"));
  }
  if (spec.cycles() == 0 && spec.duration_s() > 0 && so_far.active_s >= spec.duration_s()) {
    return absl::FailedPreconditionError(
        absl::StrCat("run ", run.id(), " had already run its duration"));
  }
  if (!run.device_serial().empty() && run.device_serial() != serial) {
    return absl::FailedPreconditionError(absl::StrCat("run ", run.id(), " ran on device ",
                                                      run.device_serial(), "; device ", serial,
                                                      " is connected"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string GapText(double seconds) {
  if (seconds < 60) return absl::StrFormat("%.1f s", seconds);
  const int64_t s = static_cast<int64_t>(seconds);
  if (s < 3600) return absl::StrFormat("%d min %d s", s / 60, s % 60);
  return absl::StrFormat("%d h %d min", s / 3600, (s % 3600) / 60);
}

void MarkInterrupted(int64_t last_known_ns, int64_t now_ns, v1::RunInfo* run) {
  run->set_state(v1::RUN_STATE_INTERRUPTED);
  run->set_state_reason(absl::StrCat("rigd stopped while the run was active (crash or power cut); ",
                                     ResumeHint(run->id())));
  if (run->ended_unix_ns() == 0) run->set_ended_unix_ns(last_known_ns > 0 ? last_known_ns : now_ns);
}

absl::StatusOr<Resumption> LoadResumption(const RunStore& store, const std::string& id,
                                          const std::string& serial) {
  absl::StatusOr<v1::RunInfo> run = store.Load(id);
  if (!run.ok()) return run.status();
  absl::StatusOr<std::vector<v1::CycleStats>> cycles = store.LoadCycles(id);
  if (!cycles.ok()) return cycles.status();
  Resumption r;
  r.so_far = run_model::RunSoFarFromRecord(*run, *std::move(cycles));
  if (absl::Status s = CheckResumable(*run, r.so_far, serial); !s.ok()) return s;
  r.first_cycle = run_model::NextCycle(r.so_far);
  r.run = *std::move(run);
  return r;
}

void ContinueRecord(const Resumption& r, int64_t now_ns, v1::RunInfo* info) {
  v1::RunInfo next = r.run;
  // What the device and this rigd say now.
  next.set_host_version(info->host_version());
  next.set_firmware_version(info->firmware_version());
  next.set_state(v1::RUN_STATE_ARMING);
  // The verdict is the run's, given at its end; until then the verdict so far.
  if (next.verdict().limits_size() > 0) *next.mutable_judged() = next.verdict();
  next.clear_verdict();
  next.clear_last_cycle();
  if (!r.so_far.cycles.empty()) *next.mutable_last_cycle() = r.so_far.cycles.back();

  v1::RunInterruption* gap = next.add_interruptions();
  gap->set_start_unix_ns(r.run.ended_unix_ns() > 0 ? r.run.ended_unix_ns() : now_ns);
  gap->set_end_unix_ns(now_ns);
  gap->set_duration_s(static_cast<double>(now_ns - gap->start_unix_ns()) / 1e9);
  const std::string& why = r.run.state_reason();
  gap->set_reason(why.substr(0, why.find("; resume it with")));
  gap->set_cycle(r.first_cycle);
  gap->set_first_recording(static_cast<uint32_t>(next.recordings_size()));
  gap->set_run_time_s(r.so_far.run_time_s);
  next.set_state_reason("");
  next.set_ended_unix_ns(0);

  v1::RunProgress* p = next.mutable_progress();
  p->set_cycle(r.first_cycle);
  p->set_cycles_completed(r.first_cycle - 1);
  p->set_segment(-1);
  p->set_segment_label("");
  p->set_eta_s(-1);
  p->set_interruptions(static_cast<uint32_t>(next.interruptions_size()));
  *info = std::move(next);
}

void NoteEarlierRecordings(const v1::RunInfo& info, recorder::RecordingStart* start) {
  start->part = static_cast<uint32_t>(info.interruptions_size()) + 1;
  start->earlier_files.assign(info.recordings().begin(), info.recordings().end());
}

v1::RigEvent InterruptionEvent(const v1::RunInfo& info) {
  v1::RigEvent e;
  e.set_kind(v1::RIG_EVENT_RUN_STATE);
  e.set_run_id(info.id());
  e.set_run_state(v1::RUN_STATE_ARMING);
  if (info.interruptions_size() == 0) return e;
  const v1::RunInterruption& gap = info.interruptions(info.interruptions_size() - 1);
  e.set_host_time_ns(gap.end_unix_ns());
  e.set_gap_ns(gap.end_unix_ns() - gap.start_unix_ns());
  e.set_message(absl::StrCat("run ", info.id(), " resumed after an interruption of ",
                             GapText(gap.duration_s()), " (", gap.reason(), "): cycle ",
                             gap.cycle(), " restarts from its start"));
  return e;
}

void KeepInterrupted(const absl::Status& why, int64_t now_ns, v1::RunInfo* info) {
  info->set_state(v1::RUN_STATE_INTERRUPTED);
  info->set_state_reason(
      absl::StrCat("resuming it failed: ", why.message(), "; ", ResumeHint(info->id())));
  info->set_ended_unix_ns(now_ns);
}

}  // namespace rollrig::host
