// S3's error responses (<Error><Code>..</Code><Message>..</Message></Error>) turned into
// absl errors a user can act on: which store, what it said, what to check. Pure.
#pragma once

#include <string>

#include "absl/status/status.h"

namespace rollrig::upload {

struct S3ErrorBody {
  std::string code;
  std::string message;
};

// Empty fields when the body is not an S3 error document.
S3ErrorBody ParseS3ErrorBody(const std::string& body);

// `what`: the operation ("PUT lab/SIM-A/r1/r1.mcap"); `where`: "s3://BUCKET at ENDPOINT".
// Wrong credentials -> PERMISSION_DENIED, NoSuchBucket / NoSuchKey / 404 -> NOT_FOUND,
// 5xx and throttling -> UNAVAILABLE, anything else -> FAILED_PRECONDITION.
absl::Status S3HttpError(long http_status, const std::string& body, const std::string& what,
                         const std::string& where);

// libcurl failed before a response (refused, timed out, DNS): UNAVAILABLE naming the endpoint.
absl::Status S3TransportError(const std::string& curl_error, const std::string& what,
                              const std::string& where);

}  // namespace rollrig::upload
