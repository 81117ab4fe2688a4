#include "host/rigctl/rigctl.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "enum_names.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "host/rigctl/duration.h"
#include "rollrig/v1/rig_service.grpc.pb.h"

namespace rollrig::host {
namespace {

using rollrig::v1::RigService;

constexpr char kDefaultAddr[] = "127.0.0.1:50051";
constexpr char kUsage[] =
    "usage: rigctl [--addr HOST:PORT] COMMAND [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  status [--json]                       device info, state, faults, interlocks\n"
    "  jog [--roller-rpm R] [--head-deg D] [--preload-n F] [--head-rate DPS]\n"
    "                                        set roller speed, head angle, preload; they\n"
    "                                        stay in force after rigctl exits\n"
    "  watch --duration D [--rate HZ] [--format table|csv]\n"
    "                                        live telemetry, each row the mean over 1/HZ\n"
    "  stop                                  ramp the roller down, then switch off\n"
    "  estop [--reason TEXT]                 emergency stop (latched until clear)\n"
    "  clear                                 clear latched faults and e-stop\n"
    "\n"
    "--addr defaults to 127.0.0.1:50051. Durations are seconds or a number with s, m, h\n"
    "or d. Exit status: 0 ok, 1 refused by rigd or the device, 4 usage or connection "
    "error.\n";

// Options after the command: --name value pairs and --flags.
struct Options {
  std::map<std::string, std::string> values;
  std::map<std::string, bool> flags;
};

struct UsageError {
  std::string message;
};

// Parses "--name value" for the names in `with_value` and "--name" for `flags`.
std::optional<UsageError> ParseOptions(const std::vector<std::string>& args, size_t from,
                                       const std::vector<std::string>& with_value,
                                       const std::vector<std::string>& flags, Options* out) {
  for (size_t i = from; i < args.size(); ++i) {
    std::string name = args[i];
    std::string value;
    bool has_inline = false;
    if (const size_t eq = name.find('='); name.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_inline = true;
    }
    if (std::find(flags.begin(), flags.end(), name) != flags.end() && !has_inline) {
      out->flags[name] = true;
      continue;
    }
    if (std::find(with_value.begin(), with_value.end(), name) == with_value.end()) {
      return UsageError{absl::StrCat("unknown option '", args[i], "'")};
    }
    if (!has_inline) {
      if (i + 1 >= args.size()) return UsageError{absl::StrCat(name, " needs a value")};
      value = args[++i];
    }
    out->values[name] = value;
  }
  return std::nullopt;
}

// A finite number, or a usage error naming the option.
std::optional<UsageError> ParseNumber(const Options& o, const std::string& name,
                                      std::optional<double>* out) {
  auto it = o.values.find(name);
  if (it == o.values.end()) return std::nullopt;
  double v = 0;
  if (!absl::SimpleAtod(it->second, &v)) {
    return UsageError{absl::StrCat("invalid ", name, " '", it->second, "': expected a number")};
  }
  if (!std::isfinite(v)) {
    return UsageError{absl::StrCat(name, " must be a finite number, got '", it->second, "'")};
  }
  *out = v;
  return std::nullopt;
}

std::string Who() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  const char* user = getenv("USER");
  return absl::StrCat(user ? user : "unknown", "@", host, " (rigctl)");
}

std::string ConnectionName(rollrig::v1::ConnectionState c) {
  switch (c) {
    case rollrig::v1::CONNECTION_STATE_CONNECTED:
      return "connected";
    case rollrig::v1::CONNECTION_STATE_CONNECTING:
      return "connecting";
    case rollrig::v1::CONNECTION_STATE_DISCONNECTED:
      return "disconnected";
    default:
      return "unknown";
  }
}

class Rigctl {
 public:
  Rigctl(std::string addr, std::ostream& out, std::ostream& err)
      : addr_(std::move(addr)), out_(out), err_(err) {}

  int Run(const std::string& command, const std::vector<std::string>& args, size_t from) {
    if (command == "status") return Status(args, from);
    if (command == "jog") return Jog(args, from);
    if (command == "watch") return Watch(args, from);
    if (command == "estop") return EStop(args, from);
    if (command == "clear") return Clear(args, from);
    if (command == "stop") return Stop(args, from);
    return Usage(absl::StrCat("unknown command '", command, "'"));
  }

