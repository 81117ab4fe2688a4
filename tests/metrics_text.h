// Scraping for tests: an HTTP GET (libcurl), and the Prometheus text exposition format
// read back: each sample line as its name, labels and value (comments and HELP/TYPE lines
// skipped). Plain data; HttpGet may run on any thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rollrig::testing {

struct MetricSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct HttpReply {
  long code = 0;  // 0: no answer (see error)
  std::string headers;
  std::string body;
  std::string error;
};

struct HttpRequestOptions {
  std::string user_password;  // "USER:PASSWORD" for basic auth; "" = none
  std::string ca_pem;         // https: trust only this CA; "" = the system's CAs
  std::string method;         // "" = GET; "HEAD" asks for no body
  std::string extra_header;   // one more "Name: value" line; "" = none
};

// One request to `url` (10 s timeout), on a connection of its own.
HttpReply HttpFetch(const std::string& url, const HttpRequestOptions& options);
// GET `url`; `user_password` "USER:PASSWORD" for basic auth.
HttpReply HttpGet(const std::string& url, const std::string& user_password = "");

// Samples in order; a line it cannot read becomes a sample named "!unparsed: LINE", so a
// test sees it.
std::vector<MetricSample> ParseExposition(const std::string& text);

// The value of the one sample named `name` whose labels include `labels`; nullopt if none.
std::optional<double> FindSample(const std::vector<MetricSample>& samples, const std::string& name,
                                 const std::map<std::string, std::string>& labels = {});

}  // namespace rollrig::testing
