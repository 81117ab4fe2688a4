// rigctl: status, jog, watch, stop, estop, clear.
#include <chrono>
#include <cmath>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "enum_names.h"
#include "google/protobuf/util/json_util.h"
#include "host/rigctl/commands.h"
#include "host/rigctl/interrupt.h"
#include "host/rigctl/json_text.h"
#include "host/rigctl/options.h"
#include "host/rigctl/run_owner.h"
#include "host/rigctl/telemetry_text.h"
#include "host/rigctl/upload_text.h"
#include "rig/base/bounded_text.h"
#include "rig/base/duration_text.h"

namespace rollrig::host::rigctl {
namespace {

void PrintStatus(Session& s, const rollrig::v1::RigStatus& st, const rollrig::v1::LeaseInfo& lease,
                 const std::optional<rollrig::v1::RunInfo>& run) {
  std::ostream& out = s.out();
  const auto& d = st.device();
  out << "rigd:        " << s.addr() << "\n";
  out << "device:      " << st.transport() << ", "
      << rollrig::v1::ConnectionStateDisplayName(st.connection());
  if (!st.detail().empty()) out << " (" << st.detail() << ")";
  out << "\n";
  if (!d.serial().empty()) {
    out << "             " << d.vendor() << " " << d.model() << " serial " << d.serial()
        << ", firmware " << d.firmware_version() << (d.simulated() ? ", simulated" : "") << "\n";
  }
  out << "state:       " << rollrig::v1::StateDisplayName(st.state()) << "\n";
  out << "faults:      "
      << (st.fault_names().empty() ? "none" : absl::StrJoin(st.fault_names(), ", ")) << "\n";
  out << "interlocks:  "
      << (st.interlock_names().empty() ? "none" : absl::StrJoin(st.interlock_names(), ", "))
      << "\n";
  out << "control:     "
      << (lease.held() ? absl::StrCat(lease.holder(), " (", lease.client(), ")")
                       : "nobody (the lease is free)")
      << "\n";
  if (run) {
    const auto& p = run->progress();
    out << absl::StrFormat("run:         %s %s, cycle %d%s, %s\n", run->id(),
                           rollrig::v1::RunStateDisplayName(run->state()), p.cycle(),
                           p.cycles_total() ? absl::StrCat("/", p.cycles_total()) : "",
                           rollrig::v1::SegmentDisplayText(p.segment(), p.segment_label()));
    if (!run->started_by().empty()) out << "owner:       " << OwnerText(*run) << "\n";
  }
  if (st.uploads().enabled()) out << "uploads:     " << UploadSummaryLine(st.uploads()) << "\n";
  for (const std::string& problem : st.lab_problems()) out << "lab problem: " << problem << "\n";
  const auto& l = st.last();
  out << absl::StrFormat("roller:      %8.2f rpm   (command %.2f, target %.2f)\n", l.roller_rpm(),
                         l.roller_rpm_cmd(), st.roller_rpm_target());
  out << absl::StrFormat("head:        %8.2f deg   (command %.2f, target %.2f)\n", l.head_deg(),
                         l.head_deg_cmd(), st.head_deg_target());
  out << absl::StrFormat("force:       %8.2f N     (preload %.2f, target %.2f)\n", l.force_n(),
                         l.preload_cmd_n(), st.preload_n_target());
  out << absl::StrFormat("torque:      %8.3f N·m   current %.3f A, winding %.1f °C\n",
                         l.torque_nm(), l.current_a(), l.temp_c());
  out << absl::StrFormat(
      "telemetry:   %d samples, %d lost, %d frames dropped, device time %.3f s\n",
      st.samples_received(), st.samples_lost(), st.frames_dropped(), l.t_s());
  if (!st.metrics_address().empty()) out << "metrics:     " << st.metrics_address() << "\n";
}

void PrintRow(std::ostream& out, const rollrig::v1::TelemetryRow& r, bool csv, size_t index) {
  const ChannelFields& fields = DisplayFieldsOf<rollrig::v1::TelemetryRow>();
  if (csv) {
    out << absl::StrFormat("%.4f,%s,%d,%d\n", r.t_s(), ChannelCsvCells(r, fields), r.seq(),
                           r.drops());
    return;
  }
  if (index % 25 == 0) {
    out << absl::StrFormat("%10s%s %10s %6s\n", "t_s", ChannelTableHeadings(), "seq", "drops");
  }
  out << absl::StrFormat("%10.3f%s %10d %6d\n", r.t_s(), ChannelTableCells(r, fields), r.seq(),
                         r.drops());
}

}  // namespace

int StatusCommand(Session& s, const Args& args) {
  Options o;
  if (auto e = ParseOptions(args, 0, {}, {"--json"}, 0, &o)) return s.Usage(*e);
  if (!s.Connect()) return s.failure();
  rollrig::v1::RigStatus st;
  grpc::Status rpc = s.stub().GetStatus(s.Context().get(), rollrig::v1::GetStatusRequest(), &st);
  if (!rpc.ok()) return s.Failed("status", rpc);
  if (o.flag("--json")) {
    s.out() << MessageJson(st);
    return kExitOk;
  }
  rollrig::v1::LeaseInfo lease;
  (void)s.stub().GetLease(s.Context().get(), rollrig::v1::GetLeaseRequest(), &lease);
  std::optional<rollrig::v1::RunInfo> run;
  rollrig::v1::RunInfo info;
  if (s.stub().GetRun(s.Context().get(), rollrig::v1::RunRequest(), &info).ok() &&
      rollrig::v1::RunIsActive(info.state())) {
    run = info;
  }
  PrintStatus(s, st, lease, run);
  return kExitOk;
}

int JogCommand(Session& s, const Args& args) {
  Options o;
  if (auto e = ParseOptions(args, 0, {"--roller-rpm", "--head-deg", "--preload-n", "--head-rate"},
                            {}, 0, &o)) {
    return s.Usage(*e);
  }
  std::optional<double> rpm, head, preload, rate;
  for (auto [name, slot] : {std::pair{"--roller-rpm", &rpm}, std::pair{"--head-deg", &head},
                            std::pair{"--preload-n", &preload}, std::pair{"--head-rate", &rate}}) {
    if (auto e = ParseNumber(o, name, slot)) return s.Usage(*e);
  }
  if (!rpm && !head && !preload) {
    return s.Usage("jog needs at least one of --roller-rpm, --head-deg, --preload-n");
  }
  if (!s.Connect()) return s.failure();
  rollrig::v1::JogRequest req;
  if (rpm) req.set_roller_rpm(*rpm);
  if (head) req.set_head_deg(*head);
  if (preload) req.set_preload_n(*preload);
  if (rate) req.set_head_max_rate_dps(*rate);
  rollrig::v1::JogResponse resp;
  grpc::Status rpc =
      s.Control([&](grpc::ClientContext* ctx) { return s.stub().Jog(ctx, req, &resp); });
  if (!rpc.ok()) return s.Failed("jog", rpc);
  std::vector<std::string> parts;
  if (rpm) parts.push_back(absl::StrFormat("roller %g rpm", *rpm));
  if (head) parts.push_back(absl::StrFormat("head %g deg", *head));
  if (preload) parts.push_back(absl::StrFormat("preload %g N", *preload));
  s.out() << "jog: " << absl::StrJoin(parts, ", ")
          << " (stays in force until changed or stopped)\n";
  return kExitOk;
}

int WatchCommand(Session& s, const Args& args) {
  Options o;
  if (auto e = ParseOptions(args, 0, {"--duration", "--rate", "--format"}, {}, 0, &o)) {
    return s.Usage(*e);
  }
  // Without --duration: until Ctrl-C.
  std::optional<double> duration;
  if (o.has("--duration")) {
    absl::StatusOr<double> d = ParseDurationSeconds(o.value("--duration"));
    if (!d.ok()) return s.Usage(std::string(d.status().message()));
    duration = *d;
  }
  double rate = 100;
  if (o.has("--rate")) {
    std::optional<double> r;
    if (auto e = ParseNumber(o, "--rate", &r)) return s.Usage(*e);
    if (*r < 0 || *r > 100000)
      return s.Usage("--rate must be between 0 (every sample) and 100000 Hz");
    rate = *r;
  }
  const std::string format = o.value("--format", "table");
  if (format != "table" && format != "csv") {
    return s.Usage(absl::StrCat("invalid --format '", format, "': expected table or csv"));
  }
  if (!s.Connect()) return s.failure();

  grpc::ClientContext ctx;
  InterruptCatcher catcher;  // after ctx: it may cancel ctx until it goes
  catcher.CancelOnInterrupt(&ctx);
  if (duration) {
    // Wall-clock bound: the duration plus slack, so a silent device cannot hang rigctl.
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::milliseconds(static_cast<int64_t>(*duration * 1000) + 5000));
  }
  rollrig::v1::StreamTelemetryRequest req;
  req.set_rate_hz(rate);
  auto reader = s.stub().StreamTelemetry(&ctx, req);
  const bool csv = format == "csv";
  if (csv) {
    s.out() << "t_s," << ChannelCsvHeader() << ",seq,drops\n";
  }
  const double interval = rate > 0 ? 1.0 / rate : 0;
  bool have_first = false;
  double first_t = 0;
  size_t rows = 0;
  bool done = false;
  rollrig::v1::TelemetryChunk chunk;
  while (!done && reader->Read(&chunk)) {
    for (const auto& r : chunk.rows()) {
      if (!have_first) {
        have_first = true;
        first_t = r.t_s() - interval;
      }
      if (duration && r.t_s() - first_t > *duration + 1e-9) {
        done = true;
        break;
      }
      PrintRow(s.out(), r, csv, rows++);
    }
    s.out().flush();
    done = done || InterruptCatcher::Count() > 0;
  }
  if (done) ctx.TryCancel();
  grpc::Status rpc = reader->Finish();
  const bool interrupted = InterruptCatcher::Count() > 0;
  if (!done && !interrupted && !rpc.ok() &&
      rpc.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) {
    return s.Failed("watch", rpc);
  }
  if (rows == 0 && !interrupted) {
    s.err() << "rigctl: watch: no telemetry arrived (is the device connected?)\n";
  }
  return kExitOk;
}

