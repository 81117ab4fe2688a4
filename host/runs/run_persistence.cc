// RunManager: the run's record kept: saved to the store (throttled while it runs, every
// closed cycle appended at once), copied into the visible view, runs a crash left active
// marked INTERRUPTED, and an ended run whose save failed saved again later.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "host/runs/run_manager.h"
#include "host/runs/run_resumption.h"

namespace rollrig::host {

using rollrig::v1::RunInfo;

namespace {

// A running run is saved at most this often (its view is updated every tick).
constexpr absl::Duration kSavePeriod = absl::Seconds(1);

}  // namespace

// Runs a previous rigd left active: it stopped while they ran (crash or power cut).
void RunManager::MarkLeftActiveInterrupted(std::vector<RunInfo>* runs) {
  for (RunInfo& run : *runs) {
    if (!rollrig::v1::RunIsActive(run.state())) continue;
    MarkInterrupted(store_->SavedAtNs(run.id()), HostNow(), &run);
    if (absl::Status s = store_->Save(run); !s.ok()) LogProblem(std::string(s.message()));
  }
}

// Copies the active run into the visible list.
void RunManager::Snapshot() {
  if (!active_) return;
  view_.Put(active_->info);
}

void RunManager::SaveLocked() {
  Snapshot();
  if (absl::Status s = store_->Save(active_->info); !s.ok()) {
    LogProblem(std::string(s.message()));
    // An ended run is saved no more by its own steps: saved again once there is space.
    if (!rollrig::v1::RunIsActive(active_->info.state())) unsaved_runs_.insert(active_->info.id());
  }
  active_->last_save_ns = ClockNow();
}

void RunManager::SaveThrottled() {
  if (ClockNow() - active_->last_save_ns > absl::ToInt64Nanoseconds(kSavePeriod)) {
    SaveLocked();
  } else {
    Snapshot();
  }
}

// Cycles the analyzer closed since the last call: appended to the store (so a crash
// keeps them) and announced as events.
void RunManager::SaveNewCycles() {
  ActiveRun& run = *active_;
  const auto& cycles = run.model->analyzer().cycles();
  for (; run.cycles_saved < cycles.size(); ++run.cycles_saved) {
    const rollrig::v1::CycleStats& c = cycles[run.cycles_saved];
    if (run.recorder) (void)run.recorder->AddCycle(c, HostNow());
    if (absl::Status s = store_->AppendCycle(run.info.id(), c); !s.ok()) {
      LogProblem(std::string(s.message()));
    }
    rollrig::v1::RigEvent e;
    e.set_kind(rollrig::v1::RIG_EVENT_CYCLE_COMPLETED);
    e.set_run_id(run.info.id());
    e.set_message(absl::StrFormat(
        "cycle %d: peak torque %.3f N·m, mean force %.1f N, speed RMS error %.2f rpm, max "
        "%.1f °C",
        c.cycle(), c.peak_torque_nm(), c.mean_force_n(), c.speed_rms_error_rpm(),
        c.max_temperature_c()));
    device_->events().Publish(std::move(e));
  }
}

// Saves the visible copy of ended run `run_id`; on failure it is tried again later.
void RunManager::SaveEndedRun(const std::string& run_id) {
  const std::optional<RunInfo> run = view_.Find(run_id);
  if (!run || rollrig::v1::RunIsActive(run->state())) return;
  const bool retried = unsaved_runs_.erase(run_id) > 0;
  if (absl::Status s = store_->Save(*run); !s.ok()) {
    unsaved_runs_.insert(run_id);
    return;
  }
  if (retried) {
    LogProblem(absl::StrCat("run ", run_id, ": saved as ",
                            rollrig::v1::RunStateDisplayName(run->state()),
                            " now that there is space"));
  }
}

}  // namespace rollrig::host
