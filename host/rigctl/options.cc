#include "host/rigctl/options.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace rollrig::host::rigctl {

std::string Options::value(const std::string& name, const std::string& fallback) const {
  auto it = values.find(name);
  return it == values.end() ? fallback : it->second;
}

std::optional<std::string> ParseOptions(const std::vector<std::string>& args, size_t from,
                                        const std::vector<std::string>& with_value,
                                        const std::vector<std::string>& flags,
                                        size_t max_positional, Options* out) {
  auto listed = [](const std::vector<std::string>& names, const std::string& n) {
    return std::find(names.begin(), names.end(), n) != names.end();
  };
  for (size_t i = from; i < args.size(); ++i) {
    std::string name = args[i];
    if (name.rfind("--", 0) != 0 || name == "--") {
      if (out->positional.size() >= max_positional) {
        return absl::StrCat("unexpected argument '", args[i], "'");
      }
      out->positional.push_back(args[i]);
      continue;
    }
    std::string value;
    bool inline_value = false;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      inline_value = true;
    }
    if (listed(flags, name) && !inline_value) {
      out->flags[name] = true;
      continue;
    }
    if (!listed(with_value, name)) return absl::StrCat("unknown option '", args[i], "'");
    if (!inline_value) {
      if (i + 1 >= args.size()) return absl::StrCat(name, " needs a value");
      value = args[++i];
    }
    out->values[name] = value;
  }
  return std::nullopt;
}

std::optional<std::string> ParseNumber(const Options& o, const std::string& name,
                                       std::optional<double>* out) {
  auto it = o.values.find(name);
  if (it == o.values.end()) return std::nullopt;
  double v = 0;
  if (!absl::SimpleAtod(it->second, &v)) {
    return absl::StrCat("invalid ", name, " '", it->second, "': expected a number");
  }
  if (!std::isfinite(v)) {
    return absl::StrCat(name, " must be a finite number, got '", it->second, "'");
  }
  *out = v;
  return std::nullopt;
}

}  // namespace rollrig::host::rigctl
