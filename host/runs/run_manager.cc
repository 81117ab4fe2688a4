#include "host/runs/run_manager.h"

#include <cmath>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "enum_names.h"
#include "host/analysis/run_analyzer.h"
#include "host/device/host_time.h"
#include "host/profile_loader/profile_loader.h"
#include "host/recording/mcap_recovery.h"
#include "host/run_model/run_model.h"
#include "host/run_model/run_progress.h"
#include "host/runs/run_resumption.h"
#include "rig/base/bounded_text.h"

namespace rollrig::host {
namespace {

using rollrig::v1::HostMessage;
using rollrig::v1::RunInfo;
using rollrig::v1::RunState;

constexpr size_t kProgramPartSegments = 32;  // one LoadProgram part fits a frame easily
// The run thread may lag this long behind the device without losing a sample.
constexpr double kTelemetryBufferS = 30.0;

bool IsActive(RunState s) {
  return s == rollrig::v1::RUN_STATE_ARMING || s == rollrig::v1::RUN_STATE_RUNNING ||
         s == rollrig::v1::RUN_STATE_PAUSED || s == rollrig::v1::RUN_STATE_HELD;
}

// Bounds on making the device safe and clearing the watchdog's fault before a restart.
constexpr absl::Duration kRestStopTimeout = absl::Seconds(10);
constexpr absl::Duration kClearFaultsTimeout = absl::Seconds(5);
constexpr absl::Duration kGapWait = absl::Seconds(1);

// How long a run may stay HELD (RunSpec.hold_timeout_s; 0 = the model's default).
double HoldTimeoutS(const rollrig::v1::RunSpec& spec) {
  return run_model::RunRules::FromSpec(spec).hold_timeout_s;
}

uint32_t FaultBit(rollrig::v1::Fault f) { return 1u << static_cast<uint32_t>(f); }

std::string StateName(RunState s) {
  std::string name = rollrig::v1::RunState_Name(s);
  if (name.rfind("RUN_STATE_", 0) == 0) name = name.substr(10);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

std::string NewRunId(const std::string& profile_name) {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
  std::string name;
  for (char c : profile_name) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
  if (name.empty()) name = "run";
  std::random_device rd;
  return absl::StrFormat("%s-%s-%04x", stamp, name.substr(0, 40), rd() & 0xffff);
}

// Sends a command and waits for the device's acknowledgement (run thread only).
absl::Status Command(DeviceClient* device, HostMessage msg) {
  return device->SendCommandAndWait(std::move(msg));
}

}  // namespace

// Everything the run thread keeps about the run in progress.
struct RunManager::ActiveRun {
  RunInfo info;
  std::optional<LoadedProfile> profile;
  // The run's rules: every sample and event goes in, its effects are executed here.
  std::unique_ptr<run_model::RunModel> model;
  std::shared_ptr<TelemetrySubscription> telemetry;
  std::shared_ptr<EventSubscription> events;
  uint64_t program_id = 0;
  uint32_t first_cycle = 1;
  std::vector<Sample> buffer;
  std::vector<rollrig::v1::RigEvent> event_buffer;
  absl::Time last_save;
  std::unique_ptr<recorder::RunRecorder> recorder;
  bool recorder_failure_handled = false;
  size_t cycles_saved = 0;        // cycles already appended to the store and announced
  uint64_t analysis_dropped = 0;  // samples the run's own subscription had to drop

