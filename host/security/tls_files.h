// The PEM files of rigd's TLS: its certificate (chain), its private key and, for mutual
// TLS, the CA that signs client certificates. Checked with OpenSSL before rigd serves, so
// a missing or unreadable file, a file that holds no certificate or key, an encrypted
// key, or a key that does not belong to the certificate stops rigd at start with the
// file named, instead of failing every handshake later.
//
// Pure functions apart from reading the files; thread-safe.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace rollrig::host {

struct TlsServerFiles {
  std::string cert_file;       // PEM: rigd's certificate, then any intermediates
  std::string key_file;        // PEM: its private key, unencrypted
  std::string client_ca_file;  // PEM: the CA of client certificates; "" = none asked for
};

struct TlsServerPem {
  std::string cert_chain;
  std::string private_key;
  std::string client_ca;  // "" without a client CA
};

// The files' contents once they check out; otherwise INVALID_ARGUMENT (or NOT_FOUND /
// PERMISSION_DENIED for a file that cannot be read) naming the file and what is wrong.
absl::StatusOr<TlsServerPem> LoadTlsServerFiles(const TlsServerFiles& files);

}  // namespace rollrig::host
