// The dashboard's connection to one rigd: background threads that keep it connected
// (reconnecting with backoff), stream telemetry (every sample, or the requested rate)
// into a SeriesSet, follow events and the active run, and carry out the operator's
// commands. The render loop only reads Snapshot() and queues commands: it never waits
// for the network.
//
// Thread safety: every public method may be called from any thread. E-stop has a thread
// of its own so it never queues behind a slow command, and needs no lease.
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

#include "grpcpp/grpcpp.h"
#include "gui/dash/series_set.h"
#include "host/client/client_settings.h"
#include "rollrig/v1/rig_service.grpc.pb.h"

namespace rollrig::gui {

enum class LinkState { kConnecting, kConnected, kDisconnected };
const char* LinkStateName(LinkState s);  // "connecting", "connected", "disconnected"

// What the dashboard shows about the rig, copied out under the client's lock.
struct RigSnapshot {
  LinkState link = LinkState::kConnecting;
  std::string link_detail;  // why not connected
  // Set while rigd refuses this dashboard's token or lack of one (UNAUTHENTICATED): an
  // e-stop sent from here would be refused too. Says why and what to fix.
  std::string estop_refused;
  int reconnects = 0;
  bool have_status = false;
  rollrig::v1::RigStatus status;
  bool have_info = false;
  rollrig::v1::GetDeviceInfoResponse info;
  rollrig::v1::LeaseInfo lease;
  bool we_hold_lease = false;
  bool have_run = false;  // the active run, or else the latest
  rollrig::v1::RunInfo run;
  std::vector<rollrig::v1::Preset> presets;
  std::vector<rollrig::v1::RunInfo> runs;
  std::deque<rollrig::v1::RigEvent> events;  // newest last
  uint64_t telemetry_rows = 0;
  uint64_t stream_dropped_total = 0;  // rows rigd dropped because we were slow
  uint32_t sample_rate_hz = 0;
  // The live rows' time axis: device time (s) of its zero (the first row seen), so a run's
  // history maps them onto run time (RunHistory.live_device_to_run_s).
  bool live_t0_known = false;
  double live_device_t0_s = 0;
  // The active run on the plots' time axis (for aligning a golden reference).
  double run_start_t = -1;
  std::vector<double> run_cycle_starts;
  std::string action_message;  // the last command's outcome
  bool action_ok = true;
  bool have_validation = false;
  rollrig::v1::ValidateProfileResponse validation;
  std::string downloaded_path;  // the last run recording fetched
  uint64_t downloads = 0;       // counts finished downloads
};

// How much a client asks of rigd: the full view wants every sample and fresh status; a
// fleet tile wants little (a few rows a second, status once or twice a second).
struct RigClientPace {
  double telemetry_rate_hz = 0;   // 0 = every sample
  double poll_interval_s = 0.25;  // GetStatus and GetRun
  // The lease, device info, presets and run list: only the full view's panels show them.
  bool panels = true;
};

// Sees every batch of live telemetry points (on the telemetry thread); must be quick.
using TelemetryTap = std::function<void(const std::vector<TelemetryPoint>&)>;

struct JogCommand {
  std::optional<double> roller_rpm, head_deg, preload_n;
};

// How a pause, resume or stop of a run is asked: by its owner (nothing more), or by an admin
// forcing it on another identity's run with a reason, which rigd records; rigd refuses
// otherwise, naming the owner.
struct RunCommand {
  bool force = false;
  std::string reason;
};

class RigClient {
 public:
  // `settings` say how to reach rigd (host/client); `series` receives the live telemetry
  // and must outlive the client.
  RigClient(client::ClientSettings settings, double telemetry_rate_hz, SeriesSet* series);
  // The same at another pace; `series` may be null (no plots), `tap` sees the telemetry too.
  RigClient(client::ClientSettings settings, RigClientPace pace, SeriesSet* series,
            TelemetryTap tap = nullptr);
  ~RigClient();  // Stop()
  RigClient(const RigClient&) = delete;
  RigClient& operator=(const RigClient&) = delete;

  void Start();
  void Stop();  // cancels streams, releases the lease, joins the threads

  RigSnapshot Snapshot() const;
  const std::string& addr() const { return addr_; }
  // The channel to rigd (with the client's credentials), for other readers such as a run's
  // history.
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  // Blocks up to timeout_s until `rows` telemetry rows have arrived (screenshots, tests).
  bool WaitForTelemetry(uint64_t rows, double timeout_s) const;

  // Commands: queued, carried out in order on the command thread; the outcome shows in
  // Snapshot().action_message.
  void AcquireLease(bool force);
  void ReleaseLease();
  void Jog(const JogCommand& jog);
  void StopMotion();
  void ClearFault();
  void Validate(const rollrig::v1::ProfileSource& source);
  void StartRun(const rollrig::v1::RunSpec& spec);
  // A run belongs to whoever started it: its owner pauses, resumes and stops it without the
  // lease; another identity's run needs an admin's RunCommand::force with a reason.
  void PauseRun(const RunCommand& command = {});
  void ResumeRun(const RunCommand& command = {});
  void StopRun(const RunCommand& command = {});
  void RefreshRuns();
  // Fetches a run's recording into a temporary file (Snapshot().downloaded_path).
  void Download(const std::string& run_id, uint32_t file_index);
  // Stop category 1 at once, from its own thread; no lease needed.
  void EStop(const std::string& reason);
  uint64_t estops_sent() const { return estops_sent_.load(); }

 private:
  class CallGuard;
  void Supervise();
  void StreamTelemetry();
  void StreamEvents();
  void WatchRuns();
  void Commands();
  void EStops();
  void Enqueue(std::string what, std::function<grpc::Status(grpc::ClientContext*)> call);
  void EnqueueRunRequest(const std::string& what, const RunCommand& command,
                         grpc::Status (rollrig::v1::RigService::Stub::*call)(
                             grpc::ClientContext*, const rollrig::v1::RunRequest&,
                             rollrig::v1::RunInfo*));
  void SetAction(const std::string& what, const grpc::Status& s);
  // When a command succeeded, `store` puts its answer into the snapshot (under mu_).
  grpc::Status StoreIfOk(const grpc::Status& s, const std::function<void(RigSnapshot&)>& store);
  std::unique_ptr<grpc::ClientContext> Context(double deadline_s, bool with_lease);
  bool Connected() const;
  void SleepWhileRunning(double seconds);
  void PollOnce(bool first);

  const client::ClientSettings settings_;
  const std::string addr_;
  const RigClientPace pace_;
  SeriesSet* const series_;
  const TelemetryTap tap_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<rollrig::v1::RigService::Stub> stub_;

  std::atomic<bool> running_{false};
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  RigSnapshot snap_;
  std::string token_;
  std::set<grpc::ClientContext*> live_calls_;
  std::deque<std::pair<std::string, std::function<grpc::Status(grpc::ClientContext*)>>> queue_;
  uint64_t estop_requests_ = 0;
  std::string estop_reason_;
  std::atomic<uint64_t> estops_sent_{0};
  std::vector<std::thread> threads_;
};

}  // namespace rollrig::gui