  // HELD: the device was lost mid-run (see DisconnectPolicy).
  absl::Time held_since;
  bool device_gone = false;        // the run's device is not connected now
  absl::Time gone_since;           // when it was last lost
  double disconnected_done_s = 0;  // outages already over
  bool device_back_reported = false;
  std::string foreign_serial_reported;  // another device already announced
  bool restarting = false;              // re-arming after the device came back
  // The device's gap (DEVICE_GAP) since it was last lost has been noted; a returning
  // device is acted on once it is (bounded by kGapWait), so the gap is always noted while
  // held, never among the restarted cycle's samples (as a replay notes it).
  bool gap_noted = false;
  absl::Time back_since;
};

RunManager::RunManager(DeviceClient* device, RunStore* store, LeaseManager* lease,
                       RunManagerOptions options)
    : device_(device), store_(store), lease_(lease), options_(std::move(options)) {}

RunManager::~RunManager() { Shutdown("rigd stopped"); }

void RunManager::Start() {
  std::vector<std::string> problems;
  std::vector<RunInfo> runs = store_->LoadAll(&problems);
  for (const std::string& p : problems) LogProblem(p);
  FinalizeLeftoverRecordings(&runs);
  for (RunInfo& run : runs) {
    if (!IsActive(run.state())) continue;
    MarkInterrupted(store_->SavedAtNs(run.id()), UnixNanosNow(), &run);
    if (absl::Status s = store_->Save(run); !s.ok()) LogProblem(std::string(s.message()));
  }
  {
    std::lock_guard<std::mutex> lock(view_mu_);
    runs_ = std::move(runs);
    ++version_;
  }
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
  Post([this, reason] {
    if (!active_) return;
    ActiveRun& run = *active_;
    const bool moving = run.info.state() == rollrig::v1::RUN_STATE_RUNNING ||
                        run.info.state() == rollrig::v1::RUN_STATE_PAUSED;
    // The run ends where it stands (a resume restarts its open cycle), then the motors
    // stop: the shutdown's ramp-down is not the run's, so a replay ends where it did.
    Execute(run.model->Interrupt(rollrig::v1::RUN_STATE_INTERRUPTED,
                                 reason + "; resume it with rigctl run --resume " + run.info.id()));
    if (moving) {
      HostMessage stop;
      stop.mutable_stop_program()->set_at_cycle_end(false);
      (void)Command(device_, stop);
      // Wait (bounded) for the ramp-down so the motors are at rest when rigd exits.
      const absl::Time deadline = absl::Now() + absl::Seconds(5);
      while (absl::Now() < deadline) {
        const DeviceSnapshot snap = device_->Snapshot();
        if (!snap.have_last || std::fabs(snap.last.roller_rpm) < 0.5) break;
        absl::SleepFor(absl::Milliseconds(20));
      }
    }
  });
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    running_ = false;
  }
  queue_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
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

void RunManager::LogProblem(const std::string& message) {
  std::cerr << "rigd: runs: " << message << std::endl;
}

void RunManager::Publish(const std::string& message) {
  rollrig::v1::RigEvent e;
  e.set_kind(rollrig::v1::RIG_EVENT_RUN_STATE);
  e.set_run_id(active_->info.id());
  e.set_run_state(active_->info.state());
  e.set_message(message);
  device_->events().Publish(std::move(e));
}

// Copies the active run into the visible list and persists it.
void RunManager::Snapshot() {
  if (!active_) return;
  std::lock_guard<std::mutex> lock(view_mu_);
  bool found = false;
  for (RunInfo& r : runs_) {
    if (r.id() == active_->info.id()) {
      r = active_->info;
      found = true;
    }
  }
  if (!found) runs_.insert(runs_.begin(), active_->info);
  active_id_ = IsActive(active_->info.state()) ? active_->info.id() : "";
  ++version_;
}

void RunManager::SaveLocked() {
  Snapshot();
  if (absl::Status s = store_->Save(active_->info); !s.ok()) {
    LogProblem(std::string(s.message()));
    // An ended run is saved no more by its own steps: saved again once there is space.
    if (!IsActive(active_->info.state())) unsaved_runs_.insert(active_->info.id());
  }
  active_->last_save = absl::Now();
}

void RunManager::StartRun(const rollrig::v1::StartRunRequest& request, RunCallback done) {
  Post([this, request, done = std::move(done)] { DoStart(request, done); });
}

void RunManager::DoStart(const rollrig::v1::StartRunRequest& request, RunCallback done) {
  if (active_ && IsActive(active_->info.state())) {
    done(absl::FailedPreconditionError(
        absl::StrCat("run ", active_->info.id(), " is ", StateName(active_->info.state()),
                     "; stop it first (rigctl runs stop) or wait for it to end")));
    return;
  }
  const DeviceSnapshot snap = device_->Snapshot();
  if (snap.connection != rollrig::v1::CONNECTION_STATE_CONNECTED || !snap.info) {
    done(absl::UnavailableError(absl::StrCat("no device connected (", snap.transport,
                                             snap.detail.empty() ? "" : ": ", snap.detail, ")")));
    return;
  }
  if (snap.faults != 0) {
    done(absl::FailedPreconditionError(absl::StrCat(
        "the device is faulted (", absl::StrJoin(rollrig::v1::FaultDisplayNames(snap.faults), ", "),
        "); clear it first (rigctl clear)")));
    return;
  }

  rollrig::v1::RunSpec spec = request.spec();
  auto run = std::make_unique<ActiveRun>();
  // A resumed run goes on as the same run (host/runs/run_resumption.h).
  std::optional<Resumption> resumption;
  if (!request.resume_id().empty()) {
    absl::StatusOr<Resumption> r =
        LoadResumption(*store_, request.resume_id(), snap.info->serial());
    if (!r.ok()) {
      done(r.status());
      return;
    }
    resumption = *std::move(r);
    spec = resumption->run.spec();
  }
  if (spec.cycles() == 0 && spec.duration_s() <= 0) spec.set_cycles(1);
  if (!std::isfinite(spec.duration_s()) || spec.duration_s() < 0) {
    done(absl::InvalidArgumentError("duration must be a finite number of seconds >= 0"));
    return;
  }

  rollrig::v1::ProfileSource source = spec.profile();
  if (!source.preset().empty()) {
    const rollrig::v1::Preset* preset = FindPreset(source.preset());
    if (!preset) {
      done(absl::NotFoundError(absl::StrCat("no preset named ", QuoteInput(source.preset()))));
      return;
    }
    source.set_text(preset->text());
    source.set_file_name(preset->file_name());
  }
  ProfileCheck check = LoadProfile(source, snap.info->capabilities());
  if (!check.ok()) {
    std::vector<std::string> lines;
    for (const auto& e : check.errors) lines.push_back(FormatProfileError(e));
    done(absl::InvalidArgumentError(absl::StrJoin(lines, "\n")));
    return;
  }
  // Keep the text the run was made from, so a resume or a look back sees exactly it.
  *spec.mutable_profile() = source;
  run->profile = std::move(*check.loaded);
  run->first_cycle = resumption ? resumption->first_cycle : 1;

  RunInfo& info = run->info;
  info.set_id(NewRunId(run->profile->name));
  info.set_state(rollrig::v1::RUN_STATE_ARMING);
  *info.mutable_spec() = spec;
  info.set_profile_name(run->profile->name);
  info.set_profile_hash(run->profile->hash);
  info.set_cycle_s(run->profile->cycle_s);
  info.set_host_version(options_.host_version);
  info.set_firmware_version(snap.info->firmware_version());
  info.set_device_serial(snap.info->serial());
  info.set_started_unix_ns(UnixNanosNow());
  info.mutable_progress()->set_cycles_total(spec.cycles());
  info.mutable_progress()->set_cycle(run->first_cycle);
  info.mutable_progress()->set_segment(-1);
  info.mutable_progress()->set_eta_s(-1);
  if (resumption) ContinueRecord(*resumption, UnixNanosNow(), &info);

  std::vector<AnalyzerSegment> segments;
  for (const ProgramSegmentInfo& s : run->profile->segments) {
    segments.push_back(AnalyzerSegment{static_cast<int32_t>(s.index), s.label, s.limits});
  }
  auto analyzer = std::make_unique<RunAnalyzer>(
      std::vector<rollrig::v1::Limit>(run->profile->profile.limits().begin(),
                                      run->profile->profile.limits().end()),
      std::move(segments));
  if (resumption) {
    analyzer->Continue(resumption->so_far);
    run->cycles_saved = resumption->so_far.cycles.size();  // in the cycle table already
  }
  run->model = std::make_unique<run_model::RunModel>(std::move(analyzer),
                                                     run_model::RunRules::FromSpec(spec));
  run->buffer.reserve(8192);
  if (absl::Status s = StartRecording(*run, snap); !s.ok()) {
    done(s);
    return;
  }

  active_ = std::move(run);
  SaveLocked();
  Publish(absl::StrCat("run ", info.id(), " arming: ", active_->profile->name));
  if (resumption) {
    const rollrig::v1::RigEvent gap = InterruptionEvent(active_->info);
    RecordEvent(gap);
    device_->events().Publish(gap);
  }

  if (absl::Status s = Arm(*active_); !s.ok()) {
    device_->telemetry().Unsubscribe(active_->telemetry);
    device_->events().Unsubscribe(active_->events);
    if (resumption) {
      KeepInterrupted(s, UnixNanosNow(), &active_->info);
      FinishRecording(rollrig::v1::RUN_STATE_INTERRUPTED, active_->info.state_reason());
      SaveLocked();
      Publish(absl::StrCat("run ", active_->info.id(), " ", active_->info.state_reason()));
      done(s);
      return;
    }
    active_->info.set_state(rollrig::v1::RUN_STATE_ABORTED);
    active_->info.set_state_reason(absl::StrCat("arming failed: ", s.message()));
    FinishRecording(rollrig::v1::RUN_STATE_ABORTED, active_->info.state_reason());
    active_->info.mutable_verdict()->set_verdict(rollrig::v1::VERDICT_ABORTED);
    active_->info.mutable_verdict()->set_reason(active_->info.state_reason());
    active_->info.set_ended_unix_ns(UnixNanosNow());
    SaveLocked();
    Publish(absl::StrCat("run ", active_->info.id(), " aborted: ", active_->info.state_reason()));
    done(s);
    return;
  }
  active_->info.set_state(rollrig::v1::RUN_STATE_RUNNING);
  SaveLocked();
  Publish(absl::StrCat("run ", active_->info.id(), " running"));
  done(active_->info);
}

absl::Status RunManager::Arm(ActiveRun& run) {
  // Listen before anything moves, so no sample or event of the run is missed.
  const DeviceSnapshot caps = device_->Snapshot();
  const uint32_t rate_hz = caps.info ? caps.info->capabilities().telemetry_hz() : 0;
  run.telemetry = device_->telemetry().Subscribe(
      std::max<size_t>(4096, static_cast<size_t>(kTelemetryBufferS * (rate_hz ? rate_hz : 10000))));
  run.events = device_->events().Subscribe(4096);
  return ArmDevice(run);
}

absl::Status RunManager::ArmDevice(ActiveRun& run) {
  // Tare with the pad unloaded: release any preload a jog (or a program cut short) left,
  // then zero the load cell.
  const DeviceSnapshot snap = device_->Snapshot();
  if (snap.preload_n_target > 0 || (snap.have_last && snap.last.preload_cmd_n > 0.5)) {
    HostMessage release;
    release.mutable_set_preload()->set_newtons(0);
    if (absl::Status s = Command(device_, release); !s.ok()) return s;
    // Released when the force stops falling near zero (the old tare may be off by a few N).
    const absl::Time deadline = absl::Now() + absl::Seconds(3);
    while (absl::Now() < deadline) {
      const DeviceSnapshot now = device_->Snapshot();
      if (now.have_last && now.last.force_n < 3.0 && now.last.preload_cmd_n < 0.5) break;
      absl::SleepFor(absl::Milliseconds(20));
    }
    absl::SleepFor(absl::Milliseconds(200));  // let the actuator settle before zeroing
  }
  HostMessage tare;
  tare.mutable_tare();
  if (absl::Status s = Command(device_, tare); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("tare: ", s.message()));
  }