int StopCommand(Session& s, const Args& args) {
  Options o;
  if (auto e = ParseOptions(args, 0, {"--reason"}, {}, 0, &o)) return s.Usage(*e);
  if (!s.Connect()) return s.failure();
  rollrig::v1::RunInfo run;
  if (s.stub().GetRun(s.Context().get(), rollrig::v1::RunRequest(), &run).ok() &&
      (run.state() == rollrig::v1::RUN_STATE_RUNNING ||
       run.state() == rollrig::v1::RUN_STATE_PAUSED ||
       run.state() == rollrig::v1::RUN_STATE_HELD)) {
    // A run is its owner's to stop (an admin's with --force and a reason): no lease.
    rollrig::v1::RunRequest req = RunCommandRequest(s, o, run.id());
    grpc::Status rpc = s.stub().StopRun(s.Context().get(), req, &run);
    if (!rpc.ok()) return s.Failed("stop", rpc);
    s.out() << "stop: run " << run.id() << " ramping down\n";
    return kExitOk;
  }
  if (o.has("--reason")) return s.Usage("stop --reason is for stopping another's run");
  rollrig::v1::StopResponse resp;
  grpc::Status rpc = s.Control([&](grpc::ClientContext* ctx) {
    return s.stub().Stop(ctx, rollrig::v1::StopRequest(), &resp);
  });
  if (!rpc.ok()) return s.Failed("stop", rpc);
  s.out() << "stop: ramping the roller down, then bridge off\n";
  return kExitOk;
}

