#include "tests/metrics_text.h"

#include <curl/curl.h>

#include <cstdlib>
#include <sstream>

namespace rollrig::testing {
namespace {

// Reads `k="v",k2="v2"` (no escapes: rigd's label values have none) into `labels`.
bool ParseLabels(const std::string& text, std::map<std::string, std::string>* labels) {
  size_t i = 0;
  while (i < text.size()) {
    const size_t eq = text.find("=\"", i);
    if (eq == std::string::npos) return false;
    const size_t close = text.find('"', eq + 2);
    if (close == std::string::npos) return false;
    (*labels)[text.substr(i, eq - i)] = text.substr(eq + 2, close - eq - 2);
    i = close + 1;
    if (i < text.size() && text[i] == ',') ++i;
  }
  return true;
}

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

}  // namespace

HttpReply HttpFetch(const std::string& url, const HttpRequestOptions& options) {
  HttpReply reply;
  char error[CURL_ERROR_SIZE] = "";
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, Append);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &reply.headers);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_FORBID_REUSE, 1L);
  if (!options.user_password.empty()) {
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERPWD, options.user_password.c_str());
  }
  curl_blob ca{const_cast<char*>(options.ca_pem.data()), options.ca_pem.size(), CURL_BLOB_COPY};
  if (!options.ca_pem.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &ca);
  if (options.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (!options.method.empty()) {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, options.method.c_str());
  }
  curl_slist* headers = nullptr;
  if (!options.extra_header.empty()) {
    headers = curl_slist_append(headers, options.extra_header.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  }
  const CURLcode rc = curl_easy_perform(curl);
  if (rc != CURLE_OK) reply.error = error[0] != 0 ? error : curl_easy_strerror(rc);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.code);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return reply;
}

HttpReply HttpGet(const std::string& url, const std::string& user_password) {
  HttpRequestOptions options;
  options.user_password = user_password;
  return HttpFetch(url, options);
}

std::vector<MetricSample> ParseExposition(const std::string& text) {
  std::vector<MetricSample> samples;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    MetricSample s;
    const size_t brace = line.find('{');
    const size_t space = line.rfind(' ');
    bool ok = space != std::string::npos;
    std::string series = ok ? line.substr(0, space) : line;
    if (ok && brace != std::string::npos && brace < space) {
      const size_t close = series.rfind('}');
      ok = close != std::string::npos &&
           ParseLabels(series.substr(brace + 1, close - brace - 1), &s.labels);
      series = series.substr(0, brace);
    }
    if (ok) {
      char* end = nullptr;
      const std::string value = line.substr(space + 1);
      s.value = std::strtod(value.c_str(), &end);
      ok = end != nullptr && *end == '\0';
    }
    s.name = ok ? series : "!unparsed: " + line;
    samples.push_back(std::move(s));
  }
  return samples;
}

std::optional<double> FindSample(const std::vector<MetricSample>& samples, const std::string& name,
                                 const std::map<std::string, std::string>& labels) {
  for (const MetricSample& s : samples) {
    if (s.name != name) continue;
    bool match = true;
    for (const auto& [k, v] : labels) {
      auto it = s.labels.find(k);
      match = match && it != s.labels.end() && it->second == v;
    }
    if (match) return s.value;
  }
  return std::nullopt;
}

}  // namespace rollrig::testing