  std::random_device rd;
  run.program_id = (static_cast<uint64_t>(rd()) << 32) | rd();
  const auto& program = run.profile->program;
  for (size_t first = 0; first < program.size(); first += kProgramPartSegments) {
    HostMessage part;
    auto* load = part.mutable_load_program();
    load->set_program_id(run.program_id);
    load->set_total_segments(static_cast<uint32_t>(program.size()));
    load->set_first_index(static_cast<uint32_t>(first));
    for (size_t i = first; i < std::min(program.size(), first + kProgramPartSegments); ++i) {
      *load->add_segments() = program[i];
    }
    if (absl::Status s = Command(device_, part); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("upload: ", s.message()));
    }
  }
  // Drop what arrived while arming: the run starts with the program. A restarted run
  // records them (its recording goes on through the outage and the re-arming).
  run.telemetry->Drain(&run.buffer);
  if (run.restarting) RecordSamples();
  run.buffer.clear();
  HostMessage start;
  auto* st = start.mutable_start_program();
  st->set_program_id(run.program_id);
  st->set_first_cycle(run.first_cycle);
  const uint32_t total = run.info.spec().cycles();
  if (total > 0) st->set_cycles(total - (run.first_cycle - 1));
  if (absl::Status s = Command(device_, start); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("start: ", s.message()));
  }
  return absl::OkStatus();
}

