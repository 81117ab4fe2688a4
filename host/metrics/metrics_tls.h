// The TLS server context for /metrics: TLS 1.2 or later, the certificate chain and its
// private key read from PEM files and checked to belong together.
//
// Thread safety: the returned context is immutable once made; connections share it.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "boost/asio/ssl/context.hpp"

namespace rollrig::host {

// INVALID_ARGUMENT naming the flag and file: unreadable, not PEM, or a key that is not the
// certificate's.
absl::StatusOr<std::unique_ptr<boost::asio::ssl::context>> LoadMetricsTls(
    const std::string& cert_file, const std::string& key_file);

}  // namespace rollrig::host
