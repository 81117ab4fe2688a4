// rigctl's command options, parsed by the shared command-line parser
// (rig/base/command_line.h): "--name value", "--name=value" and "--flag". rigctl's
// commands report a usage error as a message, so these return one (or nullopt).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "rig/base/command_line.h"

namespace rollrig::host::rigctl {

using Options = rollrig::CommandLine;

// Parses args[from..]. Names in `with_value` take a value, names in `flags` do not; at
// most `max_positional` other words are allowed. Returns an error message, or nullopt.
std::optional<std::string> ParseOptions(const std::vector<std::string>& args, size_t from,
                                        const std::vector<std::string>& with_value,
                                        const std::vector<std::string>& flags,
                                        size_t max_positional, Options* out);

// A finite number given for `name`, if given; an error message naming it otherwise.
std::optional<std::string> ParseNumber(const Options& o, const std::string& name,
                                       std::optional<double>* out);

}  // namespace rollrig::host::rigctl
