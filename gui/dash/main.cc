// rig-dash: the live dashboard of a rollrig (a gRPC client of rigd), or a viewer of a run's
// recording. See DashUsage().
#include <cstdio>
#include <string>
#include <vector>

#include "gui/dash/dash_loop.h"
#include "gui/dash/dash_options.h"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto options = rollrig::gui::ParseDashOptions(args);
  if (!options.ok()) {
    std::fprintf(stderr, "rig-dash: %s\n%s", std::string(options.status().message()).c_str(),
                 rollrig::gui::DashUsage().c_str());
    return 2;
  }
  if (options->help) {
    std::fputs(rollrig::gui::DashUsage().c_str(), stdout);
    return 0;
  }
  return rollrig::gui::RunDash(*options);
}
