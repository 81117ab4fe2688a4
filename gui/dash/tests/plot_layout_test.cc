#include "gui/dash/plot_layout.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace rollrig::gui {
namespace {

// A fresh directory under the test's temporary directory.
std::filesystem::path TempDir(const std::string& name) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::filesystem::path dir = std::filesystem::path(base ? base : ::testing::TempDir()) /
                              ("plot_layout_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(PlotLayoutTest, DefaultHasThePlotGroupsAndTemperature) {
  const PlotLayoutSpec layout = DefaultPlotLayout();
  ASSERT_EQ(layout.plots.size(), 6u);
  EXPECT_EQ(layout.plots[0].title, "Roller speed");
  EXPECT_EQ(layout.plots[0].channels, (std::vector<std::string>{"roller_rpm_cmd", "roller_rpm"}));
  EXPECT_EQ(layout.plots[2].title, "Torque");
  EXPECT_EQ(layout.plots[3].title, "Force");
  EXPECT_EQ(layout.plots.back().channels, (std::vector<std::string>{"temp_c"}));
  EXPECT_EQ(layout.columns, 2u);
}

TEST(PlotLayoutTest, EveryChannelAndTheSpeedErrorArePlottable) {
  const auto names = PlottableChannels();
  EXPECT_EQ(names.size(), kTelemetryChannelCount + 1);
  for (const char* n : {"temp_c", "current_a", "voltage_v", "preload_cmd_n", "head_current_a",
                        "roller_rpm_error"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
  }
  EXPECT_EQ(PlottableUnit("roller_rpm_error"), "rpm");
  EXPECT_EQ(PlottableUnit("voltage_v"), "V");
}

TEST(PlotLayoutTest, ParsesAndRoundTrips) {
  const auto parsed = ParsePlotLayout(
      "# mine\n"
      "columns 3\n"
      "plot Speed: roller_rpm_cmd, roller_rpm , roller_rpm_error\n"
      "\n"
      "  plot Motor: current_a,voltage_v   # electrical\n"
      "plot Ratio: a:b: temp_c\n",
      "layout.txt");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->columns, 3u);
  ASSERT_EQ(parsed->plots.size(), 3u);
  EXPECT_EQ(parsed->plots[0].channels,
            (std::vector<std::string>{"roller_rpm_cmd", "roller_rpm", "roller_rpm_error"}));
  EXPECT_EQ(parsed->plots[1].title, "Motor");
  EXPECT_EQ(parsed->plots[1].channels, (std::vector<std::string>{"current_a", "voltage_v"}));
  EXPECT_EQ(parsed->plots[2].title, "Ratio: a:b");
  const auto again = ParsePlotLayout(FormatPlotLayout(*parsed), "again");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(*again == *parsed);
  const auto standard = ParsePlotLayout(FormatPlotLayout(DefaultPlotLayout()), "default");
  ASSERT_TRUE(standard.ok()) << standard.status();
  EXPECT_TRUE(*standard == DefaultPlotLayout());
}

TEST(PlotLayoutTest, BadLayoutsSayWhereAndWhat) {
  struct Case {
    const char* text;
    const char* want;
  };
  const Case cases[] = {
      {"plot Speed: roller_rpm, rpm_typo\n", "f.txt:1: unknown channel 'rpm_typo'"},
      {"columns 2\nplot Speed roller_rpm\n", "f.txt:2: expected 'plot TITLE: CHANNEL"},
      {"plot : roller_rpm\n", "f.txt:1: a plot needs a title"},
      {"plot Empty: , \n", "f.txt:1: plot 'Empty' names no channel"},
      {"columns 9\nplot A: temp_c\n", "f.txt:1: columns '9' is not 1 to 3"},
      {"colour red\n", "f.txt:1: expected 'columns N' or 'plot TITLE"},
      {"# nothing\n", "f.txt: no plots"},
  };
  for (const Case& c : cases) {
    const auto parsed = ParsePlotLayout(c.text, "f.txt");
    ASSERT_FALSE(parsed.ok()) << c.text;
    EXPECT_NE(std::string(parsed.status().message()).find(c.want), std::string::npos)
        << parsed.status() << " wanted " << c.want;
  }
  std::string many;
  for (int i = 0; i <= 12; ++i) many += "plot P" + std::to_string(i) + ": temp_c\n";
  const auto too_many = ParsePlotLayout(many, "f.txt");
  ASSERT_FALSE(too_many.ok());
  EXPECT_NE(std::string(too_many.status().message()).find("f.txt:13: more than 12 plots"),
            std::string::npos);
}

TEST(PlotLayoutTest, SavedLayoutIsRestoredAndABadFileFallsBackToTheDefault) {
  const std::filesystem::path dir = TempDir("save");
  const std::string path = (dir / "sub" / "layout.txt").string();
  setenv("ROLLRIG_DASH_LAYOUT", path.c_str(), 1);
  EXPECT_EQ(PlotLayoutPath(), path);

  PlotLayout first;
  first.LoadOnce();
  EXPECT_TRUE(first.spec == DefaultPlotLayout()) << "nothing saved yet";
  EXPECT_NE(first.status.find("default layout"), std::string::npos) << first.status;
  first.spec.plots.push_back({"Speed error", {"roller_rpm_error"}});
  first.spec.columns = 1;
  first.Save();
  EXPECT_EQ(first.status, "saved to " + path);

  PlotLayout second;
  second.LoadOnce();
  EXPECT_TRUE(second.spec == first.spec);
  EXPECT_EQ(second.status, "layout from " + path);

  std::ofstream(path, std::ios::trunc) << "plot Speed: nonsense\n";
  PlotLayout third;
  third.LoadOnce();
  EXPECT_TRUE(third.spec == DefaultPlotLayout());
  EXPECT_NE(third.status.find(path + ":1: unknown channel 'nonsense'"), std::string::npos)
      << third.status;
  EXPECT_NE(third.status.find("the default layout is shown"), std::string::npos);

  // A place that cannot be written: the error names it.
  const std::string blocked = (dir / "file" / "layout.txt").string();
  std::ofstream(dir / "file") << "not a directory";
  EXPECT_FALSE(SavePlotLayout(DefaultPlotLayout(), blocked).ok());
  unsetenv("ROLLRIG_DASH_LAYOUT");
}

TEST(PlotLayoutTest, PathFollowsXdgConfigHome) {
  unsetenv("ROLLRIG_DASH_LAYOUT");
  setenv("XDG_CONFIG_HOME", "/cfg", 1);
  EXPECT_EQ(PlotLayoutPath(), "/cfg/rollrig/rig-dash-layout.txt");
  unsetenv("XDG_CONFIG_HOME");
  setenv("HOME", "/home/someone", 1);
  EXPECT_EQ(PlotLayoutPath(), "/home/someone/.config/rollrig/rig-dash-layout.txt");
}

}  // namespace
}  // namespace rollrig::gui
