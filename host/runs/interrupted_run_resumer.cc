#include "host/runs/interrupted_run_resumer.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"

namespace rollrig::host {
namespace {

// The run to resume: the newest interrupted one not continued by another (newest first).
const rollrig::v1::RunInfo* NewestInterrupted(const std::vector<rollrig::v1::RunInfo>& runs) {
  for (const rollrig::v1::RunInfo& run : runs) {
    if (run.state() == rollrig::v1::RUN_STATE_INTERRUPTED && run.resumed_by().empty()) {
      return &run;
    }
  }
  return nullptr;
}

}  // namespace

InterruptedRunResumer::InterruptedRunResumer(DeviceClient* device, RunManager* runs, Log log)
    : device_(device), runs_(runs), log_(std::move(log)), outcome_(done_.get_future().share()) {}

InterruptedRunResumer::~InterruptedRunResumer() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void InterruptedRunResumer::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { Run(); });
}

absl::Status InterruptedRunResumer::WaitDone(absl::Duration timeout) {
  if (outcome_.wait_for(absl::ToChronoNanoseconds(timeout)) != std::future_status::ready) {
    return absl::DeadlineExceededError("the resume of the interrupted run is not over yet");
  }
  return outcome_.get();
}

void InterruptedRunResumer::Run() {
  const std::vector<rollrig::v1::RunInfo> runs = runs_->List();
  const rollrig::v1::RunInfo* run = NewestInterrupted(runs);
  if (run == nullptr) {
    log_("--resume-interrupted: no interrupted run to resume");
    done_.set_value(absl::OkStatus());
    return;
  }
  const std::string id = run->id();
  log_(absl::StrCat("--resume-interrupted: run ", id,
                    " was interrupted; resuming it once the device is connected"));
  while (!device_->WaitConnected(absl::Milliseconds(200)).ok()) {
    if (stopping_) {
      done_.set_value(absl::CancelledError("rigd stopped before the device was connected"));
      return;
    }
  }
  std::promise<absl::StatusOr<rollrig::v1::RunInfo>> started;
  rollrig::v1::StartRunRequest request;
  request.set_resume_id(id);
  // rigd's own resume: no lease, and the run keeps its owner.
  runs_->StartRun(
      request, RunActor{}, std::nullopt,
      [&started](absl::StatusOr<rollrig::v1::RunInfo> r) { started.set_value(std::move(r)); });
  const absl::StatusOr<rollrig::v1::RunInfo> result = started.get_future().get();
  if (!result.ok()) {
    Report(id, rollrig::v1::RUN_STATE_INTERRUPTED,
           absl::StrCat("rigd could not resume run ", id, " by itself: ", result.status().message(),
                        "; it stays interrupted"));
    done_.set_value(result.status());
    return;
  }
  Report(id, result->state(),
         absl::StrCat("rigd resumed run ", id, " by itself (--resume-interrupted) from cycle ",
                      result->progress().cycle()));
  done_.set_value(absl::OkStatus());
}

void InterruptedRunResumer::Report(const std::string& run_id, rollrig::v1::RunState state,
                                   const std::string& message) {
  log_(message);
  rollrig::v1::RigEvent e;
  e.set_kind(rollrig::v1::RIG_EVENT_RUN_STATE);
  e.set_run_id(run_id);
  e.set_run_state(state);
  e.set_message(message);
  device_->events().Publish(std::move(e));
}

}  // namespace rollrig::host
