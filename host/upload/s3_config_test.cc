#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "absl/strings/escaping.h"
#include "host/upload/digests.h"
#include "host/upload/s3_credentials.h"
#include "host/upload/s3_error.h"
#include "host/upload/s3_location.h"
#include "host/upload/upload_flags.h"

namespace rollrig::upload {
namespace {

using ::testing::HasSubstr;

TEST(S3LocationTest, ParsesBucketAndPrefix) {
  absl::StatusOr<S3Location> l = ParseS3Url("s3://rollrig/lab/bench-2/");
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(l->bucket, "rollrig");
  EXPECT_EQ(l->prefix, "lab/bench-2");
  EXPECT_EQ(ObjectKey(*l, "SIM-A", "r1", "r1.mcap"), "lab/bench-2/SIM-A/r1/r1.mcap");
  l = ParseS3Url("s3://rollrig");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(ObjectKey(*l, "SIM-A", "r1", "manifest.json"), "SIM-A/r1/manifest.json");
  EXPECT_EQ(DescribeDestination(*l, "http://h:9"), "s3://rollrig at http://h:9");
}

TEST(S3LocationTest, RefusesBadUrlsNamingWhy) {
  EXPECT_THAT(ParseS3Url("http://rollrig/x").status().message(),
              HasSubstr("not s3://BUCKET/PREFIX"));
  EXPECT_THAT(ParseS3Url("s3://Rollrig/x").status().message(), HasSubstr("character 'R'"));
  EXPECT_THAT(ParseS3Url("s3://ab").status().message(), HasSubstr("bad length"));
  EXPECT_THAT(ParseS3Url("s3://-ab/x").status().message(), HasSubstr("start and end"));
  EXPECT_THAT(ParseS3Url("s3://rollrig/a//b").status().message(), HasSubstr("empty path piece"));
}

TEST(S3LocationTest, EndpointsAreHttpUrlsWithoutAPath) {
  EXPECT_EQ(*NormalizeEndpoint("http://127.0.0.1:9000/"), "http://127.0.0.1:9000");
  EXPECT_EQ(*NormalizeEndpoint("https://s3.example.org"), "https://s3.example.org");
  EXPECT_THAT(NormalizeEndpoint("127.0.0.1:9000").status().message(), HasSubstr("--s3-endpoint"));
  EXPECT_THAT(NormalizeEndpoint("http://h/bucket").status().message(), HasSubstr("no path"));
  EXPECT_FALSE(NormalizeEndpoint("http://").ok());
}

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(S3CredentialsTest, ReadsTheDefaultProfileOfASharedCredentialsFile) {
  absl::StatusOr<S3Credentials> c = ParseCredentialsFile(
      "creds",
      "# lab store\n[other]\naws_access_key_id = X\n[default]\naws_access_key_id = AK\n"
      "aws_secret_access_key=SK\nregion = eu-west-1\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->access_key_id, "AK");
  EXPECT_EQ(c->secret_access_key, "SK");
  EXPECT_EQ(c->region, "eu-west-1");
}

TEST(S3CredentialsTest, BadFilesAreNamedWithTheirLine) {
  EXPECT_THAT(ParseCredentialsFile("creds", "[default]\nnonsense\n").status().message(),
              HasSubstr("creds:2: expected NAME = VALUE"));
  EXPECT_THAT(ParseCredentialsFile("creds", "[other]\n").status().message(),
              HasSubstr("no [default] section"));
  EXPECT_THAT(ParseCredentialsFile("creds", "[default]\naws_access_key_id=A\n").status().message(),
              HasSubstr("needs aws_access_key_id and aws_secret_access_key"));
  EXPECT_THAT(LoadS3Credentials("/nonexistent/creds", Env({})).status().message(),
              HasSubstr("/nonexistent/creds cannot be read"));
}

TEST(S3CredentialsTest, EnvironmentThenSharedFileElseAClearError) {
  absl::StatusOr<S3Credentials> c = LoadS3Credentials(
      "", Env({{"AWS_ACCESS_KEY_ID", "A"}, {"AWS_SECRET_ACCESS_KEY", "S"}, {"AWS_REGION", "r1"}}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "A");
  EXPECT_EQ(c->region, "r1");
  c = LoadS3Credentials("", Env({{"AWS_ACCESS_KEY_ID", "A"}, {"AWS_SECRET_ACCESS_KEY", "S"}}));
  EXPECT_EQ(c->region, "us-east-1");
  absl::Status missing = LoadS3Credentials("", Env({{"HOME", "/nonexistent"}})).status();
  EXPECT_TRUE(absl::IsInvalidArgument(missing));
  EXPECT_THAT(missing.message(), HasSubstr("--s3-credentials"));
  EXPECT_THAT(missing.message(), HasSubstr("AWS_ACCESS_KEY_ID"));
}

TEST(S3ErrorTest, S3ErrorDocumentsBecomeClearStatuses) {
  const std::string body =
      "<?xml version=\"1.0\"?><Error><Code>InvalidAccessKeyId</Code><Message>The AWS Access Key "
      "Id you provided does not exist in our records.</Message></Error>";
  absl::Status s = S3HttpError(403, body, "PUT a/b", "s3://rollrig at http://h:1");
  EXPECT_TRUE(absl::IsPermissionDenied(s));
  EXPECT_THAT(s.message(), HasSubstr("PUT a/b on s3://rollrig at http://h:1 failed: "
                                     "InvalidAccessKeyId: The AWS Access Key Id"));
  EXPECT_THAT(s.message(), HasSubstr("check the access key and secret"));
  s = S3HttpError(404,
                  "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not "
                  "exist</Message></Error>",
                  "listing the bucket", "s3://x at h");
  EXPECT_TRUE(absl::IsNotFound(s));
  EXPECT_THAT(s.message(), HasSubstr("NoSuchBucket"));
  EXPECT_THAT(s.message(), HasSubstr("create the bucket"));
  EXPECT_TRUE(absl::IsUnavailable(S3HttpError(503, "", "PUT k", "w")));
  EXPECT_THAT(S3HttpError(503, "", "PUT k", "w").message(), HasSubstr("HTTP 503"));
  s = S3TransportError("Failed to connect to 127.0.0.1 port 1: Connection refused", "PUT k",
                       "s3://x at http://127.0.0.1:1");
  EXPECT_TRUE(absl::IsUnavailable(s));
  EXPECT_THAT(s.message(), HasSubstr("unreachable: Failed to connect"));
}

TEST(DigestsTest, KnownDigestsAndTheMultipartEtag) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Md5Hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
  FileDigests d;
  d.part_md5_hex = {Md5Hex("ab"), Md5Hex("c")};
  EXPECT_EQ(
      d.MultipartEtag(),
      Md5Hex(absl::HexStringToBytes(Md5Hex("ab")) + absl::HexStringToBytes(Md5Hex("c"))) + "-2");
  EXPECT_EQ(UnquoteEtag("\"abc\""), "abc");
}

}  // namespace
}  // namespace rollrig::upload

namespace rollrig::upload {
namespace {

TEST(UploadFlagsTest, KeepLocalTakesZeroOrANumberWithAUnit) {
  EXPECT_EQ(*ParseKeepLocal("0"), absl::ZeroDuration());
  EXPECT_EQ(*ParseKeepLocal("7d"), absl::Hours(168));
  EXPECT_EQ(*ParseKeepLocal("12h"), absl::Hours(12));
  EXPECT_EQ(*ParseKeepLocal("90m"), absl::Minutes(90));
  EXPECT_EQ(*ParseKeepLocal("30s"), absl::Seconds(30));
  for (const char* bad : {"", "7", "d", "-1d", "7w", "1.5h", "7 d"}) {
    EXPECT_THAT(ParseKeepLocal(bad).status().message(), HasSubstr("--keep-local")) << bad;
  }
}

TEST(UploadFlagsTest, ByteRatesTakeBinarySuffixes) {
  EXPECT_EQ(*ParseByteRate("0"), 0u);
  EXPECT_EQ(*ParseByteRate("1000"), 1000u);
  EXPECT_EQ(*ParseByteRate("4M"), 4u << 20);
  EXPECT_EQ(*ParseByteRate("512k"), 512u << 10);
  for (const char* bad : {"", "fast", "4MB", "-1", "1.5M"}) {
    EXPECT_THAT(ParseByteRate(bad).status().message(), HasSubstr("--upload-max-rate")) << bad;
  }
}

}  // namespace
}  // namespace rollrig::upload
