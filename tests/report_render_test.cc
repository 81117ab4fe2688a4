// The run report as people see it: a fixture's report rendered by headless Chromium
// (Debian's chromium, installed by ci/setup.sh) into a screenshot that is not blank.
// Skipped, saying why, where no chromium is installed.
#include <stb_image.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "host/report/run_report.h"
#include "tests/rig_stack.h"

namespace rollrig::testing {
namespace {

std::string Chromium() {
  for (const char* name : {"chromium", "chromium-browser"}) {
    if (std::system(absl::StrCat("command -v ", name, " >/dev/null 2>&1").c_str()) == 0) {
      return name;
    }
  }
  return "";
}

TEST(ReportRender, HeadlessChromiumRendersAFixturesReport) {
  const std::string chromium = Chromium();
  if (chromium.empty()) GTEST_SKIP() << "no chromium installed (ci/setup.sh installs it)";
  absl::StatusOr<std::string> html = report::RunReportHtml(
      {absl::StrCat(ROLLRIG_FIXTURES_DIR, "/telemetry-gap.mcap")}, std::nullopt);
  ASSERT_TRUE(html.ok()) << html.status();
  const std::string dir = MakeTempDir();
  const std::string page = dir + "/report.html", png = dir + "/report.png";
  std::ofstream(page) << *html;
  const std::string command = absl::StrCat(
      "timeout 120 ", chromium, " --headless --no-sandbox --disable-gpu --user-data-dir=", dir,
      "/profile --window-size=1200,2400 --screenshot=", png, " file://", page, " >", dir,
      "/chromium.log 2>&1");
  ASSERT_EQ(std::system(command.c_str()), 0) << command;

  int width = 0, height = 0, channels = 0;
  unsigned char* pixels = stbi_load(png.c_str(), &width, &height, &channels, 3);
  ASSERT_NE(pixels, nullptr) << "no PNG at " << png;
  EXPECT_EQ(width, 1200);
  EXPECT_EQ(height, 2400);
  // Not blank: text, tables and plots give many colours and a good share of non-white.
  std::set<uint32_t> colours;
  size_t inked = 0;
  const size_t n = static_cast<size_t>(width) * static_cast<size_t>(height);
  for (size_t i = 0; i < n; ++i) {
    const unsigned char* p = pixels + 3 * i;
    colours.insert(static_cast<uint32_t>(p[0]) << 16 | static_cast<uint32_t>(p[1]) << 8 | p[2]);
    if (p[0] < 200 || p[1] < 200 || p[2] < 200) ++inked;
  }
  stbi_image_free(pixels);
  EXPECT_GT(colours.size(), 50u);
  EXPECT_GT(static_cast<double>(inked) / static_cast<double>(n), 0.02);
  RemoveTree(dir);
}

}  // namespace
}  // namespace rollrig::testing
