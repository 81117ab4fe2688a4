#include "host/metrics/metrics_tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace rollrig::host {
namespace {

namespace ssl = boost::asio::ssl;

// OpenSSL's own words for the last error ("key values mismatch"), else asio's.
std::string Reason(const boost::system::error_code& ec) {
  const unsigned long e = ERR_peek_last_error();
  const char* reason = e != 0 ? ERR_reason_error_string(e) : nullptr;
  ERR_clear_error();
  return reason != nullptr ? reason : ec.message();
}

absl::Status Readable(const char* flag, const std::string& file) {
  std::ifstream in(file);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": cannot read ", file, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<ssl::context>> LoadMetricsTls(const std::string& cert_file,
                                                             const std::string& key_file) {
  if (absl::Status s = Readable("--metrics-tls-cert", cert_file); !s.ok()) return s;
  if (absl::Status s = Readable("--metrics-tls-key", key_file); !s.ok()) return s;
  auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                           ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                       ec);
  if (ec) return absl::InternalError(absl::StrCat("TLS options for /metrics: ", Reason(ec)));
  ERR_clear_error();
  if (context->use_certificate_chain_file(cert_file, ec); ec) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--metrics-tls-cert: ", cert_file, " is not a PEM certificate chain: ", Reason(ec)));
  }
  if (context->use_private_key_file(key_file, ssl::context::pem, ec); ec) {
    return absl::InvalidArgumentError(absl::StrCat("--metrics-tls-key: ", key_file,
                                                   " is not the PEM private key of ", cert_file,
                                                   ": ", Reason(ec)));
  }
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("--metrics-tls-key: ", key_file,
                                                   " is not the private key of ", cert_file, ": ",
                                                   Reason({})));
  }
  return context;
}

}  // namespace rollrig::host
