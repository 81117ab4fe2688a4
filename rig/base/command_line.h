// The command lines of rigd, rigctl and rig-dash, parsed one way: "--name value",
// "--name=value" and boolean "--flag"; an unknown option, a missing value or a surplus
// argument is an error naming it, and a bad value is an error naming the option and the
// value ("invalid --tick-hz '9': expected 1000..10000"). The help text is generated from
// the same option list, so an option cannot be accepted yet undocumented.
//
// Pure functions and plain values; any thread.
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace rollrig {

struct OptionSpec {
  std::string name;        // "--listen"; may also be a short form such as "-h"
  std::string value_name;  // "HOST:PORT"; empty for a boolean flag
  std::string help;        // for the generated help ('\n' starts a new line); an option
                           // without help is accepted but not listed
};

// What a command line said.
struct CommandLine {
  std::map<std::string, std::string> values;  // options given with a value
  std::set<std::string> flags;                // boolean flags given
  std::vector<std::string> positional;        // the other words, in order

  bool has(const std::string& name) const { return values.count(name) > 0; }
  bool flag(const std::string& name) const { return flags.count(name) > 0; }
  std::string value(const std::string& name, const std::string& fallback = "") const;

  // The readers leave *out as it is when the option was not given.
  // A finite number: "invalid --rate 'x': expected a number".
  absl::Status ReadNumber(const std::string& name, double* out) const;
  // A whole number in [min, max]: "invalid --tick-hz 'x': expected 1000..10000", or
  // `expected` in place of "1000..10000" when given.
  template <typename Int>
  absl::Status ReadInteger(const std::string& name, Int min, Int max, Int* out,
                           const std::string& expected = "") const;
};

// How ParseCommandLine treats the words that are not options.
struct PositionalRule {
  size_t max = 0;              // more is an "unexpected argument" error
  bool stop_at_first = false;  // the first one ends the options (a command follows)
};

// Parses args[from..] against `options`. With stop_at_first, *end is set to the index of
// the first positional word (args.size() when there is none).
absl::StatusOr<CommandLine> ParseCommandLine(const std::vector<std::string>& args, size_t from,
                                             const std::vector<OptionSpec>& options,
                                             PositionalRule positional, size_t* end = nullptr);

// The one wording of a bad value: "invalid NAME 'VALUE': expected EXPECTED".
absl::Status BadOptionValue(const std::string& name, const std::string& value,
                            const std::string& expected);

// "usage: PROGRAM [--a A] [--flag] ...", a blank line, then each option with its help
// in an aligned column: "  --listen HOST:PORT  gRPC address ...".
std::string CommandLineHelp(const std::string& program, const std::vector<OptionSpec>& options);

template <typename Int>
absl::Status CommandLine::ReadInteger(const std::string& name, Int min, Int max, Int* out,
                                      const std::string& expected) const {
  auto it = values.find(name);
  if (it == values.end()) return absl::OkStatus();
  Int v{};
  if (!absl::SimpleAtoi(it->second, &v) || v < min || v > max) {
    return BadOptionValue(name, it->second,
                          expected.empty() ? absl::StrCat(min, "..", max) : expected);
  }
  *out = v;
  return absl::OkStatus();
}

}  // namespace rollrig
