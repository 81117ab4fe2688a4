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

TEST(DashOptions, LabTakesTheRigListWithTlsAndToken) {
  auto o = ParseDashOptions({"--lab", "rigs.json", "--tls-ca", "lab-ca.crt", "--screenshot",
                             "fleet.png", "--frames", "60"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->lab_path, "rigs.json");
  EXPECT_EQ(o->client.tls_ca, "lab-ca.crt");
  EXPECT_EQ(o->frames, 60);
}

TEST(DashOptions, LabRefusesOneRigsOptions) {
  for (const char* other : {"--addr", "--open", "--run"}) {
    auto o = ParseDashOptions({"--lab", "rigs.json", other, "127.0.0.1:1"});
    ASSERT_FALSE(o.ok()) << other;
    EXPECT_THAT(std::string(o.status().message()), HasSubstr(other));
  }
  EXPECT_FALSE(ParseDashOptions({"--lab="}).ok());
}

TEST(DashOptions, FocusAndRigBelongToTheFleetView) {
  auto o = ParseDashOptions({"--lab", "rigs.json", "--focus", "B", "--rig", "A"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->focus, "B");
  EXPECT_EQ(o->open_rig, "A");
  for (const char* option : {"--focus", "--rig"}) {
    auto alone = ParseDashOptions({option, "A"});
    ASSERT_FALSE(alone.ok()) << option;
    EXPECT_THAT(std::string(alone.status().message()), HasSubstr(option));
  }
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
  EXPECT_EQ(o->open_paths, std::vector<std::string>{"a.mcap"});
  EXPECT_EQ(o->golden_path, "b.mcap");
}

TEST(DashOptions, ARotatedRunsFilesOpenInOrder) {
  auto o = ParseDashOptions({"--open", "run.mcap,run-001.mcap,run-002.mcap"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->open_paths, (std::vector<std::string>{"run.mcap", "run-001.mcap", "run-002.mcap"}));
  EXPECT_THAT(ParseDashOptions({"--open", "a.mcap,,b.mcap"}).status().message(),
              HasSubstr("comma-separated"));
}

TEST(DashOptions, RunAndWindow) {
  auto o = ParseDashOptions({"--run", "20261202-1", "--window", "whole"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->run_id, "20261202-1");
  EXPECT_TRUE(o->window_whole);
  for (const auto& [text, seconds] : std::vector<std::pair<std::string, double>>{
           {"30s", 30}, {"5m", 300}, {"2h", 7200}, {"1h30m", 5400}, {"12.5", 12.5}}) {
    auto w = ParseDashOptions({"--window", text});
    ASSERT_TRUE(w.ok()) << text << ": " << w.status();
    EXPECT_FALSE(w->window_whole) << text;
    EXPECT_DOUBLE_EQ(w->window_s, seconds) << text;
  }
  auto none = ParseDashOptions({});
  EXPECT_FALSE(none->window_whole);
  EXPECT_EQ(none->window_s, 0);
}

TEST(DashOptions, BadRunAndWindowNameTheOption) {
  for (const char* bad : {"0s", "-5m", "soon", "400d", ""}) {
    EXPECT_THAT(ParseDashOptions({"--window", bad}).status().message(), HasSubstr("--window"))
        << bad;
  }
  EXPECT_THAT(ParseDashOptions({"--run", ""}).status().message(), HasSubstr("--run"));
  EXPECT_THAT(ParseDashOptions({"--run", "x", "--open", "a.mcap"}).status().message(),
              HasSubstr("--run and --open"));
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
