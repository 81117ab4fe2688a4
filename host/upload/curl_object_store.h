// ObjectStore over libcurl: path-style URLs (ENDPOINT/BUCKET/KEY), SigV4-signed by libcurl
// (CURLOPT_AWS_SIGV4) with the payload's SHA-256 in x-amz-content-sha256. No Content-MD5:
// the queue checks every part's ETag and the object's against the local MD5s, which finds
// the same damage without hashing each part once more. One easy handle per request.
//
// Thread safety: one caller at a time; Cancel() from any thread.
#pragma once

#include <atomic>
#include <string>

#include "host/upload/object_store.h"
#include "host/upload/s3_credentials.h"
#include "host/upload/s3_location.h"

namespace rollrig::upload {

struct CurlStoreOptions {
  std::string endpoint;  // http(s)://HOST[:PORT], no trailing slash
  std::string bucket;
  S3Credentials credentials;
  // Upload bandwidth cap in bytes per second (CURLOPT_MAX_SEND_SPEED_LARGE); 0 = none.
  uint64_t max_send_bytes_per_s = 0;
  long connect_timeout_s = 10;
  // A transfer slower than low_speed_bytes_per_s for low_speed_time_s is given up.
  long low_speed_bytes_per_s = 1;
  long low_speed_time_s = 30;
};

class CurlObjectStore final : public ObjectStore {
 public:
  explicit CurlObjectStore(CurlStoreOptions options);

  absl::Status CheckBucket() override;
  absl::StatusOr<std::string> Put(const std::string& key, absl::string_view body,
                                  const ObjectMetadata& metadata) override;
  absl::StatusOr<std::string> CreateMultipart(const std::string& key,
                                              const ObjectMetadata& metadata) override;
  absl::StatusOr<std::string> UploadPart(const std::string& key, const std::string& upload_id,
                                         int part_number, absl::string_view body) override;
  absl::StatusOr<std::string> CompleteMultipart(
      const std::string& key, const std::string& upload_id,
      const std::vector<std::string>& part_etags) override;
  absl::Status AbortMultipart(const std::string& key, const std::string& upload_id) override;
  absl::StatusOr<ObjectInfo> Head(const std::string& key) override;
  void Cancel() override { cancelled_ = true; }

  struct Response {
    long status = 0;
    std::string body;
    std::map<std::string, std::string> headers;  // names lower case
  };
  struct Request {
    std::string method;
    std::string key;    // "" = the bucket
    std::string query;  // without '?', parameters sorted
    absl::string_view body;
    ObjectMetadata metadata;
    std::string what;  // for errors
  };

 private:
  absl::StatusOr<Response> Perform(const Request& request);
  std::string Url(const std::string& key, const std::string& query) const;
  std::string Where() const;

  const CurlStoreOptions options_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace rollrig::upload