void RunManager::PauseRun(const std::string& id, RunCallback done) {
  Post([this, id, done = std::move(done)] {
    if (!active_ || !IsActive(active_->info.state()) || (!id.empty() && id != active_->info.id())) {
      done(absl::FailedPreconditionError(
          id.empty() ? "no run is active"
                     : absl::StrCat("run ", QuoteInput(id), " is not active")));
      return;
    }
    if (active_->info.state() != rollrig::v1::RUN_STATE_RUNNING) {
      done(absl::FailedPreconditionError(
          absl::StrCat("run ", active_->info.id(), " is ", StateName(active_->info.state()))));
      return;
    }
    HostMessage m;
    m.mutable_pause_program();
    if (absl::Status s = Command(device_, m); !s.ok()) {
      done(s);
      return;
    }
    active_->info.set_state(rollrig::v1::RUN_STATE_PAUSED);
    SaveLocked();
    Publish(absl::StrCat("run ", active_->info.id(), " paused"));
    done(active_->info);
  });
}

void RunManager::ResumeRun(const std::string& id, RunCallback done) {
  Post([this, id, done = std::move(done)] {
    if (active_ && active_->info.state() == rollrig::v1::RUN_STATE_HELD &&
        (id.empty() || id == active_->info.id())) {
      if (absl::Status s = RestartHeld("resumed by request"); !s.ok()) {
        done(s);
        return;
      }
      done(active_->info);
      return;
    }
    if (!active_ || active_->info.state() != rollrig::v1::RUN_STATE_PAUSED ||
        (!id.empty() && id != active_->info.id())) {
      done(absl::FailedPreconditionError("no paused or held run to resume"));
      return;
    }
    HostMessage m;
    m.mutable_resume_program();
    if (absl::Status s = Command(device_, m); !s.ok()) {
      done(s);
      return;
    }
    active_->info.set_state(rollrig::v1::RUN_STATE_RUNNING);
    SaveLocked();
    Publish(absl::StrCat("run ", active_->info.id(), " resumed"));
    done(active_->info);
  });
}

void RunManager::StopRun(const std::string& id, const std::string& who, RunCallback done) {
  Post([this, id, who, done = std::move(done)] {
    if (!active_ || !IsActive(active_->info.state()) || (!id.empty() && id != active_->info.id())) {
      done(absl::FailedPreconditionError(
          id.empty() ? "no run is active"
                     : absl::StrCat("run ", QuoteInput(id), " is not active")));
      return;
    }
    // The request is an event of the run: recorded, and fed to the model now, stamped with
    // the sample it applies before, so a replay of the recording stops where this run did.
    ActiveRun& run = *active_;
    rollrig::v1::RigEvent request;
    request.set_kind(rollrig::v1::RIG_EVENT_RUN_STATE);
    request.set_host_time_ns(HostTimeNanos());
    request.set_run_id(run.info.id());
    request.set_run_state(rollrig::v1::RUN_STATE_ABORTED);
    request.set_who(who);
    request.set_message(absl::StrCat("run ", run.info.id(), " stop requested by ", who));
    run.model->Stamp(&request);
    device_->events().Publish(request);
    run_model::RunEffects fx = run.model->Event(request);
    // A program re-armed a moment ago runs before its first sample reached the model:
    // whatever the model concludes, a run not HELD ramps the device down.
    fx.stop_program = fx.stop_program || run.info.state() != rollrig::v1::RUN_STATE_HELD;
    Execute(fx);
    done(run.info);
  });
}

