// RunManager: a StartRun request made into an armed, started run (validation, the resumed
// run, the profile, the run's record and model; then tare, upload and start).
#include <cmath>
#include <ctime>
#include <optional>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "enum_names.h"
#include "host/analysis/run_analyzer.h"
#include "host/profile_loader/profile_loader.h"
#include "host/run_model/profile_analyzer.h"
#include "host/runs/run_manager.h"
#include "host/runs/run_resumption.h"
#include "rig/base/bounded_text.h"

namespace rollrig::host {

using rollrig::v1::RunInfo;

namespace {

// The run thread may lag this long behind the device without losing a sample.
constexpr double kTelemetryBufferS = 30.0;

// STAMP-PROFILE-XXXX, STAMP being the start's Unix time (UTC).
std::string NewRunId(const std::string& profile_name, int64_t unix_ns) {
  const std::time_t now = static_cast<std::time_t>(unix_ns / 1'000'000'000);
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

// The run's model; a resumed run's analysis goes on from what it had judged.
std::unique_ptr<run_model::RunModel> NewRunModel(const ActiveRun& run, const RunSoFar* so_far) {
  return std::make_unique<run_model::RunModel>(run_model::AnalyzerForProfile(*run.profile, so_far),
                                               run_model::RunRules::FromSpec(run.info.spec()));
}

}  // namespace

void RunManager::DoStart(const rollrig::v1::StartRunRequest& request, const RunActor& by,
                         const std::optional<std::string>& lease_token, RunCallback done) {
  const DeviceSnapshot snap = device_->Snapshot();
  absl::StatusOr<std::unique_ptr<ActiveRun>> run = PrepareRun(request, by, snap);
  if (!run.ok()) {
    done(run.status());
    return;
  }
  // The lease last: a start refused for anything else leaves it as it was.
  if (lease_token) {
    if (absl::Status s = lease_->Check(*lease_token); !s.ok()) {
      done(s);
      return;
    }
  }
  if (absl::Status s = StartRecording(**run, snap); !s.ok()) {
    done(s);
    return;
  }
  active_ = *std::move(run);
  const bool resuming = !request.resume_id().empty();
  SaveLocked();
  Publish(absl::StrCat("run ", active_->info.id(), " arming: ", active_->profile->name, ", ",
                       resuming ? "resumed" : "started", " by ",
                       by.identity.empty() ? "rigd" : DescribeRunActor(active_->info, by),
                       resuming ? absl::StrCat(", owner ", active_->info.started_by()) : ""));
  if (resuming) AnnounceInterruption();
  if (absl::Status s = Arm(*active_); !s.ok()) {
    if (resuming) {
      KeepArmingInterrupted(s);
    } else {
      AbortArming(s);
    }
    done(s);
    return;
  }
  active_->info.set_state(rollrig::v1::RUN_STATE_RUNNING);
  SaveLocked();
  Publish(absl::StrCat("run ", active_->info.id(), " running"));
  done(active_->info);
}

// The run a request asks for, checked and described, its model made; nothing sent yet.
absl::StatusOr<std::unique_ptr<ActiveRun>> RunManager::PrepareRun(
    const rollrig::v1::StartRunRequest& request, const RunActor& by, const DeviceSnapshot& snap) {
  if (absl::Status s = CheckCanStart(snap); !s.ok()) return s;
  rollrig::v1::RunSpec spec = request.spec();
  auto run = std::make_unique<ActiveRun>();
  // A resumed run goes on as the same run (host/runs/run_resumption.h).
  std::optional<Resumption> resumption;
  if (!request.resume_id().empty()) {
    absl::StatusOr<Resumption> r =
        LoadResumption(*store_, request.resume_id(), snap.info->serial());
    if (!r.ok()) return r.status();
    // An interrupted run is still its owner's: resuming it is as resuming a paused one.
    if (absl::Status s = CheckMayCommandRun(r->run, by, "resume"); !s.ok()) return s;
    resumption = *std::move(r);
    spec = resumption->run.spec();
  }
  if (spec.cycles() == 0 && spec.duration_s() <= 0) spec.set_cycles(1);
  if (!std::isfinite(spec.duration_s()) || spec.duration_s() < 0) {
    return absl::InvalidArgumentError("duration must be a finite number of seconds >= 0");
  }
  if (absl::Status s = LoadRunProfile(snap, &spec, *run); !s.ok()) return s;
  run->first_cycle = resumption ? resumption->first_cycle : 1;
  DescribeNewRun(snap, spec, *run);
  if (resumption) {
    ContinueRecord(*resumption, HostNow(), &run->info);
    run->cycles_saved = resumption->so_far.cycles.size();  // in the cycle table already
  }
  // A run belongs to whoever started it; a resumed one stays its owner's.
  if (run->info.started_by().empty()) run->info.set_started_by(by.identity);
  run->model = NewRunModel(*run, resumption ? &resumption->so_far : nullptr);
  run->buffer.reserve(8192);
  return run;
}

absl::Status RunManager::CheckCanStart(const DeviceSnapshot& snap) const {
  if (active_ && rollrig::v1::RunIsActive(active_->info.state())) {
    const std::string& owner = active_->info.started_by();
    return absl::FailedPreconditionError(absl::StrCat(
        "run ", active_->info.id(), " is ", rollrig::v1::RunStateDisplayName(active_->info.state()),
        owner.empty() ? "" : absl::StrCat(" (", owner, "'s)"),
        "; wait for it to end, or stop it first (rigctl stop: its owner, or an admin with "
        "rigctl --force stop --reason TEXT)"));
  }
  if (snap.connection != rollrig::v1::CONNECTION_STATE_CONNECTED || !snap.info) {
    return absl::UnavailableError(absl::StrCat("no device connected (", snap.transport,
                                               snap.detail.empty() ? "" : ": ", snap.detail, ")"));
  }
  if (snap.faults != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the device is faulted (", absl::StrJoin(rollrig::v1::FaultDisplayNames(snap.faults), ", "),
        "); clear it first (rigctl clear)"));
  }
  return absl::OkStatus();
}

absl::Status RunManager::LoadRunProfile(const DeviceSnapshot& snap, rollrig::v1::RunSpec* spec,
                                        ActiveRun& run) const {
  rollrig::v1::ProfileSource source = spec->profile();
  if (!source.preset().empty()) {
    const rollrig::v1::Preset* preset = FindPreset(source.preset());
    if (!preset) {
      return absl::NotFoundError(absl::StrCat("no preset named ", QuoteInput(source.preset())));
    }
    source.set_text(preset->text());
    source.set_file_name(preset->file_name());
  }
  ProfileCheck check = LoadProfile(source, snap.info->capabilities());
  if (!check.ok()) {
    std::vector<std::string> lines;
    for (const auto& e : check.errors) lines.push_back(FormatProfileError(e));
    return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
  }
  // Keep the text the run was made from, so a resume or a look back sees exactly it.
  *spec->mutable_profile() = source;
  run.profile = std::move(*check.loaded);
  return absl::OkStatus();
}

void RunManager::DescribeNewRun(const DeviceSnapshot& snap, const rollrig::v1::RunSpec& spec,
                                ActiveRun& run) const {
  RunInfo& info = run.info;
  const int64_t now = HostNow();
  info.set_id(NewRunId(run.profile->name, now));
  info.set_state(rollrig::v1::RUN_STATE_ARMING);
  *info.mutable_spec() = spec;
  info.set_profile_name(run.profile->name);
  info.set_profile_hash(run.profile->hash);
  info.set_cycle_s(run.profile->cycle_s);
  info.set_host_version(options_.host_version);
  info.set_firmware_version(snap.info->firmware_version());
  info.set_device_serial(snap.info->serial());
  info.set_started_unix_ns(now);
  info.mutable_progress()->set_cycles_total(spec.cycles());
  info.mutable_progress()->set_cycle(run.first_cycle);
  info.mutable_progress()->set_segment(-1);
  info.mutable_progress()->set_eta_s(-1);
}

// The resumed run's interruption as an event: recorded in its new stretch and published.
void RunManager::AnnounceInterruption() {
  const rollrig::v1::RigEvent gap = InterruptionEvent(active_->info);
  RecordEvent(gap);
  device_->events().Publish(gap);
}

// A resume whose arming failed: the run stays INTERRUPTED, resumable again.
void RunManager::KeepArmingInterrupted(const absl::Status& why) {
  ActiveRun& run = *active_;
  device_->telemetry().Unsubscribe(run.telemetry);
  device_->events().Unsubscribe(run.events);
  KeepInterrupted(why, HostNow(), &run.info);
  FinishRecording(rollrig::v1::RUN_STATE_INTERRUPTED, run.info.state_reason());
  SaveLocked();
  Publish(absl::StrCat("run ", run.info.id(), " ", run.info.state_reason()));
}

void RunManager::AbortArming(const absl::Status& why) {
  ActiveRun& run = *active_;
  device_->telemetry().Unsubscribe(run.telemetry);
  device_->events().Unsubscribe(run.events);
  run.info.set_state(rollrig::v1::RUN_STATE_ABORTED);
  run.info.set_state_reason(absl::StrCat("arming failed: ", why.message()));
  FinishRecording(rollrig::v1::RUN_STATE_ABORTED, run.info.state_reason());
  run.info.mutable_verdict()->set_verdict(rollrig::v1::VERDICT_ABORTED);
  run.info.mutable_verdict()->set_reason(run.info.state_reason());
  run.info.set_ended_unix_ns(HostNow());
  SaveLocked();
  Publish(absl::StrCat("run ", run.info.id(), " aborted: ", run.info.state_reason()));
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
  if (absl::Status s = arming_.ReleasePreloadAndTare(); !s.ok()) return s;
  std::random_device rd;
  run.program_id = (static_cast<uint64_t>(rd()) << 32) | rd();
  if (absl::Status s = arming_.Upload(run.program_id, run.profile->program); !s.ok()) return s;
  // Drop what arrived while arming: the run starts with the program. A restarted run
  // records them (its recording goes on through the outage and the re-arming).
  run.telemetry->Drain(&run.buffer);
  if (run.restarting) RecordSamples();
  run.buffer.clear();
  const uint32_t total = run.info.spec().cycles();
  return arming_.StartProgram(run.program_id, run.first_cycle,
                              total > 0 ? total - (run.first_cycle - 1) : 0);
}

}  // namespace rollrig::host
