#include "host/client/client_settings.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace rollrig::client {
namespace {

// Tokens and CA bundles are small; a bigger file is the wrong file.
constexpr size_t kMaxTokenBytes = 4096;
constexpr size_t kMaxCaBytes = 1 << 20;

absl::StatusOr<std::string> ReadSmallFile(const std::string& path, size_t max_bytes,
                                          const std::string& what, const std::string& from) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read ", what, " ", path, " (", from, "): ", std::strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  if (text.str().size() > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " ", path, " (", from, ") is larger than ", max_bytes, " bytes"));
  }
  return text.str();
}

absl::Status ReadToken(const std::string& path, const std::string& from, ClientSettings* out) {
  absl::StatusOr<std::string> text = ReadSmallFile(path, kMaxTokenBytes, "token file", from);
  if (!text.ok()) return text.status();
  out->token = std::string(absl::StripAsciiWhitespace(*text));
  out->token_from = from == "--token-file" ? absl::StrCat("--token-file ", path) : from;
  if (out->token.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("token file ", path, " (", from, ") is empty"));
  }
  return absl::OkStatus();
}

absl::Status ReadCa(const std::string& path, const std::string& from, ClientSettings* out) {
  absl::StatusOr<std::string> pem = ReadSmallFile(path, kMaxCaBytes, "CA certificate", from);
  if (!pem.ok()) return pem.status();
  if (!absl::StrContains(*pem, "-----BEGIN CERTIFICATE-----")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "CA certificate ", path, " (", from, ") holds no PEM certificate (BEGIN CERTIFICATE)"));
  }
  out->ca_file = path;
  out->ca_pem = *std::move(pem);
  out->ca_from = from;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ClientSources> ReadClientSources() {
  ClientSources sources;
  if (const char* token = std::getenv(kTokenEnv); token != nullptr) sources.token_env = token;
  absl::StatusOr<ClientConfig> config = ReadClientConfig(DefaultClientConfigPath());
  if (!config.ok()) return config.status();
  sources.config = *std::move(config);
  return sources;
}

absl::Status CheckAddress(const std::string& addr, const std::string& from) {
  const size_t colon = addr.rfind(':');
  std::string host = colon == std::string::npos ? "" : addr.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    host.clear();  // a bare IPv6 address needs brackets to be told from its port
  }
  int port = 0;
  if (host.empty() || !absl::SimpleAtoi(addr.substr(colon + 1), &port) || port < 1 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        from, " '", addr, "' is not HOST:PORT (e.g. 127.0.0.1:50051 or rig7.lab:50051)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<ClientSettings> ResolveClientSettings(const ClientFlags& flags,
                                                     const ClientSources& sources) {
  const ClientConfig& config = sources.config;
  const std::string in_config = absl::StrCat(" in ", config.path);
  ClientSettings out;
  if (flags.addr) {
    out.addr = *flags.addr;
    out.addr_from = "--addr";
  } else if (!config.addr.empty()) {
    out.addr = config.addr;
    out.addr_from = absl::StrCat("addr", in_config);
  } else {
    out.addr = kDefaultAddr;
    out.addr_from = "the default address";
  }
  if (absl::Status s = CheckAddress(out.addr, out.addr_from); !s.ok()) return s;

  if (flags.tls_ca) {
    if (*flags.tls_ca != kNoTls) {
      if (absl::Status s = ReadCa(*flags.tls_ca, "--tls-ca", &out); !s.ok()) return s;
    }
  } else if (!config.tls_ca.empty()) {
    if (absl::Status s = ReadCa(config.tls_ca, absl::StrCat("tls-ca", in_config), &out); !s.ok()) {
      return s;
    }
  }

  if (flags.token_file) {
    if (absl::Status s = ReadToken(*flags.token_file, "--token-file", &out); !s.ok()) return s;
  } else if (sources.token_env) {
    out.token = std::string(absl::StripAsciiWhitespace(*sources.token_env));
    out.token_from = kTokenEnv;
    if (out.token.empty()) return absl::InvalidArgumentError(absl::StrCat(kTokenEnv, " is empty"));
  } else if (!config.token_file.empty()) {
    const std::string from = absl::StrCat("token-file", in_config);
    if (absl::Status s = ReadToken(config.token_file, from, &out); !s.ok()) return s;
    out.token_from = absl::StrCat("token-file ", config.token_file, in_config);
  }
  return out;
}

}  // namespace rollrig::client
