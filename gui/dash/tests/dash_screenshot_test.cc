// rig-dash --screenshot under Xvfb with Mesa's software renderer: live against rigd with
// the simulated device while it jogs, and offline from a fixture. Each screenshot's JSON
// description must name plotted series with points, and the PNG itself must show the
// e-stop button red where the description says it is.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stb_image.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "gui/dash/tests/fake_history_service.h"
#include "gui/dash/tests/simulated_rig.h"
#include "rollrig/v1/rig_service.grpc.pb.h"
#include "tests/test_process.h"

namespace rollrig::gui {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;
using rollrig::testing::FreePort;
using rollrig::testing::RunCommand;
using rollrig::testing::SimulatedRig;

std::string TempDir(const std::string& name) {
  const std::string dir =
      absl::StrCat(::testing::TempDir(), "/dash_screenshot_", getpid(), "_", name);
  std::filesystem::create_directories(dir);
  return dir;
}

// Runs rig-dash under a private X server; the exit status and output.
rollrig::testing::CommandResult Screenshot(const std::vector<std::string>& dash_args,
                                           const std::string& png,
                                           const std::string& frames = "90") {
  std::vector<std::string> args = {"LIBGL_ALWAYS_SOFTWARE=1", "/usr/bin/xvfb-run", "-a", "-s",
                                   "-screen 0 1600x1000x24",  RIG_DASH_BIN};
  args.insert(args.end(), dash_args.begin(), dash_args.end());
  for (const std::string& a : {std::string("--screenshot"), png, std::string("--frames"), frames}) {
    args.push_back(a);
  }
  return RunCommand("/usr/bin/env", args, 240);
}

struct Checked {
  size_t series_with_points = 0;
  double estop_red_fraction = 0;
  size_t colours = 0;
  std::string connection;
};

// The description rig-dash wrote beside FILE.png (FILE.json), parsed; a missing or
// unparsable one fails the test, showing its text.
Struct Description(const std::string& png) {
  const std::string json_path = png.substr(0, png.size() - 4) + ".json";
  std::ifstream in(json_path);
  EXPECT_TRUE(in.good()) << "no description " << json_path;
  std::stringstream text;
  text << in.rdbuf();
  Struct desc;
  auto st = google::protobuf::util::JsonStringToMessage(text.str(), &desc);
  EXPECT_TRUE(st.ok()) << st << "\n" << text.str();
  return desc;
}

// Reads FILE.json and FILE.png and measures what the assertions need.
Checked Check(const std::string& png) {
  Checked c;
  const Struct desc = Description(png);
  const auto& f = desc.fields();
  if (f.count("connection")) {
    const auto& conn = f.at("connection").struct_value().fields();
    if (conn.count("state")) c.connection = conn.at("state").string_value();
  }
  if (f.count("plots")) {
    for (const Value& plot : f.at("plots").list_value().values()) {
      for (const Value& s : plot.struct_value().fields().at("series").list_value().values()) {
        if (s.struct_value().fields().at("points").number_value() > 10) ++c.series_with_points;
      }
    }
  }
  int w = 0, h = 0, n = 0;
  unsigned char* pixels = stbi_load(png.c_str(), &w, &h, &n, 3);
  EXPECT_NE(pixels, nullptr) << "cannot decode " << png;
  if (!pixels) return c;
  EXPECT_EQ(w, static_cast<int>(f.at("size").struct_value().fields().at("w").number_value()));
  EXPECT_EQ(h, static_cast<int>(f.at("size").struct_value().fields().at("h").number_value()));
  const auto& e = f.at("estop").struct_value().fields();
  const int x0 = static_cast<int>(e.at("x").number_value());
  const int y0 = static_cast<int>(e.at("y").number_value());
  const int ew = static_cast<int>(e.at("w").number_value());
  const int eh = static_cast<int>(e.at("h").number_value());
  size_t red = 0, total = 0;
  for (int y = std::max(0, y0); y < std::min(h, y0 + eh); ++y) {
    for (int x = std::max(0, x0); x < std::min(w, x0 + ew); ++x) {
      const unsigned char* p = pixels + (static_cast<size_t>(y) * w + x) * 3;
      ++total;
      red += p[0] > 150 && p[1] < 100 && p[2] < 100;
    }
  }
  c.estop_red_fraction = total ? static_cast<double>(red) / total : 0;
  std::set<uint32_t> colours;
  for (int y = 0; y < h; y += 3) {
    for (int x = 0; x < w; x += 3) {
      const unsigned char* p = pixels + (static_cast<size_t>(y) * w + x) * 3;
      colours.insert(p[0] << 16 | p[1] << 8 | p[2]);
    }
  }
  c.colours = colours.size();
  stbi_image_free(pixels);
  return c;
}

TEST(DashScreenshot, OfflineFixture) {
  const std::string dir = TempDir("offline");
  const std::string png = dir + "/offline.png";
  auto r = Screenshot({"--open", std::string(ROLLRIG_SOURCE_DIR) + "/fixtures/swedish.mcap"}, png);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Checked c = Check(png);
  EXPECT_GE(c.series_with_points, 2u);
  EXPECT_GE(c.estop_red_fraction, 0.25);
  EXPECT_GE(c.colours, 40u);
}

TEST(DashScreenshot, LiveJogAgainstSimulatedRig) {
  const std::string dir = TempDir("jog");
  SimulatedRig rig(RIGD_BIN, dir);
  ASSERT_TRUE(rig.up()) << "rigd did not start: " << rig.output();
  grpc::Status jog = rig.WithLease([](auto& stub, grpc::ClientContext* ctx) {
    rollrig::v1::JogRequest req;
    req.set_roller_rpm(60);
    req.set_head_deg(30);
    rollrig::v1::JogResponse resp;
    return stub.Jog(ctx, req, &resp);
  });
  ASSERT_TRUE(jog.ok()) << jog.error_message();

  const std::string png = dir + "/live.png";
  auto r = Screenshot({"--addr", rig.addr()}, png);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Checked c = Check(png);
  EXPECT_EQ(c.connection, "connected");
  EXPECT_GE(c.series_with_points, 2u);
  EXPECT_GE(c.estop_red_fraction, 0.25);
  EXPECT_GE(c.colours, 40u);
}

// During a run of a preset. RIG_DASH_SHOT_DIR (optional) keeps the screenshot there, and
// RIG_DASH_FRAMES renders more frames (the README's screenshot, frame-time figures).
TEST(DashScreenshot, LiveDuringARun) {
  const char* keep = std::getenv("RIG_DASH_SHOT_DIR");
  const std::string dir = keep && *keep ? std::string(keep) : TempDir("run");
  std::filesystem::create_directories(dir);
  SimulatedRig rig(RIGD_BIN, dir + "/rig");
  ASSERT_TRUE(rig.up()) << "rigd did not start: " << rig.output();
  grpc::Status start = rig.WithLease([](auto& stub, grpc::ClientContext* ctx) {
    rollrig::v1::StartRunRequest req;
    req.mutable_spec()->mutable_profile()->set_preset("swedish");
    req.mutable_spec()->set_cycles(1);
    rollrig::v1::RunInfo info;
    return stub.StartRun(ctx, req, &info);
  });
  ASSERT_TRUE(start.ok()) << start.error_message();
  // Some seconds into the run, so the plots show it moving.
  std::this_thread::sleep_for(std::chrono::seconds(6));

  const char* frames = std::getenv("RIG_DASH_FRAMES");
  const std::string png = dir + "/rig-dash.png";
  auto r = Screenshot({"--addr", rig.addr()}, png, frames && *frames ? frames : "90");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Checked c = Check(png);
  EXPECT_EQ(c.connection, "connected");
  EXPECT_GE(c.series_with_points, 2u);
  EXPECT_GE(c.estop_red_fraction, 0.25);
  EXPECT_GE(c.colours, 40u);
}

// A finished run through a fake rigd's history (--run ID --window whole): the plots start at
// run time 0 and reach the run's end, the pause and resume are markers, the cycles lines,
// and the trends panel has a point per cycle.
TEST(DashScreenshot, RunFromItsStartThroughRigdsHistory) {
  const std::string dir = TempDir("history");
  testing::FakeHistoryService service;
  testing::FakeRigd rigd(&service);
  const std::string png = dir + "/history.png";
  auto r = Screenshot({"--addr", rigd.addr(), "--run", "run-1", "--window", "whole"}, png, "20");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Struct desc = Description(png);
  const auto& f = desc.fields();
  EXPECT_EQ(f.at("view").struct_value().fields().at("time_base").string_value(), "run");
  double first = 1e9, last = -1e9, markers = 0, lines = 0;
  std::set<std::string> kinds;
  for (const Value& plot : f.at("plots").list_value().values()) {
    const auto& p = plot.struct_value().fields();
    const auto& m = p.at("markers").struct_value().fields();
    markers += m.at("count").number_value();
    for (const Value& k : m.at("kinds").list_value().values()) kinds.insert(k.string_value());
    lines = std::max(lines, p.at("cycle_lines").number_value());
    for (const Value& sv : p.at("series").list_value().values()) {
      const auto& series = sv.struct_value().fields();
      if (series.count("first_t")) first = std::min(first, series.at("first_t").number_value());
      if (series.count("last_t")) last = std::max(last, series.at("last_t").number_value());
    }
  }
  EXPECT_LE(first, 0.5) << desc.ShortDebugString();
  EXPECT_GE(last, 59) << desc.ShortDebugString();
  EXPECT_GE(markers, 2);
  EXPECT_TRUE(kinds.count("pause")) << desc.ShortDebugString();
  EXPECT_TRUE(kinds.count("resume")) << desc.ShortDebugString();
  EXPECT_EQ(lines, 9);  // cycles 2..10 began inside the run
  double trend_points = 0;
  for (const Value& t : f.at("trends").struct_value().fields().at("series").list_value().values()) {
    trend_points = std::max(trend_points, t.struct_value().fields().at("points").number_value());
  }
  EXPECT_EQ(trend_points, 10);
}

// A run whose recording is damaged part way: rig-dash draws what came before the damage and
// says what it could not show (the description names the file rigd named).
TEST(DashScreenshot, ADamagedRunIsShownUpToTheDamageAndSaysSo) {
  const std::string dir = TempDir("damaged");
  testing::FakeHistoryService service;
  service.duration_s = 30;
  service.damage = "run-1-h2.mcap: broken off at byte 4096 (a chunk's CRC does not match)";
  testing::FakeRigd rigd(&service);
  const std::string png = dir + "/damaged.png";
  auto r = Screenshot({"--addr", rigd.addr(), "--run", "run-1", "--window", "whole"}, png, "5");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Struct desc = Description(png);
  ASSERT_TRUE(desc.fields().count("history")) << r.output;
  const auto& history = desc.fields().at("history").struct_value().fields();
  EXPECT_EQ(history.at("damage").string_value(), service.damage);
  EXPECT_EQ(history.at("error").string_value(), "");
  EXPECT_EQ(history.at("recorded_end_s").number_value(), 30);
}

// A run rigd does not know: the screenshot fails, naming the run and rigd's reason.
TEST(DashScreenshot, AnUnknownRunFailsNamingIt) {
  const std::string dir = TempDir("badrun");
  testing::FakeHistoryService service;
  testing::FakeRigd rigd(&service);
  auto r = Screenshot({"--addr", rigd.addr(), "--run", "BADID"}, dir + "/bad.png", "3");
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, ::testing::HasSubstr("BADID"));
  EXPECT_THAT(r.output, ::testing::HasSubstr("no run"));
}

}  // namespace
}  // namespace rollrig::gui
