// rigd: owns the device, runs profiles, serves rollrig.v1.RigService on gRPC.
#include <pthread.h>
#include <signal.h>

#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "host/rigd/rigd_app.h"
#include "host/rigd/rigd_options.h"

namespace rollrig::host {
namespace {

void Log(const std::string& line) { std::cerr << "rigd: " << line << std::endl; }

// --upload's settings, with the credentials from --s3-credentials or the environment.
absl::StatusOr<RigdUploadConfig> UploadConfigOf(const RigdOptions& options) {
  absl::StatusOr<upload::S3Credentials> credentials =
      upload::LoadS3Credentials(options.s3_credentials, upload::ProcessEnvironment());
  if (!credentials.ok()) return credentials.status();
  RigdUploadConfig u;
  u.location = *options.upload;
  u.credentials = *std::move(credentials);
  u.endpoint = options.s3_endpoint.empty()
                   ? absl::StrCat("https://s3.", u.credentials.region, ".amazonaws.com")
                   : options.s3_endpoint;
  u.keep_local = options.keep_local;
  u.max_send_bytes_per_s = options.upload_max_rate;
  return u;
}

int Main(int argc, char** argv) {
  absl::StatusOr<RigdOptions> options =
      ParseRigdOptions(std::vector<std::string>(argv + 1, argv + argc));
  if (!options.ok()) {
    std::cerr << "rigd: " << options.status().message() << "\n" << RigdUsage();
    return 2;
  }
  if (options->help) {
    std::cout << RigdUsage();
    return 0;
  }

  // Signals are taken by this thread with sigwait(); every other thread has them blocked.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  RigdConfig config;
  config.device = options->device;
  config.sim.seed = options->seed;
  config.sim.serial = options->serial;
  config.sim.firmware.tick_hz = options->tick_hz;
  config.listen = options->listen;
  if (!options->tls_cert.empty()) {
    config.tls = TlsServerFiles{options->tls_cert, options->tls_key, options->tls_client_ca};
  }
  config.credentials_file = options->credentials;
  config.runs_dir = options->runs_dir;
  config.client.host_name = "rigd";
  config.host_version = ROLLRIG_VERSION;
  config.resume_interrupted = options->resume_interrupted;
  config.metrics_listen = options->metrics_listen;
  config.metrics_tls_cert = options->metrics_tls_cert;
  config.metrics_tls_key = options->metrics_tls_key;
  config.metrics_auth_file = options->metrics_auth;
  config.log = [](const std::string& message) { Log(message); };
  if (options->upload) {
    absl::StatusOr<RigdUploadConfig> upload = UploadConfigOf(*options);
    if (!upload.ok()) {
      std::cerr << "rigd: " << upload.status().message() << "\n";
      return 2;
    }
    config.upload = *std::move(upload);
  }
  RigdApp app(config);
  if (absl::Status s = app.Start(); !s.ok()) {
    std::cerr << "rigd: " << s.message() << "\n";
    return absl::IsInvalidArgument(s) ? 2 : 1;
  }
  if (absl::Status s = app.device().WaitConnected(absl::Seconds(3)); s.ok()) {
    const DeviceSnapshot snap = app.device().Snapshot();
    Log(absl::StrCat("device ", snap.transport, ": ", snap.info->vendor(), " ", snap.info->model(),
                     " serial ", snap.info->serial(), ", firmware ",
                     snap.info->firmware_version()));
  } else {
    Log(absl::StrCat("device ", options->device, " not connected yet (", s.message(),
                     "); serving anyway and retrying"));
  }
  if (config.upload) {
    Log(absl::StrCat("uploading recordings to ",
                     upload::DescribeDestination(config.upload->location, config.upload->endpoint),
                     " (credentials from ", config.upload->credentials.source, ", region ",
                     config.upload->credentials.region, "); local copies kept ",
                     absl::FormatDuration(config.upload->keep_local), " after upload"));
  }
  Log(absl::StrCat(
      "serving rollrig.v1.RigService on ", app.address(), options->tls_cert.empty() ? "" : " (TLS)",
      options->credentials.empty() ? "" : ", with credentials", "; runs in ", app.runs_dir()));
  if (!app.metrics_url().empty()) Log(absl::StrCat("serving metrics at ", app.metrics_url()));

  int signal_number = 0;
  while (sigwait(&signals, &signal_number) == 0 && signal_number == SIGHUP) {
    const absl::Status reloaded = app.ReloadCredentials();
    Log(reloaded.ok() ? "SIGHUP: credentials reloaded"
                      : absl::StrCat("SIGHUP: ", reloaded.message(),
                                     absl::IsFailedPrecondition(reloaded)
                                         ? ""
                                         : "; the previous credentials stay in force"));
  }
  const std::string name = signal_number == SIGINT ? "SIGINT" : "SIGTERM";
  Log(name + " received: stopping the motors, then shutting down");
  app.Shutdown(absl::StrCat("rigd stopped by ", name));
  Log("stopped");
  return 0;
}

}  // namespace
}  // namespace rollrig::host

int main(int argc, char** argv) { return rollrig::host::Main(argc, argv); }
