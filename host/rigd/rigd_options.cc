#include "host/rigd/rigd_options.h"

#include "absl/strings/str_cat.h"
#include "host/upload/upload_flags.h"
#include "rig/base/command_line.h"

namespace rollrig::host {
namespace {

const std::vector<OptionSpec>& RigdOptionSpecs() {
  static const std::vector<OptionSpec> kOptions = {
      {"--device", "sim|tcp:HOST:PORT|usb|usb:SERIAL|replay:FILE",
       "the massager to drive: sim (default, simulated in this process),\n"
       "tcp:HOST:PORT (a rig-sim process), usb (the first USB device\n"
       "1209:0001), usb:SERIAL (the one with that serial number), or\n"
       "replay:FILE.mcap (a run's recording played back as the device from\n"
       "the run's StartProgram; replay-fast:FILE.mcap as fast as rigd reads).\n"
       "With usb, rigd serves while no device is plugged in (status says it\n"
       "is waiting) and picks the device up when it arrives"},
      {"--listen", "HOST:PORT",
       "gRPC address (default 127.0.0.1:50051); an address beyond loopback\n"
       "(e.g. 0.0.0.0:50051) needs --tls-cert, --tls-key and --credentials"},
      {"--tls-cert", "FILE", "serve TLS with this PEM certificate (chain); needs --tls-key"},
      {"--tls-key", "FILE", "the certificate's PEM private key (unencrypted)"},
      {"--tls-client-ca", "FILE",
       "ask clients for a certificate signed by this PEM CA and verify it if\n"
       "given; its subject is matched against the credentials' cert: lines\n"
       "(clients with a token need no certificate)"},
      {"--credentials", "FILE",
       "who may call rigd, one per line: ROLE IDENTITY sha256:HEX\n"
       "[expires=YYYY-MM-DD] or ROLE IDENTITY cert:SUBJECT (ROLE: observer,\n"
       "operator, admin); applies on loopback too; re-read on SIGHUP"},
      {"--seed", "N", "simulator noise seed (default 1)"},
      {"--tick-hz", "HZ", "simulator control tick, 1000..10000 (default 1000)"},
      {"--serial", "S", "simulator serial number (default SIM-0001)"},
      {"--runs-dir", "DIR",
       "where runs are kept (default $XDG_DATA_HOME/rollrig/runs, i.e.\n"
       "~/.local/share/rollrig/runs); one rigd per directory"},
      {"--resume-interrupted", "",
       "at start, resume the newest interrupted run (rigd crashed, lost power or\n"
       "was stopped under it) once the device is connected, as rigctl run\n"
       "--resume ID does; logged and published as an event; if it fails, says\n"
       "why and the run stays interrupted"},
      {"--metrics-listen", "HOST:PORT",
       "serve Prometheus metrics at http(s)://HOST:PORT/metrics (default: off);\n"
       "beyond loopback (e.g. 0.0.0.0:9464) only with --metrics-tls-cert,\n"
       "--metrics-tls-key and --metrics-auth; a port already taken stops rigd\n"
       "from starting"},
      {"--metrics-tls-cert", "FILE",
       "serve /metrics over TLS (1.2+) with this PEM certificate (chain); needs\n"
       "--metrics-tls-key (may be the same files as --tls-cert/--tls-key)"},
      {"--metrics-tls-key", "FILE", "the metrics certificate's PEM private key (unencrypted)"},
      {"--metrics-auth", "FILE",
       "basic auth for /metrics, one USER:HASH per line, HASH = sha256:HEX\n"
       "(printf %s PASSWORD | sha256sum) or a bcrypt hash (htpasswd -nB USER)"},
      {"--upload", "s3://BUCKET/PREFIX",
       "upload every closed recording and each ended run's manifest to\n"
       "S3-compatible storage, as PREFIX/SERIAL/RUN_ID/FILE, verified (size and\n"
       "checksum); queued on disk (RUNS_DIR/.uploads), retried while the store\n"
       "is down. Credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_REGION\n"
       "or --s3-credentials; see rigctl uploads"},
      {"--s3-endpoint", "URL",
       "the store, http(s)://HOST[:PORT], path-style requests (default AWS:\n"
       "https://s3.REGION.amazonaws.com)"},
      {"--s3-credentials", "FILE",
       "an AWS shared credentials file ([default] aws_access_key_id,\n"
       "aws_secret_access_key, region)"},
      {"--keep-local", "DURATION",
       "keep a recording this long after its verified upload, then delete the\n"
       "local copy (default 7d; 0 = at once; e.g. 12h, 30d)"},
      {"--upload-max-rate", "BYTES/S", "cap upload bandwidth (e.g. 4M; default no cap)"},
      {"--help", "", "this help"},
      {"-h", "", ""},
  };
  return kOptions;
}

absl::Status CheckMetricsOptions(const RigdOptions& o) {
  if (o.metrics_tls_cert.empty() != o.metrics_tls_key.empty()) {
    return absl::InvalidArgumentError(
        "--metrics-tls-cert and --metrics-tls-key go together: give both");
  }
  if (o.metrics_listen.empty() && (!o.metrics_tls_cert.empty() || !o.metrics_auth.empty())) {
    return absl::InvalidArgumentError(
        "--metrics-tls-cert, --metrics-tls-key and --metrics-auth need --metrics-listen "
        "HOST:PORT (metrics are off without it)");
  }
  return absl::OkStatus();
}

absl::Status ReadUploadOptions(const CommandLine& line, RigdOptions* o) {
  const std::string url = line.value("--upload", "");
  if (url.empty()) {
    for (const char* name :
         {"--s3-endpoint", "--s3-credentials", "--keep-local", "--upload-max-rate"}) {
      if (!line.value(name, "").empty()) {
        return absl::InvalidArgumentError(absl::StrCat(name, " needs --upload s3://BUCKET/PREFIX"));
      }
    }
    return absl::OkStatus();
  }
  absl::StatusOr<upload::S3Location> location = upload::ParseS3Url(url);
  if (!location.ok()) return location.status();
  o->upload = *location;
  if (const std::string endpoint = line.value("--s3-endpoint", ""); !endpoint.empty()) {
    absl::StatusOr<std::string> normalized = upload::NormalizeEndpoint(endpoint);
    if (!normalized.ok()) return normalized.status();
    o->s3_endpoint = *normalized;
  }
  o->s3_credentials = line.value("--s3-credentials", "");
  if (const std::string keep = line.value("--keep-local", ""); !keep.empty()) {
    absl::StatusOr<absl::Duration> d = upload::ParseKeepLocal(keep);
    if (!d.ok()) return d.status();
    o->keep_local = *d;
  }
  if (const std::string rate = line.value("--upload-max-rate", ""); !rate.empty()) {
    absl::StatusOr<uint64_t> r = upload::ParseByteRate(rate);
    if (!r.ok()) return r.status();
    o->upload_max_rate = *r;
  }
  return absl::OkStatus();
}

}  // namespace

std::string RigdUsage() { return CommandLineHelp("rigd", RigdOptionSpecs()); }

absl::StatusOr<RigdOptions> ParseRigdOptions(const std::vector<std::string>& args) {
  absl::StatusOr<CommandLine> line = ParseCommandLine(args, 0, RigdOptionSpecs(), {});
  if (!line.ok()) return line.status();
  RigdOptions o;
  o.help = line->flag("--help") || line->flag("-h");
  o.resume_interrupted = line->flag("--resume-interrupted");
  o.device = line->value("--device", o.device);
  o.listen = line->value("--listen", o.listen);
  o.tls_cert = line->value("--tls-cert", o.tls_cert);
  o.tls_key = line->value("--tls-key", o.tls_key);
  o.tls_client_ca = line->value("--tls-client-ca", o.tls_client_ca);
  o.credentials = line->value("--credentials", o.credentials);
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together: give both");
  }
  if (!o.tls_client_ca.empty() && o.tls_cert.empty()) {
    return absl::InvalidArgumentError("--tls-client-ca needs --tls-cert and --tls-key");
  }
  o.metrics_listen = line->value("--metrics-listen", o.metrics_listen);
  o.metrics_tls_cert = line->value("--metrics-tls-cert", o.metrics_tls_cert);
  o.metrics_tls_key = line->value("--metrics-tls-key", o.metrics_tls_key);
  o.metrics_auth = line->value("--metrics-auth", o.metrics_auth);
  if (absl::Status s = CheckMetricsOptions(o); !s.ok()) return s;
  o.runs_dir = line->value("--runs-dir", o.runs_dir);
  o.serial = line->value("--serial", o.serial);
  if (absl::Status s =
          line->ReadInteger<uint64_t>("--seed", 0, UINT64_MAX, &o.seed, "a whole number >= 0");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = line->ReadInteger<uint32_t>("--tick-hz", 1000, 10000, &o.tick_hz); !s.ok()) {
    return s;
  }
  if (absl::Status s = ReadUploadOptions(*line, &o); !s.ok()) return s;
  return o;
}

}  // namespace rollrig::host
