#include "host/upload/s3_error.h"

#include "absl/strings/str_cat.h"

namespace rollrig::upload {
namespace {

std::string Element(const std::string& body, const std::string& name) {
  const std::string open = "<" + name + ">", close = "</" + name + ">";
  const size_t begin = body.find(open);
  if (begin == std::string::npos) return "";
  const size_t from = begin + open.size();
  const size_t end = body.find(close, from);
  if (end == std::string::npos) return "";
  return body.substr(from, end - from);
}

std::string Hint(const std::string& code, long http_status) {
  if (code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" ||
      code == "InvalidSecurity" || code == "AccessDenied" || http_status == 403) {
    return "; check the access key and secret (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or "
           "--s3-credentials) and the region";
  }
  if (code == "NoSuchBucket") return "; create the bucket or fix --upload";
  return "";
}

}  // namespace

S3ErrorBody ParseS3ErrorBody(const std::string& body) {
  return {Element(body, "Code"), Element(body, "Message")};
}

absl::Status S3HttpError(long http_status, const std::string& body, const std::string& what,
                         const std::string& where) {
  const S3ErrorBody error = ParseS3ErrorBody(body);
  const std::string said = error.code.empty()
                               ? absl::StrCat("HTTP ", http_status)
                               : absl::StrCat(error.code, error.message.empty() ? "" : ": ",
                                              error.message, " (HTTP ", http_status, ")");
  const std::string text =
      absl::StrCat(what, " on ", where, " failed: ", said, Hint(error.code, http_status));
  if (error.code == "InvalidAccessKeyId" || error.code == "SignatureDoesNotMatch" ||
      error.code == "AccessDenied" || http_status == 403 || http_status == 401) {
    return absl::PermissionDeniedError(text);
  }
  if (http_status == 404 || error.code == "NoSuchBucket" || error.code == "NoSuchKey") {
    return absl::NotFoundError(text);
  }
  if (http_status >= 500 || http_status == 429 || error.code == "SlowDown") {
    return absl::UnavailableError(text);
  }
  return absl::FailedPreconditionError(text);
}

absl::Status S3TransportError(const std::string& curl_error, const std::string& what,
                              const std::string& where) {
  return absl::UnavailableError(
      absl::StrCat(what, " on ", where, " failed: the store is unreachable: ", curl_error));
}

}  // namespace rollrig::upload
