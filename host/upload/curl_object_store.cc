#include "host/upload/curl_object_store.h"

#include <curl/curl.h>

#include <cstring>
#include <memory>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "host/upload/digests.h"
#include "host/upload/s3_error.h"

namespace rollrig::upload {
namespace {

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// S3's URI encoding of a key: unreserved characters and '/' stay, the rest is %XX.
std::string EncodeKey(const std::string& key) {
  std::string out;
  for (unsigned char c : key) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += absl::StrCat("%", absl::Hex(c, absl::kZeroPad2));
    }
  }
  return out;
}

struct ReadState {
  absl::string_view body;
  size_t offset = 0;
};

size_t ReadBody(char* buffer, size_t size, size_t n, void* user) {
  auto* state = static_cast<ReadState*>(user);
  const size_t count = std::min(size * n, state->body.size() - state->offset);
  memcpy(buffer, state->body.data() + state->offset, count);
  state->offset += count;
  return count;
}

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t WriteHeader(char* data, size_t size, size_t n, void* user) {
  absl::string_view line(data, size * n);
  const size_t colon = line.find(':');
  if (colon != absl::string_view::npos) {
    auto* headers = static_cast<std::map<std::string, std::string>*>(user);
    (*headers)[absl::AsciiStrToLower(line.substr(0, colon))] =
        std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
  }
  return size * n;
}

int Progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<std::atomic<bool>*>(user)->load() ? 1 : 0;
}

using CurlHandle = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;
using HeaderList = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

HeaderList Headers(const CurlObjectStore::Request& request) {
  curl_slist* list = nullptr;
  auto add = [&](const std::string& h) { list = curl_slist_append(list, h.c_str()); };
  add(absl::StrCat("x-amz-content-sha256: ", Sha256Hex(request.body)));
  for (const auto& [name, value] : request.metadata)
    add(absl::StrCat("x-amz-meta-", name, ": ", value));
  add("Expect:");  // no 100-continue round trip
  return HeaderList(list, &curl_slist_free_all);
}

}  // namespace

CurlObjectStore::CurlObjectStore(CurlStoreOptions options) : options_(std::move(options)) {
  GlobalInit();
}

std::string CurlObjectStore::Url(const std::string& key, const std::string& query) const {
  std::string url = absl::StrCat(options_.endpoint, "/", options_.bucket);
  if (!key.empty()) absl::StrAppend(&url, "/", EncodeKey(key));
  if (!query.empty()) absl::StrAppend(&url, "?", query);
  return url;
}

std::string CurlObjectStore::Where() const {
  return absl::StrCat("s3://", options_.bucket, " at ", options_.endpoint);
}