 private:
  int Usage(const std::string& message) {
    err_ << "rigctl: " << message << "\n" << kUsage;
    return kExitUsage;
  }

  // Connects (or explains why not) and returns a stub.
  bool Connect() {
    channel_ = grpc::CreateChannel(addr_, grpc::InsecureChannelCredentials());
    if (!channel_->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(3))) {
      err_ << "rigctl: cannot reach rigd at " << addr_
           << " (is it running? start it with: rigd --device sim)\n";
      return false;
    }
    stub_ = RigService::NewStub(channel_);
    return true;
  }

  // Prints a failed RPC in one line; returns the exit status for it.
  int Failed(const std::string& what, const grpc::Status& s) {
    if (s.error_code() == grpc::StatusCode::UNAVAILABLE &&
        s.error_message().find("device") == std::string::npos) {
      err_ << "rigctl: " << what << ": cannot reach rigd at " << addr_ << " (" << s.error_message()
           << ")\n";
      return kExitUsage;
    }
    err_ << "rigctl: " << what << " refused: " << s.error_message() << "\n";
    return kExitRefused;
  }

  static void SetDeadline(grpc::ClientContext* ctx, int seconds = 5) {
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  }

  int Status(const std::vector<std::string>& args, size_t from) {
    Options o;
    if (auto e = ParseOptions(args, from, {}, {"--json"}, &o)) return Usage(e->message);
    if (!Connect()) return kExitUsage;
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    rollrig::v1::RigStatus st;
    grpc::Status s = stub_->GetStatus(&ctx, rollrig::v1::GetStatusRequest(), &st);
    if (!s.ok()) return Failed("status", s);
    if (o.flags.count("--json")) {
      std::string json;
      google::protobuf::util::JsonPrintOptions po;
      po.add_whitespace = true;
      po.always_print_primitive_fields = true;
      (void)google::protobuf::util::MessageToJsonString(st, &json, po);
      out_ << json;
      return kExitOk;
    }
    PrintStatus(st);
    return kExitOk;
  }

  void PrintStatus(const rollrig::v1::RigStatus& st) {
    const auto& d = st.device();
    out_ << "rigd:        " << addr_ << "\n";
    out_ << "device:      " << st.transport() << ", " << ConnectionName(st.connection());
    if (!st.detail().empty()) out_ << " (" << st.detail() << ")";
    out_ << "\n";
    if (!d.serial().empty()) {
      out_ << "             " << d.vendor() << " " << d.model() << " serial " << d.serial()
           << ", firmware " << d.firmware_version() << (d.simulated() ? ", simulated" : "") << "\n";
    }
    out_ << "state:       " << rollrig::v1::StateDisplayName(st.state()) << "\n";
    out_ << "faults:      "
         << (st.fault_names().empty() ? "none" : absl::StrJoin(st.fault_names(), ", ")) << "\n";
    out_ << "interlocks:  "
         << (st.interlock_names().empty() ? "none" : absl::StrJoin(st.interlock_names(), ", "))
         << "\n";
    const auto& l = st.last();
    out_ << absl::StrFormat("roller:      %8.2f rpm   (command %.2f, target %.2f)\n",
                            l.roller_rpm(), l.roller_rpm_cmd(), st.roller_rpm_target());
    out_ << absl::StrFormat("head:        %8.2f deg   (command %.2f, target %.2f)\n", l.head_deg(),
                            l.head_deg_cmd(), st.head_deg_target());
    out_ << absl::StrFormat("force:       %8.2f N     (preload %.2f, target %.2f)\n", l.force_n(),
                            l.preload_cmd_n(), st.preload_n_target());
    out_ << absl::StrFormat("torque:      %8.3f N·m   current %.3f A, winding %.1f °C\n",
                            l.torque_nm(), l.current_a(), l.temp_c());
    out_ << absl::StrFormat(
        "telemetry:   %d samples, %d lost, %d frames dropped, device time %.3f s\n",
        st.samples_received(), st.samples_lost(), st.frames_dropped(), l.t_s());
  }

