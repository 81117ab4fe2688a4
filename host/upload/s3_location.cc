#include "host/upload/s3_location.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace rollrig::upload {
namespace {

// The S3 bucket naming rules: 3..63 of [a-z0-9.-], starting and ending with a letter or digit.
absl::Status CheckBucketName(const std::string& bucket) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("--upload: bucket name \"", bucket, "\" ", why,
                     " (S3 bucket names are 3 to 63 of a-z, 0-9, '.' and '-')"));
  };
  if (bucket.size() < 3 || bucket.size() > 63) return bad("has a bad length");
  for (char c : bucket) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) {
      return bad(absl::StrCat("has the character '", std::string(1, c), "'"));
    }
  }
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(bucket.front()) || !alnum(bucket.back())) {
    return bad("must start and end with a letter or digit");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<S3Location> ParseS3Url(const std::string& url) {
  absl::string_view rest = url;
  if (!absl::ConsumePrefix(&rest, "s3://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("--upload: \"", url, "\" is not s3://BUCKET/PREFIX"));
  }
  S3Location location;
  const size_t slash = rest.find('/');
  location.bucket = std::string(rest.substr(0, slash));
  if (absl::Status s = CheckBucketName(location.bucket); !s.ok()) return s;
  if (slash != absl::string_view::npos) {
    absl::string_view prefix = rest.substr(slash + 1);
    while (absl::ConsumeSuffix(&prefix, "/")) {
    }
    for (absl::string_view piece : absl::StrSplit(prefix, '/')) {
      if (piece.empty() && !prefix.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--upload: the prefix of \"", url, "\" has an empty path piece (//)"));
      }
    }
    location.prefix = std::string(prefix);
  }
  return location;
}

absl::StatusOr<std::string> NormalizeEndpoint(const std::string& url) {
  absl::string_view rest = url;
  if (!absl::ConsumePrefix(&rest, "http://") && !absl::ConsumePrefix(&rest, "https://")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--s3-endpoint: \"", url, "\" is not http://HOST[:PORT] or https://HOST[:PORT]"));
  }
  while (absl::ConsumeSuffix(&rest, "/")) {
  }
  if (rest.empty() || absl::StrContains(rest, "/") || absl::StrContains(rest, "?")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--s3-endpoint: \"", url, "\" needs a host and no path (path-style: ENDPOINT/BUCKET/KEY)"));
  }
  std::string normalized = url;
  while (!normalized.empty() && normalized.back() == '/') normalized.pop_back();
  return normalized;
}

std::string ObjectKey(const S3Location& location, const std::string& serial,
                      const std::string& run_id, const std::string& file) {
  const std::string tail =
      absl::StrCat(serial.empty() ? "unknown-serial" : serial, "/", run_id, "/", file);
  return location.prefix.empty() ? tail : absl::StrCat(location.prefix, "/", tail);
}

std::string DescribeDestination(const S3Location& location, const std::string& endpoint) {
  return absl::StrCat("s3://", location.bucket, location.prefix.empty() ? "" : "/", location.prefix,
                      " at ", endpoint);
}

}  // namespace rollrig::upload