// Drains what arrived since the last call, records it, and feeds it to the run model in
// the order it arrived (host time), executing the model's effects. If the run thread fell
// so far behind that its subscription had to drop samples, they are announced as lost (the
// event comes back here and the model counts it): never silently unanalysed.
void RunManager::FeedNewInput() {
  ActiveRun& run = *active_;
  run.buffer.clear();
  run.telemetry->Drain(&run.buffer);
  run.event_buffer.clear();
  run.events->Drain(&run.event_buffer);
  const uint64_t dropped = run.telemetry->dropped();
  if (dropped > run.analysis_dropped) {
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

// False once the run has ended.
bool RunManager::FeedSample(const Sample& s) {
  ActiveRun& run = *active_;
  Execute(run.model->Time(s.host_time_ns));
  if (!active_ || !IsActive(active_->info.state())) return false;
  Execute(run.model->Sample(s));
  return active_ && IsActive(active_->info.state());
}

bool RunManager::FeedEvent(const rollrig::v1::RigEvent& e) {
  ActiveRun& run = *active_;
  TrackDevice(e);
  Execute(run.model->Time(e.host_time_ns()));
  if (!active_ || !IsActive(active_->info.state())) return false;
  Execute(run.model->Event(e));
  return active_ && IsActive(active_->info.state());
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
  if (run.device_back_reported) {
    auto* p = run.info.mutable_progress();
    p->set_disconnects(p->disconnects() + 1);
  }
  run.device_gone = true;
  run.gone_since = absl::Now();
  run.device_back_reported = false;
  run.foreign_serial_reported.clear();
}

// Does what the model asks.
void RunManager::Execute(const run_model::RunEffects& fx) {
  if (!active_) return;
  ActiveRun& run = *active_;
  for (const rollrig::v1::LimitResult& v : fx.limit_notes) {
    rollrig::v1::RigEvent e;
    e.set_kind(rollrig::v1::RIG_EVENT_LIMIT);
    e.set_run_id(run.info.id());
    e.set_message(absl::StrCat("limit ", v.name(), ": ", v.reason()));
    *e.mutable_limit() = v;
    device_->events().Publish(std::move(e));
  }
  if (fx.stop_program || fx.stop_at_cycle_end) {
    HostMessage m;
    m.mutable_stop_program()->set_at_cycle_end(!fx.stop_program);
    if (absl::Status s = Command(device_, m); !s.ok()) {
      LogProblem(absl::StrCat("run ", run.info.id(), ": stopping the program: ", s.message()));
    }
  }
  if (fx.state == rollrig::v1::RUN_STATE_HELD) EnterHeld(fx.state_reason);
  if (fx.end) Finish(*fx.end);
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
  e.set_message(absl::StrCat("run ", run.info.id(), " ", StateName(state), ": ",
                             reason.empty() ? StateName(state) : reason));
  Execute(run.model->Event(e));
}

void RunManager::Step() {
  if (!active_ || !IsActive(active_->info.state()) || !active_->telemetry) return;
  FeedNewInput();
  if (!active_ || !IsActive(active_->info.state())) return;
  if (active_->info.state() == rollrig::v1::RUN_STATE_HELD) {
    StepHeld();
    return;
  }
  ActiveRun& run = *active_;
  UpdateProgress();
  SaveNewCycles();
  CheckRecorder();
  if (!active_ || !IsActive(active_->info.state())) return;
  // A stop whose finish never comes (device gone, program already ended): the model
  // closes it.
  Execute(run.model->Time(HostTimeNanos()));
  if (!active_ || !IsActive(active_->info.state())) return;
  if (absl::Now() - run.last_save > absl::Seconds(1)) {
    SaveLocked();
  } else {
    Snapshot();
  }
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

// ---- A lost device: HELD, and back again ----

void RunManager::EnterHeld(const std::string& lost) {
  ActiveRun& run = *active_;
  const absl::Time now = absl::Now();
  run.held_since = now;
  run.device_gone = true;
  run.gone_since = now;
  run.device_back_reported = false;
  run.foreign_serial_reported.clear();
  run.gap_noted = false;
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

void RunManager::StepHeld() {
  ActiveRun& run = *active_;
  const absl::Time now = absl::Now();
  // Nothing of the run's program runs: the model analyses nothing (a sample outside the
  // program would close the interrupted cycle as if it had ended).
  if (run.device_gone) {
    run.info.mutable_progress()->set_disconnected_s(run.disconnected_done_s +
                                                    absl::ToDoubleSeconds(now - run.gone_since));
  }
  CheckRecorder();
  if (!active_ || active_->info.state() != rollrig::v1::RUN_STATE_HELD) return;
  Execute(run.model->Time(HostTimeNanos()));  // the hold timeout
  if (!active_ || active_->info.state() != rollrig::v1::RUN_STATE_HELD) return;

  const DeviceSnapshot snap = device_->Snapshot();
  const bool connected = snap.connection == rollrig::v1::CONNECTION_STATE_CONNECTED && snap.info;
  if (!connected) {
    if (!run.device_gone) {
      run.device_gone = true;
      run.gone_since = now;
      run.device_back_reported = false;
      run.gap_noted = false;
      run.foreign_serial_reported.clear();
    }
    run.info.mutable_progress()->set_disconnected_s(run.disconnected_done_s +
                                                    absl::ToDoubleSeconds(now - run.gone_since));
    if (now - run.last_save > absl::Seconds(1)) {
      SaveLocked();
    } else {
      Snapshot();
    }
    return;
  }
  if (snap.info->serial() != run.info.device_serial()) {
    if (run.foreign_serial_reported != snap.info->serial()) {
      run.foreign_serial_reported = snap.info->serial();
      Publish(absl::StrCat("run ", run.info.id(), " stays held: device ", snap.info->serial(),
                           " appeared on ", snap.transport, "; it is not the run's device ",
                           run.info.device_serial()));
    }
    return;
  }
  if (run.device_gone) {
    run.device_gone = false;
    run.disconnected_done_s += absl::ToDoubleSeconds(now - run.gone_since);
    run.info.mutable_progress()->set_disconnected_s(run.disconnected_done_s);
    run.back_since = now;
  }
  if (!run.device_back_reported) {
    if (!run.gap_noted && now - run.back_since < kGapWait) return;  // its first telemetry
    run.device_back_reported = true;
    // Whatever the device still does of the program (a short outage its watchdog did
    // not catch) stops now: a held run keeps the rig at rest.
    if (absl::Status s = BringDeviceToRest(); !s.ok()) {
      LogProblem(
          absl::StrCat("run ", run.info.id(), ": bringing the device to rest: ", s.message()));
    }
    const bool auto_resume = run.model->auto_resume();
    Publish(absl::StrFormat(
        "run %s: device %s is back (gone %.1f s)%s", run.info.id(), run.info.device_serial(),
        absl::ToDoubleSeconds(now - run.gone_since),
        auto_resume ? absl::StrCat("; restarting cycle ",
                                   run.info.progress().cycles_completed() + 1, " from its start")
                    : absl::StrCat("; the run stays held until rigctl resume ", run.info.id(),
                                   " (or stop)")));
    SaveLocked();
    if (!auto_resume) return;
    (void)RestartHeld("the device came back");
  }
}

// Ends whatever the device still does (program, jog) with a controlled stop and waits
// (bounded) until it is at rest. Run thread only.
absl::Status RunManager::BringDeviceToRest() {
  DeviceSnapshot snap = device_->Snapshot();
  const bool program = snap.program_state == rollrig::v1::PROGRAM_STATE_RUNNING ||
                       snap.program_state == rollrig::v1::PROGRAM_STATE_PAUSED ||
                       snap.program_state == rollrig::v1::PROGRAM_STATE_STOPPING;
  const bool moving = snap.state == rollrig::v1::DEVICE_STATE_ACTIVE ||
                      snap.state == rollrig::v1::DEVICE_STATE_STOPPING;
  if (!program && !moving) return absl::OkStatus();
  if (program && snap.state == rollrig::v1::DEVICE_STATE_ACTIVE) {
    HostMessage m;
    m.mutable_stop_program()->set_at_cycle_end(false);
    (void)Command(device_, m);
  } else if (snap.state == rollrig::v1::DEVICE_STATE_ACTIVE) {
    HostMessage m;
    m.mutable_stop();
    (void)Command(device_, m);
  }
  const absl::Time deadline = absl::Now() + kRestStopTimeout;
  while (absl::Now() < deadline) {
    snap = device_->Snapshot();
    if (snap.connection != rollrig::v1::CONNECTION_STATE_CONNECTED) {
      return absl::UnavailableError("the device was lost again");
    }
    const bool at_rest = snap.state != rollrig::v1::DEVICE_STATE_ACTIVE &&
                         snap.state != rollrig::v1::DEVICE_STATE_STOPPING &&
                         (!snap.have_last || std::fabs(snap.last.roller_rpm) < 0.5);
    if (at_rest) return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::DeadlineExceededError(absl::StrCat("the device did not come to rest within ",
                                                  absl::FormatDuration(kRestStopTimeout)));
}

// Re-arms a HELD run on its own device and restarts the cycle the loss interrupted from
// its start (the firmware ramps from standstill; no setpoint of before is sent again).
// On failure the run stays HELD when the device is gone again, else ends FAULTED.
absl::Status RunManager::RestartHeld(const std::string& why) {
  ActiveRun& run = *active_;
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
  if (run.device_gone) {
    run.device_gone = false;
    run.disconnected_done_s += absl::ToDoubleSeconds(absl::Now() - run.gone_since);
    run.info.mutable_progress()->set_disconnected_s(run.disconnected_done_s);
  }
  const absl::Time restart_began = absl::Now();
  const uint32_t done_cycles = run.info.progress().cycles_completed();
  const uint32_t total = run.info.spec().cycles();
  if (total > 0 && done_cycles >= total) {
    // Lost after its last cycle completed: nothing is left to run.
    EndHeld(rollrig::v1::RUN_STATE_COMPLETED, "");
    return absl::OkStatus();
  }
  auto fail = [&](const absl::Status& s) -> absl::Status {
    run.restarting = false;
    const DeviceSnapshot now = device_->Snapshot();
    if (now.connection != rollrig::v1::CONNECTION_STATE_CONNECTED) {
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
  };
  if (absl::Status s = BringDeviceToRest(); !s.ok()) return fail(s);
  const uint32_t faults = device_->Snapshot().faults;
  if ((faults & ~FaultBit(rollrig::v1::FAULT_WATCHDOG)) != 0) {
    // A fault other than the watchdog's: existing rules, the run ends FAULTED.
    std::vector<std::string> names = rollrig::v1::FaultDisplayNames(faults);
    const std::string reason =
        absl::StrCat("device fault while held: ", absl::StrJoin(names, ", "));
    EndHeld(rollrig::v1::RUN_STATE_FAULTED, reason);
    return absl::FailedPreconditionError(reason);
  }
  if (faults != 0) {
    // The watchdog latched because rigd was gone; clearing it is what rigd would ask of
    // an operator. Refused (BUSY) while the device still brakes: retry.
    const absl::Time deadline = absl::Now() + kClearFaultsTimeout;
    absl::Status cleared;
    do {
      HostMessage clear;
      clear.mutable_clear_faults();
      cleared = Command(device_, clear);
      if (cleared.ok() || absl::IsUnavailable(cleared)) break;
      absl::SleepFor(absl::Milliseconds(50));
    } while (absl::Now() < deadline);
    if (!cleared.ok()) {
      return fail(absl::Status(cleared.code(),
                               absl::StrCat("clearing the watchdog fault: ", cleared.message())));
    }
  }

  // The model drops the interrupted cycle at the re-arming event published below.
  run.first_cycle = done_cycles + 1;
  run.restarting = true;
  run.info.set_state(rollrig::v1::RUN_STATE_ARMING);
  run.info.mutable_progress()->set_cycle(run.first_cycle);
  run.info.mutable_progress()->set_segment(-1);
  SaveLocked();
  Publish(absl::StrCat("run ", run.info.id(), " re-arming (", why, "): cycle ", run.first_cycle,
                       " restarts from its start"));
  if (absl::Status s = ArmDevice(run); !s.ok()) return fail(s);
  run.restarting = false;
  run.info.set_state(rollrig::v1::RUN_STATE_RUNNING);
  run.info.set_state_reason("");
  SaveLocked();
  Publish(absl::StrFormat(
      "run %s running again from the start of cycle %u (held %.1f s, re-armed in %.1f s)",
      run.info.id(), run.first_cycle, absl::ToDoubleSeconds(absl::Now() - run.held_since),
      absl::ToDoubleSeconds(absl::Now() - restart_began)));
  return absl::OkStatus();
}

// Cycles the analyzer closed since the last call: appended to the store (so a crash
// keeps them) and announced as events.
void RunManager::SaveNewCycles() {
  ActiveRun& run = *active_;
  const auto& cycles = run.model->analyzer().cycles();
  for (; run.cycles_saved < cycles.size(); ++run.cycles_saved) {
    const rollrig::v1::CycleStats& c = cycles[run.cycles_saved];
    if (run.recorder) (void)run.recorder->AddCycle(c, HostTimeNanos());
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
  run.info.set_ended_unix_ns(UnixNanosNow());
  FinishRecording(end.state, run.info.state_reason());
  device_->telemetry().Unsubscribe(run.telemetry);
  device_->events().Unsubscribe(run.events);
  SaveLocked();
  const std::string verdict = rollrig::v1::Verdict_Name(run.info.verdict().verdict());
  Publish(absl::StrCat("run ", run.info.id(), " ", StateName(end.state), ": ", verdict.substr(8),
                       " ", run.info.verdict().reason()));
}

// ---- Recording: every run is recorded (host/recorder) ----

absl::Status RunManager::StartRecording(ActiveRun& run, const DeviceSnapshot& snap) {
  recorder::RecordingStart start;
  start.run = run.info;
  start.device = snap.info;
  start.host_version = options_.host_version;
  if (snap.have_last && snap.last.host_time_ns > 0) {
    start.device_clock_offset_ns =
        recorder::DeviceClockOffsetNs(snap.last.host_time_ns, snap.last.time_us);
  }
  const rollrig::v1::RunSpec& spec = run.info.spec();
  const double planned_s = spec.cycles() > 0
                               ? (spec.cycles() - (run.first_cycle - 1)) * run.profile->cycle_s
                               : spec.duration_s() + run.profile->cycle_s;
  start.planned_samples = static_cast<uint64_t>(
      std::max(0.0, planned_s) * (snap.info ? snap.info->capabilities().telemetry_hz() : 0));
  NoteEarlierRecordings(run.info, &start);  // a resumed run's stretches before this one
  recording::FileSystem* fs =
      options_.file_system ? options_.file_system : recording::RealFileSystem();
  absl::StatusOr<std::unique_ptr<recorder::RunRecorder>> recorder =
      recorder::RunRecorder::Start(fs, store_->dir(), std::move(start), options_.recorder);
  if (!recorder.ok()) return recorder.status();
  run.recorder = *std::move(recorder);
  run.info.clear_recordings();
  for (const std::string& f : run.recorder->files()) run.info.add_recordings(f);
  return absl::OkStatus();
}

void RunManager::RecordSamples() {
  ActiveRun& run = *active_;
  if (run.recorder && !run.buffer.empty()) {
    (void)run.recorder->AddSamples(run.buffer.data(), run.buffer.size());
  }
}

void RunManager::RecordEvent(const rollrig::v1::RigEvent& event) {
  if (active_->recorder) (void)active_->recorder->AddEvent(event);
}

// Keeps the run's list of files current (a long run rotates) and turns a recorder failure
// into a controlled stop: a run is never left going unrecorded.
void RunManager::CheckRecorder() {
  ActiveRun& run = *active_;
  if (!run.recorder) return;
  const std::vector<std::string> files = run.recorder->files();
  if (!std::equal(files.begin(), files.end(), run.info.recordings().begin(),
                  run.info.recordings().end())) {
    run.info.clear_recordings();
    for (const std::string& f : files) run.info.add_recordings(f);
  }
  if (run.recorder_failure_handled) return;
  const absl::Status status = run.recorder->status();
  if (status.ok()) return;
  run.recorder_failure_handled = true;
  // The recorder's message says what failed ("disk full: ...", "I/O error: ...").
  const std::string reason(status.message());
  LogProblem(absl::StrCat("run ", run.info.id(), ": ", reason));
  // The program ramps down and the device turns the bridge off; the run then ends FAULTED:
  // it cannot go on unrecorded (a HELD run ends at once).
  if (run.info.state() != rollrig::v1::RUN_STATE_HELD) {
    Publish(absl::StrCat("run ", run.info.id(), " stopping: ", reason));
  }
  Execute(run.model->RecorderFailed(reason, HostTimeNanos()));
}

// Writes the last events and the verdict, and finishes the files (blocks the run thread
// until they are durable and renamed).
void RunManager::FinishRecording(RunState state, const std::string& reason) {
  ActiveRun& run = *active_;
  if (!run.recorder) return;
  if (run.events) {
    std::vector<rollrig::v1::RigEvent> last;
    run.events->Drain(&last);
    for (const auto& e : last) (void)run.recorder->AddEvent(e);
  }
  rollrig::v1::RigEvent end_event;
  end_event.set_kind(rollrig::v1::RIG_EVENT_RUN_STATE);
  end_event.set_host_time_ns(HostTimeNanos());
  end_event.set_run_id(run.info.id());
  end_event.set_run_state(state);
  end_event.set_message(absl::StrCat("run ", run.info.id(), " ", StateName(state), ": ", reason));
  (void)run.recorder->AddEvent(end_event);
  recorder::RecordingEnd end;
  end.state = state;
  end.reason = reason;
  end.verdict = run.info.verdict();
  if (absl::Status s = run.recorder->Finish(end); !s.ok() && !run.recorder_failure_handled) {
    LogProblem(absl::StrCat("run ", run.info.id(), ": recording: ", s.message()));
  }
  run.info.clear_recordings();
  for (const std::string& f : run.recorder->files()) {
    run.info.add_recordings(f);
    // A file the recorder could not finalize (the disk still full): tried again later.
    if (absl::EndsWith(f, ".part")) unfinalized_.push_back({run.info.id(), f});
  }
  run.recorder.reset();
}

// Every few seconds, what a full disk left undone, once space has come back: finalizes
// the recordings a failed recorder left as .part (no room for the summary then; the run
// then lists the final file) and saves the ended runs whose last save failed.
void RunManager::RetryWritesAfterDiskFull() {
  if ((unfinalized_.empty() && unsaved_runs_.empty()) || absl::Now() < next_disk_retry_) return;
  next_disk_retry_ = absl::Now() + absl::Seconds(2);
  recording::FileSystem* fs =
      options_.file_system ? options_.file_system : recording::RealFileSystem();
  std::vector<UnfinalizedRecording> still;
  for (const UnfinalizedRecording& u : unfinalized_) {
    const std::string final_path = u.part.substr(0, u.part.size() - 5);
    if (!fs->Exists(u.part) || !recording::FinalizeRecording(fs, u.part, final_path).ok()) {
      if (fs->Exists(u.part)) still.push_back(u);
      continue;
    }
    LogProblem(absl::StrCat("run ", u.run_id, ": finalized its recording ", final_path,
                            " now that there is space"));
    RenameRecording(u.run_id, u.part, final_path);
  }
  unfinalized_ = std::move(still);
  const std::set<std::string> unsaved = unsaved_runs_;
  for (const std::string& id : unsaved) {
    if (unsaved_runs_.count(id) > 0) SaveEndedRun(id);  // not saved with its recording
  }
}

// Saves the visible copy of ended run `run_id`; on failure it is tried again later.
void RunManager::SaveEndedRun(const std::string& run_id) {
  std::optional<RunInfo> run;
  {
    std::lock_guard<std::mutex> lock(view_mu_);
    for (const RunInfo& r : runs_) {
      if (r.id() == run_id) run = r;
    }
  }
  if (!run || IsActive(run->state())) return;
  const bool retried = unsaved_runs_.erase(run_id) > 0;
  if (absl::Status s = store_->Save(*run); !s.ok()) {
    unsaved_runs_.insert(run_id);
    return;
  }
  if (retried) {
    LogProblem(absl::StrCat("run ", run_id, ": saved as ", StateName(run->state()),
                            " now that there is space"));
  }
}

// Points run `run_id` (visible and stored) at `to` instead of `from`.
void RunManager::RenameRecording(const std::string& run_id, const std::string& from,
                                 const std::string& to) {
  auto rename = [&](RunInfo& run) {
    for (std::string& f : *run.mutable_recordings()) {
      if (f == from) f = to;
    }
  };
  if (active_ && active_->info.id() == run_id) rename(active_->info);
  {
    std::lock_guard<std::mutex> lock(view_mu_);
    for (RunInfo& r : runs_) {
      if (r.id() == run_id) rename(r);
    }
    ++version_;
  }
  SaveEndedRun(run_id);
}

// A rigd that crashed or lost power left NAME.mcap.part files: finalize each (the runs
// directory's lock means no other rigd is writing them) and point the runs at the results.
void RunManager::FinalizeLeftoverRecordings(std::vector<RunInfo>* runs) {
  recording::FileSystem* fs =
      options_.file_system ? options_.file_system : recording::RealFileSystem();
  std::vector<std::string> parts;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(store_->dir(), ec)) {
    const std::string path = entry.path().string();
    if (absl::EndsWith(path, ".mcap.part")) parts.push_back(path);
  }
  std::sort(parts.begin(), parts.end());
  for (const std::string& part : parts) {
    const std::string final_path = part.substr(0, part.size() - 5);
    absl::StatusOr<recording::RecoveryReport> report =
        recording::FinalizeRecording(fs, part, final_path);
    if (report.ok()) {
      std::cerr << "rigd: recordings: finalized " << final_path << ": " << report->ToString()
                << std::endl;
    } else {
      LogProblem(absl::StrCat("cannot finalize the recording ", part, ": ",
                              report.status().message(),
                              " (left as it is; rigctl recover tries it by hand)"));
    }
  }
  for (RunInfo& run : *runs) {
    bool changed = false;
    for (std::string& f : *run.mutable_recordings()) {
      if (!absl::EndsWith(f, ".part")) continue;
      const std::string final_path = f.substr(0, f.size() - 5);
      if (!fs->Exists(f) && fs->Exists(final_path)) {
        f = final_path;
        changed = true;
      }
    }
    if (changed && !IsActive(run.state())) {
      if (absl::Status s = store_->Save(run); !s.ok()) LogProblem(std::string(s.message()));
    }
  }
}

absl::StatusOr<RunInfo> RunManager::Get(const std::string& id) const {
  std::lock_guard<std::mutex> lock(view_mu_);
  const std::string want = id.empty() ? active_id_ : id;
  if (want.empty()) {
    if (runs_.empty()) return absl::NotFoundError("no runs yet");
    return runs_.front();
  }
  for (const RunInfo& r : runs_) {
    if (r.id() == want) return r;
  }
  return absl::NotFoundError(absl::StrCat("no run ", QuoteInput(want)));
}

std::vector<RunInfo> RunManager::List() const {
  std::lock_guard<std::mutex> lock(view_mu_);
  std::vector<RunInfo> list = runs_;
  for (RunInfo& r : list) r.mutable_spec()->mutable_profile()->clear_text();
  return list;
}

absl::StatusOr<std::vector<rollrig::v1::CycleStats>> RunManager::GetCycles(
    const std::string& id) const {
  absl::StatusOr<RunInfo> run = Get(id);
  if (!run.ok()) return run.status();
  return store_->LoadCycles(run->id());
}

std::string RunManager::ActiveRunId() const {
  std::lock_guard<std::mutex> lock(view_mu_);
  return active_id_;
}

uint64_t RunManager::version() const {
  std::lock_guard<std::mutex> lock(view_mu_);
  return version_;
}

}  // namespace rollrig::host