int EStopCommand(Session& s, const Args& args) {
  Options o;
  if (auto e = ParseOptions(args, 0, {"--reason"}, {}, 0, &o)) return s.Usage(*e);
  if (!s.Connect()) return s.failure();
  rollrig::v1::EStopRequest req;
  // Any bytes are accepted (rigd cuts a long reason); protobuf needs them as UTF-8.
  req.set_reason(ToValidUtf8(o.value("--reason", "rigctl estop")));
  req.set_who(absl::StrCat(UserAtHost(), " (rigctl)"));
  rollrig::v1::EStopResponse resp;
  grpc::Status rpc = s.stub().EStop(s.Context(5).get(), req, &resp);
  if (!rpc.ok()) return s.Failed("estop", rpc);
  s.out() << "e-stop: braking to standstill, then bridge off; preload released to 0 N, head "
             "held; latched until `rigctl clear`\n";
  return kExitOk;
}

int ClearCommand(Session& s, const Args& args) {
  Options o;
  if (auto e = ParseOptions(args, 0, {}, {}, 0, &o)) return s.Usage(*e);
  if (!s.Connect()) return s.failure();
  rollrig::v1::ClearFaultRequest req;
  req.set_who(absl::StrCat(UserAtHost(), " (rigctl)"));
  rollrig::v1::ClearFaultResponse resp;
  grpc::Status rpc =
      s.Control([&](grpc::ClientContext* ctx) { return s.stub().ClearFault(ctx, req, &resp); });
  if (!rpc.ok()) return s.Failed("clear", rpc);
  s.out() << "cleared: device " << rollrig::v1::StateDisplayName(resp.status().state())
          << "; nothing moves until a new command\n";
  return kExitOk;
}

}  // namespace rollrig::host::rigctl
