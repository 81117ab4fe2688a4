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
// blocks only this thread) and, every 20 ms, drains the run's telemetry and event
// subscriptions into the model, in the order they arrived. A stop request is an event of
// the run too (recorded, stamped with its sample), so `rigctl check` on the recording
// gives the verdict line the live run gave. Public methods never block on the device:
// they queue the request and call `done` from the run thread. Get/List read a snapshot
// under a mutex.
#pragma once

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
#include "host/runs/lease_manager.h"
#include "host/runs/run_store.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::host {

struct RunManagerOptions {
  std::string host_version = "0.1.0";
  absl::Duration tick = absl::Milliseconds(20);
  // Every run is recorded into the runs directory through this (nullptr = the real file
  // system); must outlive the manager.
  recording::FileSystem* file_system = nullptr;
  recorder::RecorderOptions recorder;
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

  // Validates, arms and starts a run (or resumes an interrupted one). Errors:
  // INVALID_ARGUMENT with every profile error as FILE:LINE:COL: FIELD: message lines,
  // FAILED_PRECONDITION (a run is active, device faulted, nothing left to resume),
  // UNAVAILABLE (no device), NOT_FOUND (resume id).
  void StartRun(const rollrig::v1::StartRunRequest& request, RunCallback done);
  void PauseRun(const std::string& id, RunCallback done);
  void ResumeRun(const std::string& id, RunCallback done);
  // Controlled ramp-down; the verdict is ABORTED "stopped by <who>".
  void StopRun(const std::string& id, const std::string& who, RunCallback done);

  // "" = the active run, else the newest.
  absl::StatusOr<rollrig::v1::RunInfo> Get(const std::string& id) const;
  std::vector<rollrig::v1::RunInfo> List() const;
  absl::StatusOr<std::vector<rollrig::v1::CycleStats>> GetCycles(const std::string& id) const;
  // The id of the active (arming, running or paused) run, or "".
  std::string ActiveRunId() const;
  // Increases whenever any run's visible state changes (for watchers).
  uint64_t version() const;

 private:
  struct ActiveRun;

  void Loop();
  void Post(std::function<void()> task);
  void DoStart(const rollrig::v1::StartRunRequest& request, RunCallback done);
  // Subscribes the run to telemetry and events, then ArmDevice.
  absl::Status Arm(ActiveRun& run);
  // Tare, upload, start at run.first_cycle.
  absl::Status ArmDevice(ActiveRun& run);
  // A lost device (HELD) and its return.
  void EnterHeld(const std::string& lost);
  void StepHeld();
  void TrackDevice(const rollrig::v1::RigEvent& event);
  absl::Status BringDeviceToRest();
  absl::Status RestartHeld(const std::string& why);
  void EndHeld(rollrig::v1::RunState state, const std::string& reason);
  void Step();
  void UpdateProgress();
  // The run's samples and events into its model (host/run_model), in the order they
  // arrived; the model's effects executed.
  void FeedNewInput();
  bool FeedSample(const Sample& s);
  bool FeedEvent(const rollrig::v1::RigEvent& event);
  void Execute(const run_model::RunEffects& effects);
  // Recording (run thread): feeds the recorder, stops the run safely if it fails.
  absl::Status StartRecording(ActiveRun& run, const DeviceSnapshot& snap);
  void RecordSamples();
  void RecordEvent(const rollrig::v1::RigEvent& event);
  void CheckRecorder();
  void FinishRecording(rollrig::v1::RunState state, const std::string& reason);
  void FinalizeLeftoverRecordings(std::vector<rollrig::v1::RunInfo>* runs);
  void RetryWritesAfterDiskFull();
  void RenameRecording(const std::string& run_id, const std::string& from, const std::string& to);
  void SaveEndedRun(const std::string& run_id);
  void Finish(const run_model::RunEnd& end);
  void SaveNewCycles();
  void Publish(const std::string& message);
  void SaveLocked();
  void Snapshot();
  void LogProblem(const std::string& message);

  DeviceClient* device_;
  RunStore* store_;
  LeaseManager* lease_;
  const RunManagerOptions options_;

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
  absl::Time next_disk_retry_;

  // Visible state (any thread).
  mutable std::mutex view_mu_;
  std::vector<rollrig::v1::RunInfo> runs_;  // newest first; the active one included
  std::string active_id_;
  uint64_t version_ = 0;
};

}  // namespace rollrig::host
