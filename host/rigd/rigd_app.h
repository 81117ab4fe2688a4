// rigd assembled: the device client on a transport, the runs store and manager, the
// control lease and the gRPC server. main() runs one; tests and benchmarks run others
// in-process on free ports and private runs directories.
//
// Thread safety: Start/Shutdown from one controlling thread; the parts are thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "host/device/device_client.h"
#include "host/metrics/metrics_server.h"
#include "host/metrics/rig_collector.h"
#include "host/rigd/rigd_lab_status.h"
#include "host/runs/interrupted_run_resumer.h"
#include "host/runs/lease_manager.h"
#include "host/runs/run_manager.h"
#include "host/runs/run_store.h"
#include "host/security/access_control.h"
#include "host/security/tls_files.h"
#include "host/service/rig_server.h"
#include "host/upload/s3_credentials.h"
#include "host/upload/s3_location.h"
#include "host/upload/upload_service.h"
#include "rig/base/clock.h"
#include "rig/sim/simulated_device.h"

namespace rollrig::host {

// Recordings to S3-compatible storage (rigd --upload).
struct RigdUploadConfig {
  upload::S3Location location;
  std::string endpoint;  // http(s)://HOST[:PORT]
  upload::S3Credentials credentials;
  absl::Duration keep_local = absl::Hours(24 * 7);
  uint64_t max_send_bytes_per_s = 0;  // 0 = no cap
  // Tests shorten these.
  uint64_t multipart_threshold = uint64_t{16} << 20;
  uint64_t part_size = uint64_t{8} << 20;
  absl::Duration backoff_max = absl::Seconds(30);
  absl::Duration poll_period = absl::Seconds(1);
};

struct RigdConfig {
  std::string device = "sim";              // sim | tcp:HOST:PORT
  sim::SimOptions sim;                     // for --device sim
  Clock* sim_clock = RealClock();          // for --device sim; must outlive the app
  std::string listen = "127.0.0.1:50051";  // port 0 picks a free one
  std::optional<TlsServerFiles> tls;       // nullopt: plaintext (loopback only)
  std::string credentials_file;            // "": no credentials (loopback only)
  Clock* wall_clock = WallClock();         // for credential expiry; must outlive the app
  std::string runs_dir;                    // "" = DefaultRunsDir()
  DeviceClientOptions client;
  std::string host_version = "0.1.0";
  // A run's recording goes on in a new file after this much time (tests shorten it).
  absl::Duration recording_rotate_after = absl::Hours(1);
  // Resume the newest interrupted run at start, once the device is connected
  // (InterruptedRunResumer); messages go to `log`.
  bool resume_interrupted = false;
  // Upload every closed recording (and each ended run's manifest); nullopt = no uploads.
  std::optional<RigdUploadConfig> upload;
  std::function<void(const std::string&)> log = [](const std::string&) {};
  // /metrics (host/metrics): "" = not served; beyond loopback it needs the TLS pair and
  // the auth file (MetricsServerOptions).
  std::string metrics_listen;
  std::string metrics_tls_cert;
  std::string metrics_tls_key;
  std::string metrics_auth_file;
  // Without `upload`: another upload queue's status (with or without its items) for
  // GetStatus, GetUploads and metrics (tests); empty = uploads off.
  std::function<rollrig::v1::UploadStatus(bool with_items)> uploads;
};

class RigdApp {
 public:
  explicit RigdApp(RigdConfig config);
  ~RigdApp();  // Shutdown()s

  // Reads the credentials and TLS files, checks the listen address, locks the runs
  // directory, connects to the device in the background and serves. Errors name what
  // failed (a credentials file's line, a TLS file, port taken, runs directory in use,
  // unknown device).
  absl::Status Start();
  // Re-reads the credentials file (on SIGHUP): the new table applies at once to new calls
  // and open streams; on an error the previous table stays. Either way publishes a
  // RIG_EVENT_CREDENTIALS saying so (naming the line on an error). FAILED_PRECONDITION
  // when rigd runs without --credentials.
  absl::Status ReloadCredentials();
  // Stops an active run (controlled ramp-down, marked interrupted with `reason`), stops
  // the motors, ends streams, stops serving and disconnects. Idempotent.
  void Shutdown(const std::string& reason);

  std::string address() const { return server_ ? server_->address() : ""; }
  // "http(s)://HOST:PORT/metrics", or "" when not served.
  std::string metrics_url() const { return metrics_ ? metrics_->url() : ""; }
  const std::string& runs_dir() const { return runs_dir_; }
  DeviceClient& device() { return *device_; }
  RunManager& runs() { return *runs_; }
  LeaseManager& lease() { return *lease_; }
  // With resume_interrupted: its try at resuming (nullptr without).
  InterruptedRunResumer* resumer() { return resumer_.get(); }
  // With uploads: the queue (nullptr without).
  upload::UploadService* uploads() { return uploads_.get(); }
  // What GetStatus and GetUploads report of the lab services.
  RigdLabStatus& lab_status() { return lab_status_; }

 private:
  void StopMotors();
  // The credentials and TLS of the server, from the files of the config.
  absl::StatusOr<RigServerOptions> ServerOptions();
  MetricsServerOptions MetricsOptions() const;
  // The collector and /metrics (with config_.metrics_listen); the recorder's reserve is
  // exported beside the runs directory's free space.
  absl::Status StartMetrics(uint64_t disk_reserve_bytes);
  void NoteLabProblem(const std::string& source, const std::string& problem);
  // The upload queue over the runs, its events on the device's hub.
  void StartUploads();

  RigdConfig config_;
  std::string runs_dir_;
  std::unique_ptr<AccessControl> access_;
  std::unique_ptr<RunStore> store_;
  std::unique_ptr<DeviceClient> device_;
  std::unique_ptr<LeaseManager> lease_;
  std::unique_ptr<RunManager> runs_;
  // Before lab_status_ and the metrics, which read it.
  std::unique_ptr<upload::UploadService> uploads_;
  RigdLabStatus lab_status_;
  std::shared_ptr<RigCollector> collector_;
  std::unique_ptr<MetricsServer> metrics_;
  std::unique_ptr<RigServer> server_;
  std::unique_ptr<InterruptedRunResumer> resumer_;
  bool started_ = false;
};

}  // namespace rollrig::host
