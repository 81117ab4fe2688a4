// Runs belong to rigd: a run = a validated profile uploaded to the device and executed
// there for some cycles or a duration, judged live by the run model (host/run_model, the
// rules written once: RunManager feeds it and executes its effects), persisted in the
// RunStore so it survives its clients and (as INTERRUPTED, resumable from its next cycle
// boundary) a rigd crash.
//
// States: ARMING (tare, upload, start) -> RUNNING <-> PAUSED -> COMPLETED | ABORTED |
// FAULTED, with an event for every change. An ABORT limit or StopRun ramps the roller
// down (controlled stop); a device fault or e-stop is the device's own stop category 1.
// A run is never left going unrecorded: a recorder failure (disk full, an I/O error, a
// recorder that cannot keep up) ramps it down too and ends it FAULTED with the recorder's
// reason; the recording is finalized up to the failure.
//
// A lost device (RunSpec.on_disconnect): ABORT ends the run FAULTED; HOLD and RESUME
// make it HELD (the device's watchdog stops the motors; the run keeps recording). When
// the same serial is back, rigd brings it to rest; RESUME then re-arms and restarts the
// interrupted cycle from its start, HOLD waits for ResumeRun (or StopRun: ABORTED). A
// paused run lost waits for ResumeRun whatever the policy. Another device appearing
// leaves the run HELD. HELD longer than hold_timeout_s ends it FAULTED.
//
// Threads: one run thread owns the active run: it executes requests in order (arming
// blocks only this thread) and, every tick (20 ms), drains the run's telemetry and event
// subscriptions into the model, in the order they arrived. A stop request is an event of
// the run too (recorded, stamped with its sample), so `rigctl check` on the recording
// gives the verdict line the live run gave. Public methods never block on the device:
// they queue the request and call `done` from the run thread. Get/List read a snapshot
// (RunView) under its mutex.
//
// Time: every interval, deadline and wait of a run (the hold timeout, the save throttle,
// arming's settle and the bounded waits, the disk retry) reads RunManagerOptions.clock;
// the Unix times it records are that clock's host time (host/device/host_time.h). The
// tick only paces the run thread.
//
// The code is split by concept, one file each: run_manager.cc (the public API, requests
// and the run thread), run_arming.cc (a request to an armed, started run; tare, upload and
// start through DeviceArming), run_feed.cc (the model fed, its effects executed),
// run_held.cc (HELD and the device's return), run_recording.cc (the run's recording,
// leftovers and disk-full retries), run_persistence.cc (saves and the visible view).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "host/device/device_client.h"
#include "host/recorder/recorder.h"
#include "host/recording/file_system.h"
#include "host/run_model/run_model.h"
#include "host/runs/active_run.h"
#include "host/runs/device_arming.h"
#include "host/runs/lease_manager.h"
#include "host/runs/run_ownership.h"
#include "host/runs/run_store.h"
#include "host/runs/run_view.h"
#include "rig/base/clock.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::host {

struct RunManagerOptions {
  std::string host_version = "0.1.0";
  absl::Duration tick = absl::Milliseconds(20);
  // Every run is recorded into the runs directory through this (nullptr = the real file
  // system); must outlive the manager.
  recording::FileSystem* file_system = nullptr;
  recorder::RecorderOptions recorder;
  // Every wait, timeout and stamp of the runs (nullptr = RealClock()); must outlive the
  // manager.
  Clock* clock = nullptr;
  // The bounds of arming's waits and the device's return to rest.
  ArmingTimeouts arming;
};

// What the runs' recordings have written, for metrics (kept current by the run thread
// every tick; reading it takes no lock).
struct RecordingCounters {
  uint64_t bytes_written_total = 0;  // by every recording of this manager, all files
  uint64_t samples_queued = 0;       // the active recording's backlog (0 without one)
};

class RunManager {
 public:
  using RunCallback = std::function<void(absl::StatusOr<rollrig::v1::RunInfo>)>;