absl::StatusOr<CurlObjectStore::Response> CurlObjectStore::Perform(const Request& request) {
  if (cancelled_) return absl::CancelledError(absl::StrCat(request.what, ": uploads stopping"));
  CurlHandle curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return absl::InternalError("curl_easy_init failed");
  CURL* h = curl.get();
  const std::string url = Url(request.key, request.query);
  const std::string sigv4 = absl::StrCat("aws:amz:", options_.credentials.region, ":s3");
  const std::string userpwd =
      absl::StrCat(options_.credentials.access_key_id, ":", options_.credentials.secret_access_key);
  HeaderList headers = Headers(request);
  Response response;
  ReadState read{request.body, 0};
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sigv4.c_str());
  curl_easy_setopt(h, CURLOPT_USERPWD, userpwd.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, options_.connect_timeout_s);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, options_.low_speed_bytes_per_s);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, options_.low_speed_time_s);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &response.headers);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, Progress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &cancelled_);
  if (options_.max_send_bytes_per_s > 0) {
    curl_easy_setopt(h, CURLOPT_MAX_SEND_SPEED_LARGE,
                     static_cast<curl_off_t>(options_.max_send_bytes_per_s));
  }
  if (request.method == "PUT") {
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, ReadBody);
    curl_easy_setopt(h, CURLOPT_READDATA, &read);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else if (request.method == "POST") {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else if (request.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  const CURLcode code = curl_easy_perform(h);
  if (code == CURLE_ABORTED_BY_CALLBACK) {
    return absl::CancelledError(absl::StrCat(request.what, ": uploads stopping"));
  }
  if (code != CURLE_OK) {
    return S3TransportError(error[0] != 0 ? error : curl_easy_strerror(code), request.what,
                            Where());
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
  if (response.status < 200 || response.status >= 300) {
    return S3HttpError(response.status, response.body, request.what, Where());
  }
  return response;
}

absl::Status CurlObjectStore::CheckBucket() {
  Request r{"GET", "", "max-keys=1", {}, {}, "listing the bucket"};
  return Perform(r).status();
}

absl::StatusOr<std::string> CurlObjectStore::Put(const std::string& key, absl::string_view body,
                                                 const ObjectMetadata& metadata) {
  Request r{"PUT", key, "", body, metadata, absl::StrCat("PUT ", key)};
  absl::StatusOr<Response> response = Perform(r);
  if (!response.ok()) return response.status();
  return UnquoteEtag(response->headers["etag"]);
}

absl::StatusOr<std::string> CurlObjectStore::CreateMultipart(const std::string& key,
                                                             const ObjectMetadata& metadata) {
  Request r{
      "POST", key, "uploads=", {}, metadata, absl::StrCat("starting a multipart upload of ", key)};
  absl::StatusOr<Response> response = Perform(r);
  if (!response.ok()) return response.status();
  const size_t begin = response->body.find("<UploadId>");
  const size_t end = response->body.find("</UploadId>");
  if (begin == std::string::npos || end == std::string::npos) {
    return absl::DataLossError(absl::StrCat(r.what, " on ", Where(), ": no UploadId in the reply"));
  }
  return response->body.substr(begin + 10, end - begin - 10);
}

absl::StatusOr<std::string> CurlObjectStore::UploadPart(const std::string& key,
                                                        const std::string& upload_id,
                                                        int part_number, absl::string_view body) {
  Request r{"PUT", key, absl::StrCat("partNumber=", part_number, "&uploadId=", upload_id),
            body,  {},  absl::StrCat("PUT part ", part_number, " of ", key)};
  absl::StatusOr<Response> response = Perform(r);
  if (!response.ok()) return response.status();
  return UnquoteEtag(response->headers["etag"]);
}

absl::StatusOr<std::string> CurlObjectStore::CompleteMultipart(
    const std::string& key, const std::string& upload_id,
    const std::vector<std::string>& part_etags) {
  std::string xml = "<CompleteMultipartUpload>";
  for (size_t i = 0; i < part_etags.size(); ++i) {
    absl::StrAppend(&xml, "<Part><PartNumber>", i + 1, "</PartNumber><ETag>\"", part_etags[i],
                    "\"</ETag></Part>");
  }
  xml += "</CompleteMultipartUpload>";
  Request r{"POST", key, absl::StrCat("uploadId=", upload_id),
            xml,    {},  absl::StrCat("completing the multipart upload of ", key)};
  absl::StatusOr<Response> response = Perform(r);
  if (!response.ok()) return response.status();
  // A 200 may still carry an error document (S3 reports late failures so).
  if (S3ErrorBody e = ParseS3ErrorBody(response->body); !e.code.empty()) {
    return S3HttpError(500, response->body, r.what, Where());
  }
  const size_t begin = response->body.find("<ETag>");
  const size_t end = response->body.find("</ETag>");
  if (begin == std::string::npos || end == std::string::npos) return std::string();
  absl::string_view etag = absl::string_view(response->body).substr(begin + 6, end - begin - 6);
  for (const char* quote : {"&quot;", "&#34;"}) {
    while (absl::ConsumePrefix(&etag, quote) || absl::ConsumeSuffix(&etag, quote)) {
    }
  }
  return UnquoteEtag(etag);
}

absl::Status CurlObjectStore::AbortMultipart(const std::string& key, const std::string& upload_id) {
  Request r{"DELETE", key, absl::StrCat("uploadId=", upload_id),
            {},       {},  absl::StrCat("aborting the multipart upload of ", key)};
  return Perform(r).status();
}

absl::StatusOr<ObjectInfo> CurlObjectStore::Head(const std::string& key) {
  Request r{"HEAD", key, "", {}, {}, absl::StrCat("HEAD ", key)};
  absl::StatusOr<Response> response = Perform(r);
  if (!response.ok()) return response.status();
  ObjectInfo info;
  if (!absl::SimpleAtoi(response->headers["content-length"], &info.size)) {
    return absl::DataLossError(absl::StrCat(r.what, " on ", Where(), ": no Content-Length"));
  }
  info.etag = UnquoteEtag(response->headers["etag"]);
  for (const auto& [name, value] : response->headers) {
    if (absl::StartsWith(name, "x-amz-meta-")) info.metadata[name.substr(11)] = value;
  }
  return info;
}

}  // namespace rollrig::upload
