#include "host/runs/run_manager.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "host/device/host_time.h"
#include "rig/base/bounded_text.h"

namespace rollrig::host {

using rollrig::v1::HostMessage;
using rollrig::v1::RunInfo;
using rollrig::v1::RunState;

namespace {

// How long rigd waits for the roller to stand still before it exits.
constexpr absl::Duration kShutdownStandstillTimeout = absl::Seconds(5);

}  // namespace

RunManager::RunManager(DeviceClient* device, RunStore* store, LeaseManager* lease,
                       RunManagerOptions options)
    : device_(device),
      store_(store),
      lease_(lease),
      options_(std::move(options)),
      clock_(options_.clock ? options_.clock : RealClock()),
      run_device_(device),
      arming_(&run_device_, clock_, options_.arming) {}

RunManager::~RunManager() { Shutdown("rigd stopped"); }

int64_t RunManager::ClockNow() const { return clock_->NowNanos(); }

int64_t RunManager::HostNow() const { return HostTimeAt(ClockNow()); }

void RunManager::Start() {
  std::vector<std::string> problems;
  std::vector<RunInfo> runs = store_->LoadAll(&problems);
  for (const std::string& p : problems) LogProblem(p);
  FinalizeLeftoverRecordings(&runs);
  MarkLeftActiveInterrupted(&runs);
  view_.Reset(std::move(runs));
  std::lock_guard<std::mutex> lock(queue_mu_);
  if (running_) return;
  running_ = true;
  thread_ = std::thread([this] { Loop(); });
}

void RunManager::Shutdown(const std::string& reason) {
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    if (!running_) return;
  }
  Post([this, reason] { DoShutdown(reason); });
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    running_ = false;
  }
  queue_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RunManager::DoShutdown(const std::string& reason) {
  if (!active_) return;
  ActiveRun& run = *active_;
  const bool moving = run.info.state() == rollrig::v1::RUN_STATE_RUNNING ||
                      run.info.state() == rollrig::v1::RUN_STATE_PAUSED;
  // The run ends where it stands (a resume restarts its open cycle), then the motors
  // stop: the shutdown's ramp-down is not the run's, so a replay ends where it did.
  Execute(run.model->Interrupt(rollrig::v1::RUN_STATE_INTERRUPTED,
                               reason + "; resume it with rigctl run --resume " + run.info.id()));
  // The motors at rest when rigd exits.
  if (moving) arming_.StopAndWaitForStandstill(kShutdownStandstillTimeout);
}

void RunManager::Post(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    queue_.push_back(std::move(task));
  }
  queue_cv_.notify_all();
}

void RunManager::Loop() {
  for (;;) {
    std::deque<std::function<void()>> tasks;
    bool stopping = false;
    {
      std::unique_lock<std::mutex> lock(queue_mu_);
      queue_cv_.wait_for(lock, absl::ToChronoNanoseconds(options_.tick),
                         [this] { return !queue_.empty() || !running_; });
      tasks.swap(queue_);
      stopping = !running_;
    }
    for (auto& task : tasks) task();
    Step();
    RetryWritesAfterDiskFull();
    lease_->Poll();
    if (stopping) {
      std::lock_guard<std::mutex> lock(queue_mu_);
      if (queue_.empty()) return;
    }
  }
}

void RunManager::StartRun(const rollrig::v1::StartRunRequest& request, const RunActor& by,
                          std::optional<std::string> lease_token, RunCallback done) {
  Post([this, request, by, lease_token = std::move(lease_token), done = std::move(done)] {
    DoStart(request, by, lease_token, done);
  });
}

absl::Status RunManager::CheckActive(const std::string& id) const {
  if (active_ && rollrig::v1::RunIsActive(active_->info.state()) &&
      (id.empty() || id == active_->info.id())) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      id.empty() ? "no run is active" : absl::StrCat("run ", QuoteInput(id), " is not active"));
}

absl::Status RunManager::CheckMayCommand(const std::string& id, const RunActor& by,
                                         absl::string_view verb) const {
  if (absl::Status s = CheckActive(id); !s.ok()) return s;
  return CheckMayCommandRun(active_->info, by, verb);
}

void RunManager::PauseRun(const std::string& id, const RunActor& by, RunCallback done) {
  Post([this, id, by, done = std::move(done)] { DoPause(id, by, done); });
}