  int Jog(const std::vector<std::string>& args, size_t from) {
    Options o;
    if (auto e = ParseOptions(
            args, from, {"--roller-rpm", "--head-deg", "--preload-n", "--head-rate"}, {}, &o)) {
      return Usage(e->message);
    }
    std::optional<double> rpm, head, preload, rate;
    for (auto [name, slot] :
         {std::pair{"--roller-rpm", &rpm}, std::pair{"--head-deg", &head},
          std::pair{"--preload-n", &preload}, std::pair{"--head-rate", &rate}}) {
      if (auto e = ParseNumber(o, name, slot)) return Usage(e->message);
    }
    if (!rpm && !head && !preload) {
      return Usage("jog needs at least one of --roller-rpm, --head-deg, --preload-n");
    }
    if (!Connect()) return kExitUsage;
    rollrig::v1::JogRequest req;
    if (rpm) req.set_roller_rpm(*rpm);
    if (head) req.set_head_deg(*head);
    if (preload) req.set_preload_n(*preload);
    if (rate) req.set_head_max_rate_dps(*rate);
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    rollrig::v1::JogResponse resp;
    grpc::Status s = stub_->Jog(&ctx, req, &resp);
    if (!s.ok()) return Failed("jog", s);
    std::vector<std::string> parts;
    if (rpm) parts.push_back(absl::StrFormat("roller %g rpm", *rpm));
    if (head) parts.push_back(absl::StrFormat("head %g deg", *head));
    if (preload) parts.push_back(absl::StrFormat("preload %g N", *preload));
    out_ << "jog: " << absl::StrJoin(parts, ", ") << " (stays in force until changed or stopped)\n";
    return kExitOk;
  }

