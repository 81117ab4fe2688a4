// Where recordings go: `s3://BUCKET/PREFIX` on an endpoint, and the key of each object
// (PREFIX/SERIAL/RUN_ID/FILE). Pure; any thread.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace rollrig::upload {

struct S3Location {
  std::string bucket;
  std::string prefix;  // without leading or trailing '/'; may be empty
};

// INVALID_ARGUMENT naming what is wrong (scheme, bucket name rules, empty path pieces).
absl::StatusOr<S3Location> ParseS3Url(const std::string& url);

// An endpoint URL: http:// or https://, a host, no path, query or trailing slash (it is
// removed). INVALID_ARGUMENT naming the flag's value otherwise.
absl::StatusOr<std::string> NormalizeEndpoint(const std::string& url);

// PREFIX/SERIAL/RUN_ID/FILE (without PREFIX/ when the prefix is empty).
std::string ObjectKey(const S3Location& location, const std::string& serial,
                      const std::string& run_id, const std::string& file);

// "s3://BUCKET/PREFIX at ENDPOINT".
std::string DescribeDestination(const S3Location& location, const std::string& endpoint);

}  // namespace rollrig::upload
