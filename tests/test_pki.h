// A throwaway public-key infrastructure for tests, made in-process with OpenSSL: a CA,
// server certificates (with DNS and IP subject alternative names) and client
// certificates it signs. EC P-256 keys, valid from an hour ago for two days.
//
// Not thread-safe per object; each Issued is a plain value.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace rollrig::testing {

struct Issued {
  std::string cert_pem;
  std::string key_pem;
};

class TestCa {
 public:
  // A self-signed CA named CN=`common_name`.
  explicit TestCa(const std::string& common_name);
  ~TestCa();

  const std::string& cert_pem() const { return ca_.cert_pem; }
  // A server certificate for CN=localhost, DNS:localhost and IP:127.0.0.1.
  Issued IssueServer() const;
  // A client certificate whose subject has these (field, value) entries in order, e.g.
  // {{"C","DE"},{"O","Lab"},{"CN","carol"}} (RFC 2253 prints them reversed).
  Issued IssueClient(const std::vector<std::pair<std::string, std::string>>& subject) const;

 private:
  struct Keys;
  std::unique_ptr<Keys> keys_;
  Issued ca_;
};

}  // namespace rollrig::testing