void RunManager::DoPause(const std::string& id, const RunActor& by, const RunCallback& done) {
  if (absl::Status s = CheckMayCommand(id, by, "pause"); !s.ok()) {
    done(s);
    return;
  }
  if (active_->info.state() != rollrig::v1::RUN_STATE_RUNNING) {
    done(absl::FailedPreconditionError(
        absl::StrCat("run ", active_->info.id(), " is ",
                     rollrig::v1::RunStateDisplayName(active_->info.state()))));
    return;
  }
  HostMessage m;
  m.mutable_pause_program();
  CommandRun(std::move(m), rollrig::v1::RUN_STATE_PAUSED,
             absl::StrCat("paused by ", DescribeRunActor(active_->info, by)), done);
}

void RunManager::ResumeRun(const std::string& id, const RunActor& by, RunCallback done) {
  Post([this, id, by, done = std::move(done)] { DoResume(id, by, done); });
}

void RunManager::DoResume(const std::string& id, const RunActor& by, const RunCallback& done) {
  const bool resumable = active_ && (id.empty() || id == active_->info.id()) &&
                         (active_->info.state() == rollrig::v1::RUN_STATE_HELD ||
                          active_->info.state() == rollrig::v1::RUN_STATE_PAUSED);
  if (!resumable) {
    done(absl::FailedPreconditionError("no paused or held run to resume"));
    return;
  }
  if (absl::Status s = CheckMayCommandRun(active_->info, by, "resume"); !s.ok()) {
    done(s);
    return;
  }
  const std::string who = DescribeRunActor(active_->info, by);
  if (active_->info.state() == rollrig::v1::RUN_STATE_HELD) {
    absl::Status s = RestartHeld(absl::StrCat("resumed by ", who));
    done(s.ok() ? absl::StatusOr<RunInfo>(active_->info) : s);
    return;
  }
  HostMessage m;
  m.mutable_resume_program();
  CommandRun(std::move(m), rollrig::v1::RUN_STATE_RUNNING, absl::StrCat("resumed by ", who), done);
}

void RunManager::CommandRun(HostMessage command, RunState state, const std::string& what,
                            const RunCallback& done) {
  if (absl::Status s = run_device_.Command(std::move(command)); !s.ok()) {
    done(s);
    return;
  }
  active_->info.set_state(state);
  SaveLocked();
  Publish(absl::StrCat("run ", active_->info.id(), " ", what));
  done(active_->info);
}

void RunManager::StopRun(const std::string& id, const RunActor& by, RunCallback done) {
  Post([this, id, by, done = std::move(done)] { DoStop(id, by, done); });
}

void RunManager::DoStop(const std::string& id, const RunActor& by, const RunCallback& done) {
  if (absl::Status s = CheckMayCommand(id, by, "stop"); !s.ok()) {
    done(s);
    return;
  }
  // The request is an event of the run: recorded, and fed to the model now, stamped with
  // the sample it applies before, so a replay of the recording stops where this run did.
  ActiveRun& run = *active_;
  const std::string who = DescribeRunActor(run.info, by);
  rollrig::v1::RigEvent request;
  request.set_kind(rollrig::v1::RIG_EVENT_RUN_STATE);
  request.set_host_time_ns(HostNow());
  request.set_run_id(run.info.id());
  request.set_run_state(rollrig::v1::RUN_STATE_ABORTED);
  request.set_who(who);
  if (by.force && who != by.identity) request.set_reason(TruncateText(by.reason, kQuoteBytes));
  request.set_message(absl::StrCat("run ", run.info.id(), " stop requested by ", who));
  run.model->Stamp(&request);
  device_->events().Publish(request);
  run_model::RunEffects fx = run.model->Event(request);
  // A program re-armed a moment ago runs before its first sample reached the model:
  // whatever the model concludes, a run not HELD ramps the device down.
  fx.stop_program = fx.stop_program || run.info.state() != rollrig::v1::RUN_STATE_HELD;
  Execute(fx);
  done(run.info);
}

absl::StatusOr<RunInfo> RunManager::Get(const std::string& id) const { return view_.Get(id); }

std::vector<RunInfo> RunManager::List() const { return view_.List(); }

absl::StatusOr<std::vector<rollrig::v1::CycleStats>> RunManager::GetCycles(
    const std::string& id) const {
  absl::StatusOr<RunInfo> run = Get(id);
  if (!run.ok()) return run.status();
  return store_->LoadCycles(run->id());
}

std::string RunManager::ActiveRunId() const { return view_.ActiveRunId(); }

uint64_t RunManager::version() const { return view_.version(); }

void RunManager::LogProblem(const std::string& message) {
  std::cerr << "rigd: runs: " << message << std::endl;
}

}  // namespace rollrig::host
