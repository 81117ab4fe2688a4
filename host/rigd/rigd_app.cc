#include "host/rigd/rigd_app.h"

#include <cmath>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "google/protobuf/stubs/common.h"
#include "grpcpp/grpcpp.h"
#include "host/profile_loader/profile_loader.h"
#include "host/transport/transport_factory.h"
#include "host/upload/curl_object_store.h"
#include "host/upload/upload_journal.h"

namespace rollrig::host {

RigdApp::RigdApp(RigdConfig config) : config_(std::move(config)) {}

RigdApp::~RigdApp() { Shutdown("rigd stopped"); }

absl::StatusOr<RigServerOptions> RigdApp::ServerOptions() {
  RigServerOptions options;
  options.listen = config_.listen;
  options.lab = &lab_status_;
  if (!config_.credentials_file.empty()) {
    access_ = std::make_unique<AccessControl>(config_.wall_clock);
    if (absl::Status s = access_->Load(config_.credentials_file); !s.ok()) return s;
    options.access = access_.get();
  }
  if (config_.tls) {
    absl::StatusOr<TlsServerPem> pem = LoadTlsServerFiles(*config_.tls);
    if (!pem.ok()) return pem.status();
    options.tls = *std::move(pem);
  }
  return options;
}

absl::Status RigdApp::ReloadCredentials() {
  if (!access_) {
    return absl::FailedPreconditionError("rigd runs without --credentials; nothing to reload");
  }
  const size_t before = access_->size();
  const absl::Status loaded = access_->Load(config_.credentials_file);
  rollrig::v1::RigEvent event;
  event.set_kind(rollrig::v1::RIG_EVENT_CREDENTIALS);
  event.set_message(loaded.ok() ? absl::StrCat("credentials reloaded: ", access_->size(),
                                               " in force (were ", before, ")")
                                : absl::StrCat("credentials not reloaded, the previous ", before,
                                               " stay in force: ", loaded.message()));
  device_->events().Publish(std::move(event));
  return loaded;
}

MetricsServerOptions RigdApp::MetricsOptions() const {
  MetricsServerOptions options;
  options.listen = config_.metrics_listen;
  options.tls_cert = config_.metrics_tls_cert;
  options.tls_key = config_.metrics_tls_key;
  options.auth_file = config_.metrics_auth_file;
  return options;
}

void RigdApp::NoteLabProblem(const std::string& source, const std::string& problem) {
  if (!lab_status_.SetProblem(source, problem)) return;
  const std::string message =
      problem.empty() ? absl::StrCat(source, ": the problem is gone") : problem;
  rollrig::v1::RigEvent event;
  event.set_kind(rollrig::v1::RIG_EVENT_LAB);
  event.set_message(message);
  device_->events().Publish(std::move(event));
  config_.log(message);
}

absl::Status RigdApp::StartMetrics(uint64_t disk_reserve_bytes) {
  RigMetricsSources sources;
  sources.device = device_.get();
  sources.runs = runs_.get();
  sources.runs_dir = runs_dir_;
  sources.disk_reserve_bytes = disk_reserve_bytes;
  if (uploads_) {
    sources.uploads = [service = uploads_.get()] { return service->Status(false); };
  } else if (config_.uploads) {
    sources.uploads = [uploads = config_.uploads] { return uploads(false); };
  }
  sources.build = {config_.host_version, grpc::Version(),
                   google::protobuf::internal::VersionString(GOOGLE_PROTOBUF_VERSION)};
  if (config_.device == "sim") sources.serial = config_.sim.serial;
  sources.on_problem = [this](const std::string& source, const std::string& problem) {
    NoteLabProblem(absl::StrCat("metrics ", source), problem);
  };
  collector_ = std::make_shared<RigCollector>(std::move(sources));
  absl::StatusOr<std::unique_ptr<MetricsServer>> server =
      MetricsServer::Start(MetricsOptions(), collector_);
  if (!server.ok()) {
    collector_.reset();
    return server.status();
  }
  metrics_ = *std::move(server);
  lab_status_.SetMetricsAddress(metrics_->public_url());
  return absl::OkStatus();
}

absl::Status RigdApp::Start() {
  absl::StatusOr<RigServerOptions> server_options = ServerOptions();
  if (!server_options.ok()) return server_options.status();
  if (absl::Status s = CheckListenAddress(*server_options); !s.ok()) return s;
  if (!config_.metrics_listen.empty()) {
    if (absl::Status s = CheckMetricsListen(MetricsOptions()); !s.ok()) return s;
  }
  if (config_.uploads) lab_status_.SetUploads(config_.uploads);  // StartUploads sets its own
  absl::StatusOr<std::unique_ptr<Transport>> transport =
      MakeTransport(config_.device, config_.sim, config_.sim_clock, ProgramOf);
  if (!transport.ok()) return transport.status();
  runs_dir_ = config_.runs_dir.empty() ? DefaultRunsDir() : config_.runs_dir;
  absl::StatusOr<std::unique_ptr<RunStore>> store = RunStore::Open(runs_dir_);
  if (!store.ok()) return store.status();
  store_ = *std::move(store);
  device_ = std::make_unique<DeviceClient>(*std::move(transport), config_.client);
  device_->Start();
  lease_ = std::make_unique<LeaseManager>(&device_->events(), RealClock());
  RunManagerOptions run_options;
  run_options.host_version = config_.host_version;
  run_options.recorder.rotate_after = config_.recording_rotate_after;
  runs_ = std::make_unique<RunManager>(device_.get(), store_.get(), lease_.get(), run_options);
  runs_->Start();
  if (config_.upload) StartUploads();
  if (!config_.metrics_listen.empty()) {
    if (absl::Status s = StartMetrics(run_options.recorder.reserve_bytes); !s.ok()) {
      if (uploads_) uploads_->Stop();
      runs_->Shutdown("rigd could not serve /metrics");
      device_->Stop();
      return s;
    }
  }
  server_ = std::make_unique<RigServer>(device_.get(), runs_.get(), lease_.get(),
                                        *std::move(server_options));
  if (absl::Status s = server_->Start(); !s.ok()) {
    metrics_.reset();
    collector_.reset();
    if (uploads_) uploads_->Stop();
    runs_->Shutdown("rigd could not serve");
    device_->Stop();
    server_.reset();
    return s;
  }
  started_ = true;
  if (config_.resume_interrupted) {
    resumer_ = std::make_unique<InterruptedRunResumer>(device_.get(), runs_.get(), config_.log);
    resumer_->Start();
  }
  return absl::OkStatus();
}

void RigdApp::StartUploads() {
  const RigdUploadConfig& u = *config_.upload;
  upload::CurlStoreOptions store;
  store.endpoint = u.endpoint;
  store.bucket = u.location.bucket;
  store.credentials = u.credentials;
  store.max_send_bytes_per_s = u.max_send_bytes_per_s;
  upload::UploadOptions options;
  options.location = u.location;
  options.endpoint = u.endpoint;
  options.runs_dir = runs_dir_;
  options.keep_local = u.keep_local;
  options.multipart_threshold = u.multipart_threshold;
  options.part_size = u.part_size;
  options.backoff_max = u.backoff_max;
  options.bandwidth_limit_bytes_per_s = static_cast<double>(u.max_send_bytes_per_s);
  options.jitter_seed = static_cast<uint64_t>(UnixNanosNow());
  options.publish = [this](rollrig::v1::RigEvent e) { device_->events().Publish(std::move(e)); };
  options.log = config_.log;
  RunManager* runs = runs_.get();
  upload::RunsSource source{[runs] { return runs->List(); }, [runs] { return runs->version(); }};
  uploads_ = std::make_unique<upload::UploadService>(
      std::make_unique<upload::CurlObjectStore>(store),
      std::make_unique<upload::DirectoryJournal>(upload::JournalDir(runs_dir_, u.location)),
      std::move(source), std::move(options), u.poll_period);
  upload::UploadService* service = uploads_.get();
  lab_status_.SetUploads([service](bool with_items) { return service->Status(with_items); },
                         [service] { return service->Problems(); });
  uploads_->Start();
}

// A controlled ramp-down, then bridge off; waits (bounded) for standstill so the roller is
// not left turning on the device's watchdog alone.
void RigdApp::StopMotors() {
  const DeviceSnapshot before = device_->Snapshot();
  if (before.connection != rollrig::v1::CONNECTION_STATE_CONNECTED) return;
  rollrig::v1::HostMessage stop;
  stop.mutable_stop();
  if (absl::Status s = device_->SendCommandAndWait(stop);
      !s.ok() && !absl::IsFailedPrecondition(s)) {
    std::cerr << "rigd: stop command failed: " << s.message() << "; e-stopping" << std::endl;
    rollrig::v1::HostMessage estop;
    estop.mutable_estop()->set_reason("rigd shutting down");
    (void)device_->SendCommandAndWait(estop);
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(3);
  while (absl::Now() < deadline) {
    const DeviceSnapshot snap = device_->Snapshot();
    if (snap.connection != rollrig::v1::CONNECTION_STATE_CONNECTED) return;
    if (snap.have_last && std::fabs(snap.last.roller_rpm) < 0.5 &&
        snap.state != rollrig::v1::DEVICE_STATE_ACTIVE &&
        snap.state != rollrig::v1::DEVICE_STATE_STOPPING) {
      std::cerr << "rigd: motors stopped" << std::endl;
      return;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  std::cerr << "rigd: the roller did not report standstill within 3 s; the device watchdog "
               "takes over"
            << std::endl;
}

void RigdApp::Shutdown(const std::string& reason) {
  if (!started_) return;
  started_ = false;
  resumer_.reset();  // ends its wait for the device before the runs stop
  runs_->Shutdown(reason);
  if (uploads_) uploads_->Stop();  // after the runs: their last files are queued next start
  StopMotors();
  metrics_.reset();
  collector_.reset();
  server_->Shutdown();
  device_->Stop();
}

}  // namespace rollrig::host
