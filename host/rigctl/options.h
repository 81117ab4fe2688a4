// Parsing rigctl's command options: "--name value", "--name=value" and "--flag".
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rollrig::host::rigctl {

struct Options {
  std::map<std::string, std::string> values;
  std::map<std::string, bool> flags;
  std::vector<std::string> positional;

  bool has(const std::string& name) const { return values.count(name) > 0; }
  bool flag(const std::string& name) const { return flags.count(name) > 0; }
  std::string value(const std::string& name, const std::string& fallback = "") const;
};

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
