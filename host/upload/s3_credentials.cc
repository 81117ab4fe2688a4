#include "host/upload/s3_credentials.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace rollrig::upload {
namespace {

absl::StatusOr<std::string> ReadText(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("S3 credentials file ", path, " cannot be read"));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void ApplyRegion(const EnvLookup& env, S3Credentials* c) {
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (std::optional<std::string> v = env(name); v && !v->empty()) {
      c->region = *v;
      return;
    }
  }
}

absl::StatusOr<S3Credentials> FromFile(const std::string& path, const EnvLookup& env) {
  absl::StatusOr<std::string> text = ReadText(path);
  if (!text.ok()) return text.status();
  const std::string profile = env("AWS_PROFILE").value_or("default");
  absl::StatusOr<S3Credentials> c = ParseCredentialsFile(path, *text, profile);
  if (c.ok()) ApplyRegion(env, &*c);
  return c;
}

}  // namespace

EnvLookup ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

absl::StatusOr<S3Credentials> ParseCredentialsFile(const std::string& path, const std::string& text,
                                                   const std::string& profile) {
  S3Credentials c;
  c.source = path;
  bool in_profile = false, seen_profile = false;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      if (line.back() != ']') {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ":", line_number, ": a section header needs a closing ']'"));
      }
      in_profile = absl::StripAsciiWhitespace(line.substr(1, line.size() - 2)) == profile;
      seen_profile = seen_profile || in_profile;
      continue;
    }
    if (!in_profile) continue;
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", line_number, ": expected NAME = VALUE"));
    }
    const std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(line.substr(0, eq)));
    const std::string value(absl::StripAsciiWhitespace(line.substr(eq + 1)));
    if (name == "aws_access_key_id") c.access_key_id = value;
    if (name == "aws_secret_access_key") c.secret_access_key = value;
    if (name == "region") c.region = value;
  }
  if (!seen_profile) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no [", profile, "] section"));
  }
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": [", profile, "] needs aws_access_key_id and aws_secret_access_key"));
  }
  return c;
}

absl::StatusOr<S3Credentials> LoadS3Credentials(const std::string& file, const EnvLookup& env) {
  if (!file.empty()) return FromFile(file, env);
  const std::optional<std::string> key = env("AWS_ACCESS_KEY_ID");
  const std::optional<std::string> secret = env("AWS_SECRET_ACCESS_KEY");
  if (key && secret && !key->empty() && !secret->empty()) {
    S3Credentials c;
    c.access_key_id = *key;
    c.secret_access_key = *secret;
    c.source = "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY";
    ApplyRegion(env, &c);
    return c;
  }
  std::string shared = env("AWS_SHARED_CREDENTIALS_FILE").value_or("");
  if (shared.empty()) {
    if (std::optional<std::string> home = env("HOME"); home && !home->empty()) {
      shared = absl::StrCat(*home, "/.aws/credentials");
    }
  }
  if (!shared.empty() && std::ifstream(shared).good()) return FromFile(shared, env);
  return absl::InvalidArgumentError(
      "--upload needs S3 credentials: give --s3-credentials FILE, or set AWS_ACCESS_KEY_ID and "
      "AWS_SECRET_ACCESS_KEY, or have AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials");
}

}  // namespace rollrig::upload
