// The per-user client config file: defaults for rigctl and rig-dash so nobody retypes the
// address, the CA or the token file. Plain text, one "KEY = VALUE" a line, '#' comments:
//   addr = rig7.lab:50051
//   tls-ca = lab-ca.crt          # relative paths are relative to the file's folder
//   token-file = rig7.token
// Where: $ROLLRIG_CLIENT_CONFIG, else $XDG_CONFIG_HOME/rollrig/client.conf, else
// ~/.config/rollrig/client.conf. A missing file is no error; a bad line is, naming it.
//
// Pure functions (ReadClientConfig reads one file); any thread.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace rollrig::client {

struct ClientConfig {
  std::string path;  // where it was read from (empty: no file)
  std::string addr, tls_ca, token_file;
};

// The config file's path by the rule above ("" when neither $HOME nor the others is set).
std::string DefaultClientConfigPath();

// Parses a config file's text; relative file names are taken from `dir`.
absl::StatusOr<ClientConfig> ParseClientConfig(const std::string& text, const std::string& path);

// Reads `path` (an empty ClientConfig when it does not exist).
absl::StatusOr<ClientConfig> ReadClientConfig(const std::string& path);

}  // namespace rollrig::client
