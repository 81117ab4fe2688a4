// rigctl: validate, presets, run, attach, pause, resume, runs, events, fault.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "enum_names.h"
#include "google/protobuf/util/json_util.h"
#include "host/profile_loader/profile_loader.h"
#include "host/rigctl/commands.h"
#include "host/rigctl/interrupt.h"
#include "host/rigctl/json_text.h"
#include "host/rigctl/options.h"
#include "host/rigctl/run_owner.h"
#include "host/run_model/verdict_line.h"
#include "rig/base/duration_text.h"

namespace rollrig::host::rigctl {
namespace {

std::string Json(const google::protobuf::Message& m, bool pretty = true) {
  return MessageJson(m, pretty);
}

std::string Clock(double s) {
  if (!std::isfinite(s) || s < 0) return "--:--:--";
  const int64_t t = static_cast<int64_t>(std::llround(s));
  return absl::StrFormat("%d:%02d:%02d", t / 3600, (t / 60) % 60, t % 60);
}

// "2 (3.4 s gone)" or "" when the device was never lost during the run.
std::string DisconnectsText(const rollrig::v1::RunProgress& p) {
  if (p.disconnects() == 0) return "";
  return absl::StrFormat("%d (%s gone)", p.disconnects(), Clock(p.disconnected_s()));
}

// "1 (gap 5 min 3 s)": the times rigd stopped under the run and it was resumed.
std::string InterruptionsText(const rollrig::v1::RunInfo& run) {
  if (run.interruptions_size() == 0) return "";
  double gap_s = 0;
  for (const auto& gap : run.interruptions()) gap_s += gap.duration_s();
  return absl::StrFormat("%d (gap %s)", run.interruptions_size(), Clock(gap_s));
}

std::string LocalTime(int64_t unix_ns) {
  const std::time_t secs = static_cast<std::time_t>(unix_ns / 1000000000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
  return stamp;
}

// A run's interruptions, one line each, and where its time went.
void PrintGapsAndTimes(std::ostream& out, const rollrig::v1::RunInfo& run) {
  for (const auto& gap : run.interruptions()) {
    out << "interrupted " << LocalTime(gap.start_unix_ns()) << " .. "
        << LocalTime(gap.end_unix_ns()) << absl::StrFormat(" (gap %s)", Clock(gap.duration_s()))
        << " at run time " << Clock(gap.run_time_s()) << ", cycle " << gap.cycle()
        << " restarted: " << gap.reason() << "\n";
  }
  const auto& p = run.progress();
  if (p.paused_s() > 0 || p.held_s() > 0 || run.interruptions_size() > 0) {
    out << absl::StrFormat("time:       program %s, paused %s, held %s (ETA counts the program)\n",
                           Clock(p.active_s()), Clock(p.paused_s()), Clock(p.held_s()));
  }
}

// --on-disconnect's value; an error message naming the choices otherwise.
std::optional<std::string> ParseDisconnectPolicy(const std::string& text,
                                                 rollrig::v1::DisconnectPolicy* out) {
  if (text == "hold") {
    *out = rollrig::v1::DISCONNECT_POLICY_HOLD;
  } else if (text == "resume") {
    *out = rollrig::v1::DISCONNECT_POLICY_RESUME;
  } else if (text == "abort") {
    *out = rollrig::v1::DISCONNECT_POLICY_ABORT;
  } else {
    return absl::StrCat("--on-disconnect must be hold, resume or abort, got '", text, "'");
  }
  return std::nullopt;
}

// A FILE's text, or a preset's name when no such file exists.
bool ResolveProfile(Session& s, const std::string& arg, rollrig::v1::ProfileSource* source) {
  std::ifstream in(arg);
  if (in) {
    std::stringstream ss;
    ss << in.rdbuf();
    source->set_file_name(arg);
    source->set_text(ss.str());
    return true;
  }
  if (arg.find('/') == std::string::npos && arg.find('.') == std::string::npos) {
    source->set_preset(arg);
    return true;
  }
  s.err() << "rigctl: cannot read " << arg << ": " << std::strerror(errno) << "\n";
  return false;
}

std::string ProgressLine(const rollrig::v1::RunInfo& run) {
  const auto& p = run.progress();
  return absl::StrFormat(
      "%-8s cycle %d%s  %-25s elapsed %s  ETA %s  torque %6.3f N·m  force %6.1f N  "
      "violations %d%s",
      rollrig::v1::RunStateDisplayName(run.state()), p.cycle(),
      p.cycles_total() ? absl::StrCat("/", p.cycles_total()) : "",
      rollrig::v1::SegmentDisplayText(p.segment(), p.segment_label()), Clock(p.elapsed_s()),
      Clock(p.eta_s()), p.torque_nm(), p.force_n(), p.violations(),
      p.disconnects() ? absl::StrCat("  disconnects ", DisconnectsText(p)) : "");
}

std::string VerdictLine(const rollrig::v1::RunInfo& run) {
  rollrig::v1::RunVerdict v = run.verdict();
  if (v.reason().empty() && v.verdict() == rollrig::v1::VERDICT_PASS) {
    v.set_reason(absl::StrCat(run.progress().cycles_completed(), " cycle(s) of ",
                              run.profile_name(), " in ", Clock(run.progress().elapsed_s()), ", ",
                              run.progress().violations(), " limit violations"));
  }
  return run_model::VerdictLine(v, run.state(), run.state_reason());
}

int ExitForRun(const rollrig::v1::RunInfo& run) {
  if (run.state() == rollrig::v1::RUN_STATE_FAULTED ||
      run.state() == rollrig::v1::RUN_STATE_INTERRUPTED) {
    return kExitAborted;
  }
  switch (run.verdict().verdict()) {
    case rollrig::v1::VERDICT_PASS:
      return kExitOk;
    case rollrig::v1::VERDICT_MARGINAL:
      return kExitMarginal;
    case rollrig::v1::VERDICT_FAIL:
      return kExitFail;
    default:
      return kExitAborted;
  }
}

void PrintLimits(std::ostream& out, const rollrig::v1::RunVerdict& v) {
  for (const auto& l : v.limits()) {
    out << absl::StrFormat("  %-9s %-24s %-26s worst %10.4g  cycle %d %s at %.1f s%s\n",
                           rollrig::v1::VerdictDisplayName(l.outcome()), l.name(), l.measurement(),
                           l.worst_value(), l.cycle(),
                           rollrig::v1::SegmentDisplayText(l.segment(), l.segment_label()), l.t_s(),
                           l.reason().empty() ? "" : absl::StrCat("  (", l.reason(), ")"));
  }
}

// Follows a run until it ends; prints progress and the verdict line. On Ctrl-C either
// stops the run (controlled ramp-down) or only detaches.
int Follow(Session& s, const std::string& id, bool stop_on_interrupt, bool json) {
  InterruptCatcher catcher;
  const bool tty = isatty(STDOUT_FILENO);
  auto ctx = s.Context(0);
  rollrig::v1::RunRequest req;
  req.set_id(id);
  auto reader = s.stub().WatchRun(ctx.get(), req);
  rollrig::v1::RunInfo run;
  bool have = false;
  bool stop_sent = false;
  bool was_held = false;
  auto last_line = std::chrono::steady_clock::now() - std::chrono::hours(1);
  while (reader->Read(&run)) {
    have = true;
    // A lost device and its return get lines of their own (kept on a terminal too).
    const bool held = run.state() == rollrig::v1::RUN_STATE_HELD;
    if (held != was_held && !json) {
      if (held) {
        s.out() << (tty ? "\r\033[K" : "") << "HELD: " << run.state_reason() << "\n";
      } else if (rollrig::v1::RunIsActive(run.state())) {
        s.out() << (tty ? "\r\033[K" : "")
                << absl::StrFormat("reconnected: device %s back (disconnects %s); %s cycle %d\n",
                                   run.device_serial(), DisconnectsText(run.progress()),
                                   rollrig::v1::RunStateDisplayName(run.state()),
                                   run.progress().cycle());
      }
      s.out() << std::flush;
      last_line = std::chrono::steady_clock::now() - std::chrono::hours(1);
    }
    was_held = held;
    if (InterruptCatcher::Count() > 0 && !stop_sent) {
      if (!stop_on_interrupt || InterruptCatcher::Count() > 1) {
        ctx->TryCancel();
        (json ? s.err() : s.out()) << (tty ? "\n" : "") << "detached: run " << run.id()
                                   << " goes on in rigd (rigctl attach " << run.id() << ")\n";
        return kExitOk;
      }
      rollrig::v1::RunRequest stop;
      stop.set_id(run.id());
      rollrig::v1::RunInfo stopped;
      grpc::Status rpc = s.stub().StopRun(s.Context().get(), stop, &stopped);
      s.err() << (tty ? "\n" : "") << "rigctl: stopping run " << run.id()
              << (rpc.ok() ? " (ramping down; Ctrl-C again to detach)"
                           : absl::StrCat(": ", rpc.error_message()))
              << "\n";
      stop_sent = true;
    }
    if (!rollrig::v1::RunIsActive(run.state())) break;
    const auto now = std::chrono::steady_clock::now();
    if (json) {
      continue;
    } else if (tty) {
      s.out() << "\r" << ProgressLine(run) << "\033[K" << std::flush;
    } else if (now - last_line > std::chrono::seconds(5)) {
      s.out() << ProgressLine(run) << "\n" << std::flush;
      last_line = now;
    }
  }
  ctx->TryCancel();
  (void)reader->Finish();
  if (!have || rollrig::v1::RunIsActive(run.state())) {
    s.err() << (tty ? "\n" : "") << "rigctl: lost contact with rigd while following the run"
            << (have ? absl::StrCat(" ", run.id(), "; see it with rigctl runs show ", run.id())
                     : "")
            << "\n";
    return kExitUnreachable;
  }
  if (json) {
    s.out() << Json(run);
  } else {
    if (tty) s.out() << "\r" << ProgressLine(run) << "\033[K\n";
    if (run.verdict().limits_size() > 0 && run.verdict().verdict() != rollrig::v1::VERDICT_PASS) {
      PrintLimits(s.out(), run.verdict());
    }
    s.out() << VerdictLine(run) << "\n";
  }
  return ExitForRun(run);
}

bool ParseInjectedFault(const std::string& name, rollrig::v1::InjectedFault* out) {
  for (int i = 1; rollrig::v1::InjectedFault_IsValid(i); ++i) {
    auto f = static_cast<rollrig::v1::InjectedFault>(i);
    if (rollrig::v1::InjectedFaultDisplayName(f) == name) {
      *out = f;
      return true;
    }
  }
  return false;
}

}  // namespace

int ValidateCommand(Session& s, const Args& args) {
  Options o;
  if (auto e = ParseOptions(args, 0, {}, {"--json"}, 1, &o)) return s.Usage(*e);
  if (o.positional.empty()) return s.Usage("validate needs a profile FILE (or a preset name)");
  rollrig::v1::ValidateProfileRequest req;
  if (!ResolveProfile(s, o.positional[0], req.mutable_source())) return kExitUsage;
  if (!s.Connect()) return s.failure();
  rollrig::v1::ValidateProfileResponse resp;
  grpc::Status rpc = s.stub().ValidateProfile(s.Context().get(), req, &resp);
  if (!rpc.ok()) return s.Failed("validate", rpc);
  if (o.flag("--json")) {
    s.out() << Json(resp);
    return resp.ok() ? kExitOk : kExitFail;
  }
  for (const auto& e : resp.errors()) s.out() << FormatProfileError(e) << "\n";
  if (!resp.ok()) {
    s.err() << "rigctl: " << o.positional[0] << ": " << resp.errors_size() << " error(s)\n";
    return kExitFail;
  }
  s.out() << absl::StrFormat(
      "%s: ok: profile '%s', %d program segments, one cycle %.1f s, "
      "sha256 %s\n",
      o.positional[0], resp.profile().name(), resp.program_segments(), resp.cycle_s(),
      resp.profile_hash().substr(0, 16));
  return kExitOk;
}

int PresetsCommand(Session& s, const Args& args) {
  Options o;
  if (auto e = ParseOptions(args, 0, {}, {"--json"}, 0, &o)) return s.Usage(*e);
  if (!s.Connect()) return s.failure();
  rollrig::v1::ListPresetsResponse resp;
  grpc::Status rpc =
      s.stub().ListPresets(s.Context().get(), rollrig::v1::ListPresetsRequest(), &resp);
  if (!rpc.ok()) return s.Failed("presets", rpc);
  if (o.flag("--json")) {
    s.out() << Json(resp);
    return kExitOk;
  }
  for (const auto& p : resp.presets()) {
    s.out() << absl::StrFormat("%-14s %5.1f s/cycle  %s\n", p.name(), p.cycle_s(), p.description());
  }
  return kExitOk;
}

int RunCommand(Session& s, const Args& args) {
  Options o;
  if (auto e = ParseOptions(args, 0,
                            {"--cycles", "--duration", "--dut", "--operator", "--notes", "--resume",
                             "--on-disconnect", "--hold-timeout", "--reason"},
                            {"--detach", "--json"}, 1, &o)) {
    return s.Usage(*e);
  }
  rollrig::v1::StartRunRequest req;
  rollrig::v1::RunSpec& spec = *req.mutable_spec();
  if (o.has("--resume")) {
    if (!o.positional.empty() || o.has("--cycles") || o.has("--duration") ||
        o.has("--on-disconnect") || o.has("--hold-timeout")) {
      return s.Usage(
          "run --resume ID takes the interrupted run's profile, length and disconnect policy");
    }
    req.set_resume_id(o.value("--resume"));
    // Another identity's interrupted run: an admin's, with --force and --reason.
    const rollrig::v1::RunRequest as_owner = RunCommandRequest(s, o, req.resume_id());
    req.set_force(as_owner.force());
    req.set_reason(as_owner.reason());
  } else {
    if (o.has("--reason")) return s.Usage("run --reason is for resuming another's run");
    if (o.positional.empty()) return s.Usage("run needs a profile FILE (or a preset name)");
    if (o.has("--cycles") && o.has("--duration"))
      return s.Usage("give --cycles or --duration, not both");
    if (!ResolveProfile(s, o.positional[0], spec.mutable_profile())) return kExitUsage;
    if (o.has("--cycles")) {
      std::optional<double> n;
      if (auto e = ParseNumber(o, "--cycles", &n)) return s.Usage(*e);
      if (*n < 1 || *n != std::floor(*n) || *n > 1e9) {
        return s.Usage(
            absl::StrCat("--cycles must be a whole number >= 1, got '", o.value("--cycles"), "'"));
      }
      spec.set_cycles(static_cast<uint32_t>(*n));
    }
    if (o.has("--duration")) {
      absl::StatusOr<double> d = ParseDurationSeconds(o.value("--duration"));
      if (!d.ok()) return s.Usage(std::string(d.status().message()));
      if (*d <= 0) return s.Usage("--duration must be longer than 0");
      spec.set_duration_s(*d);
    }
    if (o.has("--on-disconnect")) {
      rollrig::v1::DisconnectPolicy policy = rollrig::v1::DISCONNECT_POLICY_HOLD;
      if (auto e = ParseDisconnectPolicy(o.value("--on-disconnect"), &policy)) return s.Usage(*e);
      spec.set_on_disconnect(policy);
    }
    if (o.has("--hold-timeout")) {
      absl::StatusOr<double> d = ParseDurationSeconds(o.value("--hold-timeout"));
      if (!d.ok()) return s.Usage(absl::StrCat("--hold-timeout: ", d.status().message()));
      if (*d <= 0) return s.Usage("--hold-timeout must be longer than 0");
      spec.set_hold_timeout_s(*d);
    }
    spec.set_dut_serial(o.value("--dut"));
    spec.set_operator_(o.value("--operator", UserAtHost()));
    spec.set_notes(o.value("--notes"));
  }
  if (!s.Connect()) return s.failure();
  rollrig::v1::RunInfo run;
  grpc::Status rpc =
      s.Control([&](grpc::ClientContext* ctx) { return s.stub().StartRun(ctx, req, &run); }, 60);
  s.KeepControl();
  if (!rpc.ok()) {
    if (rpc.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
      s.err() << rpc.error_message() << "\nrigctl: run refused: the profile is not valid\n";
      return kExitUsage;
    }
    return s.Failed("run", rpc);
  }
  if (!o.flag("--json")) {
    s.out() << "run " << run.id() << ": " << run.profile_name() << ", "
            << (run.spec().cycles()
                    ? absl::StrCat(run.spec().cycles(), " cycle(s)")
                    : absl::StrCat(Clock(run.spec().duration_s()), " (whole cycles)"))
            << absl::StrFormat(", %.1f s per cycle", run.cycle_s())
            << (run.interruptions_size() == 0
                    ? ""
                    : absl::StrCat(", resumed (interrupted ", InterruptionsText(run), "): cycle ",
                                   run.progress().cycle(), " restarts"))
            << "\n";
  }
  if (o.flag("--detach")) {
    s.ReleaseControl();
    // With --json, stdout holds the JSON alone; the hint goes to stderr, after it.
    if (o.flag("--json")) s.out() << Json(run) << std::flush;
    (o.flag("--json") ? s.err() : s.out())
        << "detached: follow it with rigctl attach " << run.id() << "\n";
    return kExitOk;
  }
  const int code = Follow(s, run.id(), /*stop_on_interrupt=*/true, o.flag("--json"));
  s.ReleaseControl();
  return code;
}

int AttachCommand(Session& s, const Args& args) {
  Options o;
  if (auto e = ParseOptions(args, 0, {}, {"--json"}, 1, &o)) return s.Usage(*e);
  if (!s.Connect()) return s.failure();
  rollrig::v1::RunRequest req;
  if (!o.positional.empty()) req.set_id(o.positional[0]);
  rollrig::v1::RunInfo run;
  grpc::Status rpc = s.stub().GetRun(s.Context().get(), req, &run);
  if (!rpc.ok()) return s.Failed("attach", rpc);
  return Follow(s, run.id(), /*stop_on_interrupt=*/false, o.flag("--json"));
}

namespace {

// A run is its owner's to pause and resume (an admin's with --force and a reason): no
// lease is needed.
int PauseOrResume(Session& s, const Args& args, bool pause) {
  Options o;
  if (auto e = ParseOptions(args, 0, {"--reason"}, {}, 1, &o)) return s.Usage(*e);
  if (!s.Connect()) return s.failure();
  const rollrig::v1::RunRequest req =
      RunCommandRequest(s, o, o.positional.empty() ? "" : o.positional[0]);
  rollrig::v1::RunInfo run;
  grpc::Status rpc = pause ? s.stub().PauseRun(s.Context().get(), req, &run)
                           : s.stub().ResumeRun(s.Context().get(), req, &run);
  if (!rpc.ok()) return s.Failed(pause ? "pause" : "resume", rpc);
  s.out() << "run " << run.id() << " " << rollrig::v1::RunStateDisplayName(run.state()) << "\n";
  return kExitOk;
}

}  // namespace

int PauseCommand(Session& s, const Args& args) { return PauseOrResume(s, args, true); }
int ResumeCommand(Session& s, const Args& args) { return PauseOrResume(s, args, false); }

int RunsCommand(Session& s, const Args& args) {
  Options o;
  if (auto e = ParseOptions(args, 0, {}, {"--json"}, 2, &o)) return s.Usage(*e);
  if (!o.positional.empty() && o.positional[0] != "show") {
    return s.Usage(
        absl::StrCat("unknown runs subcommand '", o.positional[0], "': expected show ID"));
  }
  if (!s.Connect()) return s.failure();
  if (!o.positional.empty()) {
    if (o.positional.size() < 2) return s.Usage("runs show needs a run ID");
    rollrig::v1::RunRequest req;
    req.set_id(o.positional[1]);
    rollrig::v1::RunInfo run;
    grpc::Status rpc = s.stub().GetRun(s.Context().get(), req, &run);
    if (!rpc.ok()) return s.Failed("runs show", rpc);
    rollrig::v1::GetCyclesRequest creq;
    creq.set_id(run.id());
    rollrig::v1::GetCyclesResponse cycles;
    (void)s.stub().GetCycles(s.Context().get(), creq, &cycles);
    if (o.flag("--json")) {
      s.out() << MessageJsonWithList(run, "cycles", cycles);  // one document
      return kExitOk;
    }
    const auto& sp = run.spec();
    s.out() << "run:        " << run.id() << "\n"
            << "state:      " << rollrig::v1::RunStateDisplayName(run.state())
            << (run.state_reason().empty() ? "" : " (" + run.state_reason() + ")") << "\n"
            << "profile:    " << run.profile_name() << " (" << sp.profile().file_name()
            << ", sha256 " << run.profile_hash().substr(0, 16) << ")\n"
            << "length:     "
            << (sp.cycles() ? absl::StrCat(sp.cycles(), " cycle(s)")
                            : absl::StrCat(Clock(sp.duration_s()), " (whole cycles)"))
            << absl::StrFormat(", %.1f s per cycle", run.cycle_s()) << "\n"
            << "owner:      " << OwnerText(run) << "\n"
            << "dut:        " << sp.dut_serial() << "   operator: " << sp.operator_()
            << "   notes: " << sp.notes() << "\n"
            << "device:     " << run.device_serial() << " firmware " << run.firmware_version()
            << ", rigd " << run.host_version() << "\n"
            << "progress:   " << ProgressLine(run) << "\n"
            << "disconnect: on loss "
            << rollrig::v1::DisconnectPolicyDisplayName(sp.on_disconnect()) << ", hold timeout "
            << Clock(sp.hold_timeout_s() > 0 ? sp.hold_timeout_s() : 600) << "; device lost "
            << (run.progress().disconnects() ? DisconnectsText(run.progress()) : "0 times") << "\n";
    if (!run.resumed_from().empty()) s.out() << "resumes:    " << run.resumed_from() << "\n";
    if (!run.resumed_by().empty()) s.out() << "resumed as: " << run.resumed_by() << "\n";
    PrintGapsAndTimes(s.out(), run);
    for (int i = 0; i < run.recordings_size(); ++i) {
      s.out() << (i == 0 ? "recording:  " : "            ") << run.recordings(i) << "\n";
    }
    PrintLimits(s.out(), run.verdict());
    if (cycles.cycles_size() > 0) {
      // len_s leaves the cycle's paused time out (paused_s); older records lack both.
      s.out() << absl::StrFormat("%6s %9s %10s %10s %10s %10s %10s %9s %9s\n", "cycle", "len_s",
                                 "peak_Nm", "mean_Nm", "rms_Nm", "mean_N", "speed_rms", "max_C",
                                 "paused_s");
      for (const auto& c : cycles.cycles()) {
        const double length_s = c.length_s() > 0 ? c.length_s() : c.end_s() - c.start_s();
        s.out() << absl::StrFormat("%6d %9.2f %10.4f %10.4f %10.4f %10.2f %10.3f %9.2f %9.2f\n",
                                   c.cycle(), length_s, c.peak_torque_nm(), c.mean_torque_nm(),
                                   c.rms_torque_nm(), c.mean_force_n(), c.speed_rms_error_rpm(),
                                   c.max_temperature_c(), c.paused_s());
      }
    }
    s.out() << VerdictLine(run) << "\n";
    return kExitOk;
  }
  rollrig::v1::ListRunsResponse resp;
  grpc::Status rpc = s.stub().ListRuns(s.Context().get(), rollrig::v1::ListRunsRequest(), &resp);
  if (!rpc.ok()) return s.Failed("runs", rpc);
  if (o.flag("--json")) {
    s.out() << Json(resp);
    return kExitOk;
  }
  s.out() << absl::StrFormat("%-40s %-11s %-9s %-14s %9s %10s  %-24s %-14s %s\n", "id", "state",
                             "verdict", "profile", "cycles", "elapsed", "disconnects",
                             "interruptions", "owner");
  for (const auto& r : resp.runs()) {
    const auto& p = r.progress();
    s.out() << absl::StrFormat(
        "%-40s %-11s %-9s %-14s %9s %10s  %-24s %-14s %s\n", r.id(),
        rollrig::v1::RunStateDisplayName(r.state()),
        rollrig::v1::VerdictDisplayName(r.verdict().verdict()), r.profile_name(),
        absl::StrCat(p.cycles_completed(), "/",
                     p.cycles_total() ? absl::StrCat(p.cycles_total()) : "-"),
        Clock(p.elapsed_s()), p.disconnects() ? DisconnectsText(p) : "-",
        r.interruptions_size() ? InterruptionsText(r) : "-",
        r.started_by().empty() ? "-" : r.started_by());
  }
  return kExitOk;
}

int EventsCommand(Session& s, const Args& args) {
  Options o;
  if (auto e = ParseOptions(args, 0, {}, {"--follow", "--json"}, 0, &o)) return s.Usage(*e);
  if (!s.Connect()) return s.failure();
  const bool follow = o.flag("--follow");
  grpc::ClientContext ctx;
  InterruptCatcher catcher;  // after ctx: it may cancel ctx until it goes
  catcher.CancelOnInterrupt(&ctx);
  // Without --follow: what rigd kept, then stop once nothing more comes for a moment.
  if (!follow) ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(1500));
  rollrig::v1::StreamEventsRequest req;
  req.set_recent(follow ? 20 : 200);
  auto reader = s.stub().StreamEvents(&ctx, req);
  rollrig::v1::RigEvent e;
  while (reader->Read(&e)) {
    if (o.flag("--json")) {
      s.out() << Json(e, /*pretty=*/false);
    } else {
      const int64_t ns = e.host_time_ns();
      std::time_t secs = static_cast<std::time_t>(ns / 1000000000);
      std::tm tm{};
      localtime_r(&secs, &tm);
      char stamp[32];
      std::strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
      const std::string kind = rollrig::v1::RigEventKindDisplayName(e.kind());
      s.out() << absl::StrFormat("%s.%03d %-16s %s\n", stamp, (ns / 1000000) % 1000, kind,
                                 e.message());
    }
    s.out().flush();
    if (InterruptCatcher::Count() > 0) break;
  }
  ctx.TryCancel();
  grpc::Status rpc = reader->Finish();
  if (!rpc.ok() && rpc.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED &&
      rpc.error_code() != grpc::StatusCode::CANCELLED) {
    return s.Failed("events", rpc);
  }
  return kExitOk;
}

int FaultCommand(Session& s, const Args& args) {
  Options o;
  if (auto e = ParseOptions(args, 0, {}, {}, 2, &o)) return s.Usage(*e);
  std::vector<std::string> names;
  for (int i = 1; rollrig::v1::InjectedFault_IsValid(i); ++i) {
    names.push_back(
        rollrig::v1::InjectedFaultDisplayName(static_cast<rollrig::v1::InjectedFault>(i)));
  }
  const std::string known = absl::StrJoin(names, ", ");
  if (o.positional.empty() || (o.positional[0] != "inject" && o.positional[0] != "clear")) {
    return s.Usage("fault needs inject NAME or clear [NAME]");
  }
  const bool inject = o.positional[0] == "inject";
  rollrig::v1::InjectFaultRequest req;
  req.set_who(absl::StrCat(UserAtHost(), " (rigctl)"));
  if (o.positional.size() > 1) {
    rollrig::v1::InjectedFault f;
    if (!ParseInjectedFault(o.positional[1], &f)) {
      return s.Usage(
          absl::StrCat("unknown fault '", o.positional[1], "': expected one of ", known));
    }
    req.set_fault(f);
    req.set_active(inject);
  } else if (inject) {
    return s.Usage(absl::StrCat("fault inject needs a NAME: ", known));
  } else {
    req.set_clear_all(true);
  }
  if (!s.Connect()) return s.failure();
  rollrig::v1::InjectFaultResponse resp;
  grpc::Status rpc = s.stub().InjectFault(s.Context().get(), req, &resp);
  if (!rpc.ok()) return s.Failed(absl::StrCat("fault ", o.positional[0]), rpc);
  s.out() << (inject ? "injected: " : "cleared: ")
          << (o.positional.size() > 1 ? o.positional[1] : "every injected fault") << "\n";
  return kExitOk;
}

}  // namespace rollrig::host::rigctl