  // None owned; all must outlive the manager.
  RunManager(DeviceClient* device, RunStore* store, LeaseManager* lease,
             RunManagerOptions options = {});
  ~RunManager();  // Shutdown()s

  // Finalizes recordings a previous rigd left unfinished (*.mcap.part); marks runs it
  // left active as INTERRUPTED; starts the run thread.
  void Start();
  // Stops an active run with a controlled ramp-down and marks it INTERRUPTED (resumable)
  // with `reason`; joins the run thread.
  void Shutdown(const std::string& reason);

  // Validates, arms and starts a run (or resumes an interrupted one) for `by`, its owner
  // (RunInfo.started_by; a resumed run keeps the owner it had). Errors: INVALID_ARGUMENT
  // with every profile error as FILE:LINE:COL: FIELD: message lines, FAILED_PRECONDITION
  // (a run is active, device faulted, nothing left to resume), UNAVAILABLE (no device),
  // NOT_FOUND (resume id). `lease_token`, when given, must hold the control lease; it is
  // checked after the request and the device, so a refused start takes nothing (rigd's
  // own resume at start-up gives none).
  void StartRun(const rollrig::v1::StartRunRequest& request, const RunActor& by,
                std::optional<std::string> lease_token, RunCallback done);
  // Pause, resume (a paused or HELD run) and stop (controlled ramp-down; the verdict is
  // ABORTED "stopped by <who>") need no lease: the run's owner may, and an admin forcing
  // with a reason (run_ownership.h); `by` is recorded in the event and the run's reason.
  void PauseRun(const std::string& id, const RunActor& by, RunCallback done);
  void ResumeRun(const std::string& id, const RunActor& by, RunCallback done);
  void StopRun(const std::string& id, const RunActor& by, RunCallback done);

  // "" = the active run, else the newest.
  absl::StatusOr<rollrig::v1::RunInfo> Get(const std::string& id) const;
  std::vector<rollrig::v1::RunInfo> List() const;
  absl::StatusOr<std::vector<rollrig::v1::CycleStats>> GetCycles(const std::string& id) const;
  // The id of the active (arming, running or paused) run, or "".
  std::string ActiveRunId() const;
  // Increases whenever any run's visible state changes (for watchers).
  uint64_t version() const;
  RecordingCounters recording_counters() const;

 private:
  // run_manager.cc: requests and the run thread.
  void Loop();
  void Post(std::function<void()> task);
  // OK if `id` ("" = any) names the active run; else why not.
  absl::Status CheckActive(const std::string& id) const;
  // CheckActive, then whether `by` may `verb` it (run_ownership.h).
  absl::Status CheckMayCommand(const std::string& id, const RunActor& by,
                               absl::string_view verb) const;
  // Sends `command` for the active run; once acknowledged the run is `state`, announced
  // as "run ID <what>".
  void CommandRun(rollrig::v1::HostMessage command, rollrig::v1::RunState state,
                  const std::string& what, const RunCallback& done);
  void DoPause(const std::string& id, const RunActor& by, const RunCallback& done);
  void DoResume(const std::string& id, const RunActor& by, const RunCallback& done);
  void DoStop(const std::string& id, const RunActor& by, const RunCallback& done);
  void DoShutdown(const std::string& reason);
  // Host (Unix) time now, read through the clock.
  int64_t HostNow() const;
  int64_t ClockNow() const;
  void LogProblem(const std::string& message);

  // run_arming.cc: a request made into an armed, started run.
  void DoStart(const rollrig::v1::StartRunRequest& request, const RunActor& by,
               const std::optional<std::string>& lease_token, RunCallback done);
  absl::StatusOr<std::unique_ptr<ActiveRun>> PrepareRun(const rollrig::v1::StartRunRequest& request,
                                                        const RunActor& by,
                                                        const DeviceSnapshot& snap);
  absl::Status CheckCanStart(const DeviceSnapshot& snap) const;
  absl::Status LoadRunProfile(const DeviceSnapshot& snap, rollrig::v1::RunSpec* spec,
                              ActiveRun& run) const;
  void DescribeNewRun(const DeviceSnapshot& snap, const rollrig::v1::RunSpec& spec,
                      ActiveRun& run) const;
  void AnnounceInterruption();
  void AbortArming(const absl::Status& why);
  void KeepArmingInterrupted(const absl::Status& why);
  // Subscribes the run to telemetry and events, then ArmDevice.
  absl::Status Arm(ActiveRun& run);
  // Tare, upload, start at run.first_cycle.
  absl::Status ArmDevice(ActiveRun& run);

