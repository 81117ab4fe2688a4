#include "host/client/client_config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace rollrig::client {
namespace {

// A config file is a few lines; anything bigger is not one.
constexpr size_t kMaxConfigBytes = 64 * 1024;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string Resolve(const std::string& value, const std::string& config_path) {
  if (value.empty() || value[0] == '/') return value;
  if (value.rfind("~/", 0) == 0 && !Env("HOME").empty()) return Env("HOME") + value.substr(1);
  const std::filesystem::path dir = std::filesystem::path(config_path).parent_path();
  return dir.empty() ? value : (dir / value).string();
}

}  // namespace

std::string DefaultClientConfigPath() {
  if (std::string p = Env("ROLLRIG_CLIENT_CONFIG"); !p.empty()) return p;
  if (std::string x = Env("XDG_CONFIG_HOME"); !x.empty()) return x + "/rollrig/client.conf";
  if (std::string h = Env("HOME"); !h.empty()) return h + "/.config/rollrig/client.conf";
  return "";
}

absl::StatusOr<ClientConfig> ParseClientConfig(const std::string& text, const std::string& path) {
  ClientConfig config;
  config.path = path;
  int number = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++number;
    absl::string_view line = absl::StripAsciiWhitespace(raw.substr(0, raw.find('#')));
    if (line.empty()) continue;
    const size_t eq = line.find('=');
    const std::string where = absl::StrCat(path, " line ", number);
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": expected KEY = VALUE (addr, tls-ca or token-file)"));
    }
    const std::string key(absl::StripAsciiWhitespace(line.substr(0, eq)));
    const std::string value(absl::StripAsciiWhitespace(line.substr(eq + 1)));
    if (value.empty())
      return absl::InvalidArgumentError(absl::StrCat(where, ": ", key, " has no value"));
    if (key == "addr") {
      config.addr = value;
    } else if (key == "tls-ca") {
      config.tls_ca = Resolve(value, path);
    } else if (key == "token-file") {
      config.token_file = Resolve(value, path);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": unknown key '", key, "' (expected addr, tls-ca or token-file)"));
    }
  }
  return config;
}

absl::StatusOr<ClientConfig> ReadClientConfig(const std::string& path) {
  if (path.empty() || !std::filesystem::exists(path)) return ClientConfig{};
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read client config ", path));
  if (text.str().size() > kMaxConfigBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("client config ", path, " is larger than ", kMaxConfigBytes, " bytes"));
  }
  return ParseClientConfig(text.str(), path);
}

}  // namespace rollrig::client
