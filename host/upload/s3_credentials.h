// The access key, secret and region uploads are signed with. Read once at start.
// Pure over its inputs (the environment comes in as a function); any thread.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace rollrig::upload {

struct S3Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string region = "us-east-1";
  std::string source;  // where they came from, for messages (never the secret)
};

// Reads an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup ProcessEnvironment();

// The [default] profile (or AWS_PROFILE's) of an AWS shared credentials file:
// aws_access_key_id, aws_secret_access_key and optionally region. Errors name the file
// and line.
absl::StatusOr<S3Credentials> ParseCredentialsFile(const std::string& path, const std::string& text,
                                                   const std::string& profile = "default");

// `file` if given (--s3-credentials), else AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, else
// AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials if they exist. AWS_REGION (or
// AWS_DEFAULT_REGION) overrides a file's region; us-east-1 without either.
// INVALID_ARGUMENT saying what is missing and where it looked.
absl::StatusOr<S3Credentials> LoadS3Credentials(const std::string& file, const EnvLookup& env);

}  // namespace rollrig::upload