  // run_feed.cc: the run's samples and events into its model (host/run_model), in the
  // order they arrived; the model's effects executed.
  void Step();
  void UpdateProgress();
  void FeedNewInput();
  void AnnounceAnalysisDrops();
  bool FeedSample(const Sample& s);
  bool FeedEvent(const rollrig::v1::RigEvent& event);
  // False once the active run has ended (or there is none).
  bool StillActive() const;
  void Execute(const run_model::RunEffects& effects);
  void Finish(const run_model::RunEnd& end);
  void Publish(const std::string& message);

  // run_held.cc: a lost device (HELD) and its return.
  void EnterHeld(const std::string& lost);
  void StepHeld();
  void NoteDeviceGone();
  bool HeldDeviceIsBack(const DeviceSnapshot& snap);
  void ActOnDeviceBack();
  void TrackDevice(const rollrig::v1::RigEvent& event);
  void CountOutage();
  absl::Status RestartHeld(const std::string& why);
  absl::Status CheckRunDeviceConnected() const;
  absl::Status ClearWatchdogFault();
  absl::Status ReArm(const std::string& why, int64_t restart_began_ns);
  absl::Status FailRestart(const absl::Status& s);
  void EndHeld(rollrig::v1::RunState state, const std::string& reason);

  // run_recording.cc: feeds the recorder, stops the run safely if it fails.
  absl::Status StartRecording(ActiveRun& run, const DeviceSnapshot& snap);
  void RecordSamples();
  void RecordEvent(const rollrig::v1::RigEvent& event);
  void CheckRecorder();
  void FinishRecording(rollrig::v1::RunState state, const std::string& reason);
  void FinalizeLeftoverRecordings(std::vector<rollrig::v1::RunInfo>* runs);
  void RetryWritesAfterDiskFull();
  void RenameRecording(const std::string& run_id, const std::string& from, const std::string& to);
  recording::FileSystem* file_system() const;
  // The active recorder's figures into the counters; `finished`: its last figures.
  void PublishRecordingCounters(bool finished);

  // run_persistence.cc: the store and the visible view.
  void MarkLeftActiveInterrupted(std::vector<rollrig::v1::RunInfo>* runs);
  void SaveEndedRun(const std::string& run_id);
  void SaveNewCycles();
  void SaveLocked();
  // Saves at most once a second; the view is updated every time.
  void SaveThrottled();
  void Snapshot();

  DeviceClient* device_;
  RunStore* store_;
  LeaseManager* lease_;
  const RunManagerOptions options_;
  Clock* const clock_;
  DeviceClientRunDevice run_device_;
  DeviceArming arming_;

  std::thread thread_;
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<std::function<void()>> queue_;
  bool running_ = false;

  // Run-thread state.
  std::unique_ptr<ActiveRun> active_;
  struct UnfinalizedRecording {
    std::string run_id;
    std::string part;  // DIR/NAME.mcap.part
  };
  std::vector<UnfinalizedRecording> unfinalized_;
  std::set<std::string> unsaved_runs_;  // ended runs whose last save failed
  int64_t next_disk_retry_ns_ = 0;

  uint64_t bytes_of_finished_recordings_ = 0;

  // Visible state (any thread).
  RunView view_;
  std::atomic<uint64_t> recorded_bytes_total_{0};
  std::atomic<uint64_t> recorder_samples_queued_{0};
};

}  // namespace rollrig::host
