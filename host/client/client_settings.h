// How a client (rigctl, rig-dash) reaches rigd: the address, the CA that signs rigd's
// certificate (TLS) and the token, each taken from the command line, else the
// environment (ROLLRIG_TOKEN, for the token only), else the per-user config file
// (client_config.h), and each remembering where it came from so an error can name the
// option, variable or file to fix.
//
// Pure functions apart from reading the token and CA files; any thread.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "host/client/client_config.h"

namespace rollrig::client {

// rigd's own default listen address.
inline constexpr char kDefaultAddr[] = "127.0.0.1:50051";
// The environment variable holding a token.
inline constexpr char kTokenEnv[] = "ROLLRIG_TOKEN";
// "--tls-ca none" talks plaintext even when the config file names a CA.
inline constexpr char kNoTls[] = "none";

// What the command line said (unset: not given).
struct ClientFlags {
  std::optional<std::string> addr, tls_ca, token_file;
};

// The environment and the config file, as read by ReadClientSources.
struct ClientSources {
  std::optional<std::string> token_env;  // $ROLLRIG_TOKEN
  ClientConfig config;
};

struct ClientSettings {
  std::string addr;
  std::string addr_from;  // "--addr", "addr in FILE" or "the default"
  std::string ca_file;    // empty: plaintext
  std::string ca_pem;
  std::string ca_from;     // "--tls-ca" or "tls-ca in FILE"
  std::string token;       // empty: none
  std::string token_from;  // "--token-file FILE", "ROLLRIG_TOKEN" or "token-file FILE (in CONF)"
  bool tls() const { return !ca_file.empty(); }
};

// $ROLLRIG_TOKEN and the config file at DefaultClientConfigPath(); errors name the file.
absl::StatusOr<ClientSources> ReadClientSources();

// "HOST:PORT" with a port 1..65535 ("[v6]:PORT" too); else an error naming `addr` and
// where it came from.
absl::Status CheckAddress(const std::string& addr, const std::string& from);

// Applies the precedence (command line > environment > config file), checks the address
// and reads the token and CA files. Errors say which file, and which option named it.
absl::StatusOr<ClientSettings> ResolveClientSettings(const ClientFlags& flags,
                                                     const ClientSources& sources);

}  // namespace rollrig::client
