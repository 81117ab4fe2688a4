#include "host/security/tls_files.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace rollrig::host {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Bio = std::unique_ptr<BIO, BioFree>;
using Certificate = std::unique_ptr<X509, X509Free>;
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;

absl::StatusOr<std::string> ReadPemFile(const char* what, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    const std::string why =
        absl::StrCat("cannot read the ", what, " ", path, ": ", std::strerror(err));
    return err == ENOENT   ? absl::NotFoundError(why)
           : err == EACCES ? absl::PermissionDeniedError(why)
                           : absl::InvalidArgumentError(why);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Bio MemoryBio(const std::string& pem) {
  return Bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// The first certificate in `pem`, or null.
Certificate FirstCertificate(const std::string& pem) {
  Bio bio = MemoryBio(pem);
  return Certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

// Refuses to ask for a pass phrase: rigd runs unattended.
int NoPassphrase(char*, int, int, void*) { return -1; }

Key PrivateKey(const std::string& pem) {
  Bio bio = MemoryBio(pem);
  return Key(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
}

}  // namespace

absl::StatusOr<TlsServerPem> LoadTlsServerFiles(const TlsServerFiles& files) {
  TlsServerPem pem;
  absl::StatusOr<std::string> cert = ReadPemFile("TLS certificate", files.cert_file);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPemFile("TLS key", files.key_file);
  if (!key.ok()) return key.status();
  Certificate x509 = FirstCertificate(*cert);
  ERR_clear_error();
  if (!x509) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the TLS certificate ", files.cert_file, " holds no PEM certificate (BEGIN CERTIFICATE)"));
  }
  Key private_key = PrivateKey(*key);
  ERR_clear_error();
  if (!private_key) {
    return absl::InvalidArgumentError(
        absl::StrCat("the TLS key ", files.key_file,
                     " holds no PEM private key rigd can read (an encrypted key is not "
                     "accepted: rigd starts unattended)"));
  }
  if (X509_check_private_key(x509.get(), private_key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(
        "the TLS key ", files.key_file, " does not belong to the certificate ", files.cert_file));
  }
  pem.cert_chain = *std::move(cert);
  pem.private_key = *std::move(key);
  if (files.client_ca_file.empty()) return pem;
  absl::StatusOr<std::string> ca = ReadPemFile("client CA", files.client_ca_file);
  if (!ca.ok()) return ca.status();
  if (!FirstCertificate(*ca)) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(
        "the client CA ", files.client_ca_file, " holds no PEM certificate (BEGIN CERTIFICATE)"));
  }
  pem.client_ca = *std::move(ca);
  return pem;
}

}  // namespace rollrig::host
