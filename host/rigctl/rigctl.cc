#include "host/rigctl/rigctl.h"

#include <functional>
#include <map>

#include "host/rigctl/commands.h"
#include "host/rigctl/usage.h"
#include "rig/base/command_line.h"

namespace rollrig::host {

int RunRigctl(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  static const std::vector<OptionSpec> kGlobalOptions = {{"--help", "", ""},
                                                         {"--force", "", ""},
                                                         {"--addr", "HOST:PORT", ""},
                                                         {"--tls-ca", "FILE", ""},
                                                         {"--token-file", "FILE", ""}};
  size_t i = 0;
  absl::StatusOr<CommandLine> global =
      ParseCommandLine(args, 0, kGlobalOptions, PositionalRule{.stop_at_first = true}, &i);
  if (!global.ok()) {
    err << "rigctl: " << global.status().message() << "\n" << rigctl::kUsage;
    return kExitUsage;
  }
  if (global->flag("--help")) {
    out << rigctl::kUsage;
    return kExitOk;
  }
  client::ClientFlags flags;
  for (auto [name, slot] : {std::pair{"--addr", &flags.addr}, std::pair{"--tls-ca", &flags.tls_ca},
                            std::pair{"--token-file", &flags.token_file}}) {
    if (global->has(name)) *slot = global->value(name);
  }
  if (flags.addr) {
    if (absl::Status s = client::CheckAddress(*flags.addr, "--addr"); !s.ok()) {
      err << "rigctl: " << s.message() << "\n";
      return kExitUsage;
    }
  }
  const bool force = global->flag("--force");
  if (i >= args.size()) {
    err << "rigctl: no command given\n" << rigctl::kUsage;
    return kExitUsage;
  }
  const std::string command = args[i];
  if (command == "help") {
    out << rigctl::kUsage;
    return kExitOk;
  }
  using Command = std::function<int(rigctl::Session&, const rigctl::Args&)>;
  static const std::map<std::string, Command> kCommands = {
      {"status", rigctl::StatusCommand},     {"jog", rigctl::JogCommand},
      {"watch", rigctl::WatchCommand},       {"stop", rigctl::StopCommand},
      {"estop", rigctl::EStopCommand},       {"clear", rigctl::ClearCommand},
      {"validate", rigctl::ValidateCommand}, {"presets", rigctl::PresetsCommand},
      {"run", rigctl::RunCommand},           {"attach", rigctl::AttachCommand},
      {"pause", rigctl::PauseCommand},       {"resume", rigctl::ResumeCommand},
      {"runs", rigctl::RunsCommand},         {"events", rigctl::EventsCommand},
      {"recover", rigctl::RecoverCommand},   {"export", rigctl::ExportCommand},
      {"fault", rigctl::FaultCommand},       {"check", rigctl::CheckCommand},
      {"report", rigctl::ReportCommand},     {"uploads", rigctl::UploadsCommand},
  };
  auto it = kCommands.find(command);
  rigctl::Session session(std::move(flags), force, out, err);
  if (it == kCommands.end()) return session.Usage("unknown command '" + command + "'");
  return it->second(session, rigctl::Args(args.begin() + static_cast<long>(i) + 1, args.end()));
}

}  // namespace rollrig::host
