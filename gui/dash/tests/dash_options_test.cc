#include "gui/dash/dash_options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rollrig::gui {
namespace {

using ::testing::HasSubstr;

TEST(DashOptions, DefaultsToRigdsOwnAddress) {
  auto o = ParseDashOptions({});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->addr, "127.0.0.1:50051");
  EXPECT_EQ(o->width, 1280);
  EXPECT_EQ(o->height, 800);
  EXPECT_TRUE(o->screenshot_path.empty());
}

TEST(DashOptions, ScreenshotWithFramesAndSize) {
  auto o = ParseDashOptions({"--addr", "127.0.0.1:7000", "--screenshot", "out/a.png",
                             "--frames=240", "--size", "1600x900"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->addr, "127.0.0.1:7000");
  EXPECT_EQ(o->screenshot_path, "out/a.png");
  EXPECT_EQ(o->frames, 240);
  EXPECT_EQ(o->width, 1600);
  EXPECT_EQ(o->height, 900);
  EXPECT_EQ(ScreenshotDescriptionPath(o->screenshot_path), "out/a.json");
}

TEST(DashOptions, TlsCaAndTokenFileAreKeptForTheConnection) {
  auto o = ParseDashOptions(
      {"--addr", "rig7.lab:50051", "--tls-ca", "lab-ca.crt", "--token-file", "rig7.token"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->client.addr, "rig7.lab:50051");
  EXPECT_EQ(o->client.tls_ca, "lab-ca.crt");
  EXPECT_EQ(o->client.token_file, "rig7.token");
  // Not given: left to ROLLRIG_TOKEN and the client config.
  auto d = ParseDashOptions({});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_FALSE(d->client.addr || d->client.tls_ca || d->client.token_file);
}

TEST(DashOptions, OpenAndGolden) {
  auto o = ParseDashOptions({"--open", "a.mcap", "--golden", "b.mcap"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->open_path, "a.mcap");
  EXPECT_EQ(o->golden_path, "b.mcap");
}

TEST(DashOptions, BadInputNamesTheOption) {
  EXPECT_THAT(ParseDashOptions({"--size", "12x"}).status().message(), HasSubstr("--size"));
  EXPECT_THAT(ParseDashOptions({"--size", "100x100"}).status().message(), HasSubstr("320x240"));
  EXPECT_THAT(ParseDashOptions({"--screenshot", "a.jpg"}).status().message(), HasSubstr(".png"));
  EXPECT_THAT(ParseDashOptions({"--screenshot", "a.png", "--frames", "1"}).status().message(),
              HasSubstr("--frames"));
  EXPECT_THAT(ParseDashOptions({"--frames", "10"}).status().message(), HasSubstr("--screenshot"));
  EXPECT_THAT(ParseDashOptions({"--addr", "nohost"}).status().message(), HasSubstr("HOST:PORT"));
  EXPECT_THAT(ParseDashOptions({"--open"}).status().message(), HasSubstr("needs a value"));
  EXPECT_THAT(ParseDashOptions({"--bogus", "1"}).status().message(), HasSubstr("--bogus"));
  EXPECT_THAT(ParseDashOptions({"--rate", "-1"}).status().message(), HasSubstr("--rate"));
}

}  // namespace
}  // namespace rollrig::gui
