#include "host/rigctl/options.h"

namespace rollrig::host::rigctl {

std::optional<std::string> ParseOptions(const std::vector<std::string>& args, size_t from,
                                        const std::vector<std::string>& with_value,
                                        const std::vector<std::string>& flags,
                                        size_t max_positional, Options* out) {
  std::vector<OptionSpec> specs;
  for (const std::string& name : with_value) specs.push_back({name, "VALUE", ""});
  for (const std::string& name : flags) specs.push_back({name, "", ""});
  absl::StatusOr<CommandLine> parsed =
      ParseCommandLine(args, from, specs, PositionalRule{max_positional});
  if (!parsed.ok()) return std::string(parsed.status().message());
  *out = *std::move(parsed);
  return std::nullopt;
}

std::optional<std::string> ParseNumber(const Options& o, const std::string& name,
                                       std::optional<double>* out) {
  double value = 0;
  if (absl::Status s = o.ReadNumber(name, &value); !s.ok()) return std::string(s.message());
  if (o.has(name)) *out = value;
  return std::nullopt;
}

}  // namespace rollrig::host::rigctl
