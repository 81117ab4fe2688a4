#include "rig/base/command_line.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_split.h"

namespace rollrig {
namespace {

const OptionSpec* Find(const std::vector<OptionSpec>& options, const std::string& name) {
  auto it = std::find_if(options.begin(), options.end(),
                         [&](const OptionSpec& o) { return o.name == name; });
  return it == options.end() ? nullptr : &*it;
}

bool LooksLikeOption(const std::string& arg, const std::vector<OptionSpec>& options) {
  return (arg.rfind("--", 0) == 0 && arg != "--") || Find(options, arg) != nullptr;
}

constexpr size_t kUsageWidth = 92;  // columns of the usage line before it wraps
constexpr size_t kHeadWidth = 24;   // a longer "--name VALUE" has its help on the next line

// "--listen HOST:PORT" or "--help".
std::string Head(const OptionSpec& o) {
  return absl::StrCat(o.name, o.value_name.empty() ? "" : " ", o.value_name);
}

// "usage: PROGRAM [--a A] [--b]", wrapped under its first option.
std::string UsageLines(const std::string& program, const std::vector<const OptionSpec*>& listed) {
  const std::string lead = absl::StrCat("usage: ", program);
  std::string usage = lead;
  size_t column = lead.size();
  for (const OptionSpec* o : listed) {
    const std::string word = absl::StrCat("[", Head(*o), "]");
    if (column + 1 + word.size() > kUsageWidth) {
      absl::StrAppend(&usage, "\n", std::string(lead.size(), ' '));
      column = lead.size();
    }
    absl::StrAppend(&usage, " ", word);
    column += 1 + word.size();
  }
  return usage + "\n";
}

}  // namespace

std::string CommandLine::value(const std::string& name, const std::string& fallback) const {
  auto it = values.find(name);
  return it == values.end() ? fallback : it->second;
}

absl::Status CommandLine::ReadNumber(const std::string& name, double* out) const {
  auto it = values.find(name);
  if (it == values.end()) return absl::OkStatus();
  double v = 0;
  if (!absl::SimpleAtod(it->second, &v)) return BadOptionValue(name, it->second, "a number");
  if (!std::isfinite(v)) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " must be a finite number, got '", it->second, "'"));
  }
  *out = v;
  return absl::OkStatus();
}

absl::StatusOr<CommandLine> ParseCommandLine(const std::vector<std::string>& args, size_t from,
                                             const std::vector<OptionSpec>& options,
                                             PositionalRule positional, size_t* end) {
  CommandLine line;
  if (end != nullptr) *end = args.size();
  for (size_t i = from; i < args.size(); ++i) {
    std::string name = args[i];
    if (!LooksLikeOption(name, options)) {
      if (positional.stop_at_first) {
        if (end != nullptr) *end = i;
        return line;
      }
      if (line.positional.size() >= positional.max) {
        return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", args[i], "'"));
      }
      line.positional.push_back(args[i]);
      continue;
    }
    std::string value;
    const size_t eq = name.find('=');
    const bool inline_value = eq != std::string::npos;
    if (inline_value) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const OptionSpec* spec = Find(options, name);
    if (spec == nullptr || (spec->value_name.empty() && inline_value)) {
      return absl::InvalidArgumentError(absl::StrCat("unknown option '", args[i], "'"));
    }
    if (spec->value_name.empty()) {
      line.flags.insert(name);
      continue;
    }
    if (!inline_value) {
      if (i + 1 >= args.size()) return absl::InvalidArgumentError(name + " needs a value");
      value = args[++i];
    }
    line.values[name] = value;
  }
  return line;
}

absl::Status BadOptionValue(const std::string& name, const std::string& value,
                            const std::string& expected) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid ", name, " '", value, "': expected ", expected));
}

std::string CommandLineHelp(const std::string& program, const std::vector<OptionSpec>& options) {
  std::vector<const OptionSpec*> listed;
  for (const OptionSpec& o : options) {
    if (!o.help.empty()) listed.push_back(&o);
  }
  std::string help = UsageLines(program, listed) + "\n";
  size_t width = 0;  // of the option column; a longer head has its help below it
  for (const OptionSpec* o : listed) {
    if (Head(*o).size() <= kHeadWidth) width = std::max(width, Head(*o).size());
  }
  for (const OptionSpec* o : listed) {
    const std::string head = Head(*o);
    const std::string indent(2 + width + 2, ' ');
    std::string first = absl::StrCat("  ", head);
    if (head.size() > width) {
      absl::StrAppend(&help, first, "\n");
      first = indent;
    } else {
      first.resize(indent.size(), ' ');
    }
    for (absl::string_view line : absl::StrSplit(o->help, '\n')) {
      absl::StrAppend(&help, first, line, "\n");
      first = indent;
    }
  }
  return help;
}

}  // namespace rollrig
