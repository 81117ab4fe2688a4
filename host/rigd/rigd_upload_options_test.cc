// rigd's upload flags and what RigdLabStatus puts into GetStatus and GetUploads.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "host/rigd/rigd_lab_status.h"
#include "host/rigd/rigd_options.h"

namespace rollrig::host {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<RigdOptions> Parse(std::vector<std::string> args) { return ParseRigdOptions(args); }

TEST(RigdUploadOptionsTest, UploadFlagsParsed) {
  absl::StatusOr<RigdOptions> o =
      Parse({"--upload", "s3://rollrig/lab", "--s3-endpoint", "http://127.0.0.1:9000/",
             "--s3-credentials", "creds", "--keep-local", "12h", "--upload-max-rate", "4M"});
  ASSERT_TRUE(o.ok()) << o.status();
  ASSERT_TRUE(o->upload);
  EXPECT_EQ(o->upload->bucket, "rollrig");
  EXPECT_EQ(o->upload->prefix, "lab");
  EXPECT_EQ(o->s3_endpoint, "http://127.0.0.1:9000");
  EXPECT_EQ(o->s3_credentials, "creds");
  EXPECT_EQ(o->keep_local, absl::Hours(12));
  EXPECT_EQ(o->upload_max_rate, 4u << 20);
  o = Parse({"--upload", "s3://rollrig/lab"});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->keep_local, absl::Hours(24 * 7));
  EXPECT_EQ(o->upload_max_rate, 0u);
  EXPECT_FALSE(Parse({})->upload);
}

TEST(RigdUploadOptionsTest, BadUploadFlagsRefusedByName) {
  EXPECT_THAT(Parse({"--upload", "rollrig/lab"}).status().message(), HasSubstr("--upload"));
  EXPECT_THAT(Parse({"--upload", "s3://rollrig", "--s3-endpoint", "ftp://x"}).status().message(),
              HasSubstr("--s3-endpoint"));
  EXPECT_THAT(Parse({"--upload", "s3://rollrig", "--keep-local", "soon"}).status().message(),
              HasSubstr("--keep-local"));
  EXPECT_THAT(Parse({"--upload", "s3://rollrig", "--upload-max-rate", "x"}).status().message(),
              HasSubstr("--upload-max-rate"));
  EXPECT_THAT(Parse({"--keep-local", "1d"}).status().message(),
              HasSubstr("--keep-local needs --upload"));
  EXPECT_THAT(Parse({"--s3-endpoint", "http://h:1"}).status().message(),
              HasSubstr("--s3-endpoint needs --upload"));
}

TEST(RigdLabStatusTest, UploadsAndTheirProblemsReachStatusAndGetUploads) {
  RigdLabStatus lab;
  rollrig::v1::RigStatus status;
  lab.FillStatus(&status);
  EXPECT_FALSE(status.has_uploads());
  EXPECT_FALSE(lab.Uploads().enabled());

  lab.SetUploads(
      [](bool with_items) {
        rollrig::v1::UploadStatus s;
        s.set_enabled(true);
        s.set_files_pending(2);
        if (with_items) s.add_items()->set_file("r1.mcap");
        return s;
      },
      [] { return std::vector<std::string>{"uploads to s3://b at h failing: NoSuchBucket"}; });
  lab.SetMetricsAddress("http://127.0.0.1:9100/metrics");
  lab.SetProblem("metrics disk", "metrics: cannot read the free space of /runs");
  lab.FillStatus(&status);
  EXPECT_TRUE(status.uploads().enabled());
  EXPECT_EQ(status.uploads().files_pending(), 2u);
  EXPECT_EQ(status.uploads().items_size(), 0) << "GetStatus carries no items";
  // The metrics' problems, then the queue's own (not its last error again).
  ASSERT_EQ(status.lab_problems_size(), 2);
  EXPECT_THAT(status.lab_problems(0), HasSubstr("free space"));
  EXPECT_THAT(status.lab_problems(1), HasSubstr("NoSuchBucket"));
  EXPECT_EQ(status.metrics_address(), "http://127.0.0.1:9100/metrics");
  EXPECT_EQ(lab.Uploads().items_size(), 1);
}

}  // namespace
}  // namespace rollrig::host