  int Watch(const std::vector<std::string>& args, size_t from) {
    Options o;
    if (auto e = ParseOptions(args, from, {"--duration", "--rate", "--format"}, {}, &o)) {
      return Usage(e->message);
    }
    if (!o.values.count("--duration")) return Usage("watch needs --duration D");
    absl::StatusOr<double> duration = ParseDurationSeconds(o.values["--duration"]);
    if (!duration.ok()) return Usage(std::string(duration.status().message()));
    double rate = 100;
    if (o.values.count("--rate")) {
      std::optional<double> r;
      if (auto e = ParseNumber(o, "--rate", &r)) return Usage(e->message);
      if (*r < 0 || *r > 100000)
        return Usage("--rate must be between 0 (every sample) and 100000 Hz");
      rate = *r;
    }
    const std::string format = o.values.count("--format") ? o.values["--format"] : "table";
    if (format != "table" && format != "csv") {
      return Usage(absl::StrCat("invalid --format '", format, "': expected table or csv"));
    }
    if (!Connect()) return kExitUsage;

    grpc::ClientContext ctx;
    // Wall-clock bound: the duration plus slack, so a silent device cannot hang rigctl.
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::milliseconds(static_cast<int64_t>(*duration * 1000) + 5000));
    rollrig::v1::StreamTelemetryRequest req;
    req.set_rate_hz(rate);
    auto reader = stub_->StreamTelemetry(&ctx, req);
    const bool csv = format == "csv";
    if (csv) {
      out_ << "t_s,roller_rpm_cmd,roller_rpm,head_deg_cmd,head_deg,torque_nm,force_n,current_a,"
              "temp_c,seq,drops\n";
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
        if (r.t_s() - first_t > *duration + 1e-9) {
          done = true;
          break;
        }
        PrintRow(r, csv, rows++);
      }
      out_.flush();
    }
    if (done) ctx.TryCancel();
    grpc::Status s = reader->Finish();
    if (!done && !s.ok() && s.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) {
      return Failed("watch", s);
    }
    if (rows == 0) err_ << "rigctl: watch: no telemetry arrived (is the device connected?)\n";
    return kExitOk;
  }

  void PrintRow(const rollrig::v1::TelemetryRow& r, bool csv, size_t index) {
    if (csv) {
      out_ << absl::StrFormat("%.4f,%.3f,%.3f,%.3f,%.3f,%.4f,%.3f,%.4f,%.2f,%d,%d\n", r.t_s(),
                              r.roller_rpm_cmd(), r.roller_rpm(), r.head_deg_cmd(), r.head_deg(),
                              r.torque_nm(), r.force_n(), r.current_a(), r.temp_c(), r.seq(),
                              r.drops());
      return;
    }
    if (index % 25 == 0) {
      out_ << absl::StrFormat("%10s %9s %9s %8s %8s %9s %8s %8s %7s %10s %6s\n", "t_s", "rpm_cmd",
                              "rpm", "head_cmd", "head", "torque_Nm", "force_N", "current_A",
                              "temp_C", "seq", "drops");
    }
    out_ << absl::StrFormat("%10.3f %9.2f %9.2f %8.2f %8.2f %9.4f %8.2f %8.3f %7.2f %10d %6d\n",
                            r.t_s(), r.roller_rpm_cmd(), r.roller_rpm(), r.head_deg_cmd(),
                            r.head_deg(), r.torque_nm(), r.force_n(), r.current_a(), r.temp_c(),
                            r.seq(), r.drops());
  }

  int EStop(const std::vector<std::string>& args, size_t from) {
    Options o;
    if (auto e = ParseOptions(args, from, {"--reason"}, {}, &o)) return Usage(e->message);
    if (!Connect()) return kExitUsage;
    rollrig::v1::EStopRequest req;
    req.set_reason(o.values.count("--reason") ? o.values["--reason"] : "rigctl estop");
    req.set_who(Who());
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    rollrig::v1::EStopResponse resp;
    grpc::Status s = stub_->EStop(&ctx, req, &resp);
    if (!s.ok()) return Failed("estop", s);
    out_ << "e-stop: braking to standstill, then bridge off; latched until `rigctl clear`\n";
    return kExitOk;
  }

  int Clear(const std::vector<std::string>& args, size_t from) {
    Options o;
    if (auto e = ParseOptions(args, from, {}, {}, &o)) return Usage(e->message);
    if (!Connect()) return kExitUsage;
    rollrig::v1::ClearFaultRequest req;
    req.set_who(Who());
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    rollrig::v1::ClearFaultResponse resp;
    grpc::Status s = stub_->ClearFault(&ctx, req, &resp);
    if (!s.ok()) return Failed("clear", s);
    out_ << "cleared: device " << rollrig::v1::StateDisplayName(resp.status().state())
         << "; nothing moves until a new command\n";
    return kExitOk;
  }

  int Stop(const std::vector<std::string>& args, size_t from) {
    Options o;
    if (auto e = ParseOptions(args, from, {}, {}, &o)) return Usage(e->message);
    if (!Connect()) return kExitUsage;
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    rollrig::v1::StopResponse resp;
    grpc::Status s = stub_->Stop(&ctx, rollrig::v1::StopRequest(), &resp);
    if (!s.ok()) return Failed("stop", s);
    out_ << "stop: ramping the roller down, then bridge off\n";
    return kExitOk;
  }

  std::string addr_;
  std::ostream& out_;
  std::ostream& err_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<RigService::Stub> stub_;
};

}  // namespace

int RunRigctl(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string addr = kDefaultAddr;
  size_t i = 0;
  while (i < args.size() && args[i].rfind("--", 0) == 0) {
    if (args[i] == "--help" || args[i] == "-h") {
      out << kUsage;
      return kExitOk;
    }
    if (args[i] == "--addr" && i + 1 < args.size()) {
      addr = args[i + 1];
      i += 2;
    } else if (args[i].rfind("--addr=", 0) == 0) {
      addr = args[i].substr(7);
      ++i;
    } else {
      err << "rigctl: unknown option '" << args[i] << "'\n" << kUsage;
      return kExitUsage;
    }
  }
  if (i >= args.size()) {
    err << "rigctl: no command given\n" << kUsage;
    return kExitUsage;
  }
  if (args[i] == "help") {
    out << kUsage;
    return kExitOk;
  }
  Rigctl rigctl(addr, out, err);
  return rigctl.Run(args[i], args, i + 1);
}

}  // namespace rollrig::host
