// rig-dash --lab under Xvfb: the fleet view of simulated rigds from a rig list (the
// Prometheus file_sd format). The screenshot's JSON must list a tile per rig with its name,
// connection and device state, and each tile's e-stop must be drawn red where the JSON says.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <stb_image.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gui/dash/tests/simulated_rig.h"
#include "tests/test_process.h"

namespace rollrig::gui {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;
using rollrig::testing::FreePort;
using rollrig::testing::RunCommand;
using rollrig::testing::SimulatedRig;
using ::testing::HasSubstr;

std::string TempDir(const std::string& name) {
  const std::string dir = absl::StrCat(::testing::TempDir(), "/fleet_", getpid(), "_", name);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string Entry(const std::string& rig, const std::string& grpc) {
  return absl::StrCat(R"({"targets": ["127.0.0.1:)", FreePort(), R"("], "labels": {"rig": ")", rig,
                      R"(", "grpc": ")", grpc, R"("}})");
}

std::string WriteList(const std::string& dir, const std::vector<std::string>& entries) {
  const std::string path = dir + "/rigs.json";
  std::ofstream(path) << "[" << absl::StrJoin(entries, ",\n ") << "]\n";
  return path;
}

// RIG_DASH_FRAMES renders more frames (the README's screenshot: a longer sparkline).
std::string Frames() {
  const char* frames = std::getenv("RIG_DASH_FRAMES");
  return frames && *frames ? frames : "30";
}

rollrig::testing::CommandResult FleetScreenshot(const std::string& list, const std::string& png,
                                                std::vector<std::string> more = {}) {
  std::vector<std::string> args = {"LIBGL_ALWAYS_SOFTWARE=1",
                                   "/usr/bin/xvfb-run",
                                   "-a",
                                   "-s",
                                   "-screen 0 1600x1000x24",
                                   RIG_DASH_BIN,
                                   "--lab",
                                   list,
                                   "--screenshot",
                                   png,
                                   "--frames",
                                   Frames(),
                                   "--size",
                                   "1280x800"};
  args.insert(args.end(), more.begin(), more.end());
  return RunCommand("/usr/bin/env", args, 120);
}

Struct Description(const std::string& png) {
  std::ifstream in(png.substr(0, png.size() - 4) + ".json");
  std::stringstream text;
  text << in.rdbuf();
  Struct desc;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(text.str(), &desc).ok()) << text.str();
  return desc;
}

// The tiles of the description beside `png`, by rig name.
std::map<std::string, Struct> Tiles(const std::string& png) {
  const Struct desc = Description(png);
  std::map<std::string, Struct> tiles;
  if (!desc.fields().count("tiles")) return tiles;
  for (const Value& t : desc.fields().at("tiles").list_value().values()) {
    tiles[t.struct_value().fields().at("rig").string_value()] = t.struct_value();
  }
  return tiles;
}

std::string Field(const Struct& s, const std::string& key) {
  return s.fields().count(key) ? s.fields().at(key).string_value() : "";
}

// The share of red pixels in a tile's e-stop rectangle.
double EStopRed(const std::string& png, const Struct& tile) {
  int w = 0, h = 0, n = 0;
  unsigned char* pixels = stbi_load(png.c_str(), &w, &h, &n, 3);
  if (!pixels) return 0;
  const auto& e = tile.fields().at("estop").struct_value().fields();
  const int x0 = static_cast<int>(e.at("x").number_value());
  const int y0 = static_cast<int>(e.at("y").number_value());
  const int x1 = x0 + static_cast<int>(e.at("w").number_value());
  const int y1 = y0 + static_cast<int>(e.at("h").number_value());
  size_t red = 0, total = 0;
  for (int y = std::max(0, y0); y < std::min(h, y1); ++y) {
    for (int x = std::max(0, x0); x < std::min(w, x1); ++x) {
      const unsigned char* p = pixels + (static_cast<size_t>(y) * w + x) * 3;
      ++total;
      red += p[0] > 150 && p[1] < 100 && p[2] < 100;
    }
  }
  stbi_image_free(pixels);
  return total ? static_cast<double>(red) / total : 0;
}

// Two simulated rigds, one running a preset, focused. RIG_DASH_SHOT_DIR (optional) keeps
// the screenshot there (the README's).
TEST(FleetScreenshot, TwoRigsConnectedOneRunningAndFocused) {
  const char* keep = std::getenv("RIG_DASH_SHOT_DIR");
  const std::string dir = keep && *keep ? std::string(keep) : TempDir("two");
  std::filesystem::create_directories(dir);
  SimulatedRig a(RIGD_BIN, dir + "/a"), b(RIGD_BIN, dir + "/b");
  ASSERT_TRUE(a.up()) << a.output();
  ASSERT_TRUE(b.up()) << b.output();
  grpc::Status start = a.WithLease([](auto& stub, grpc::ClientContext* ctx) {
    rollrig::v1::StartRunRequest req;
    req.mutable_spec()->mutable_profile()->set_preset("swedish");
    req.mutable_spec()->set_cycles(2);
    rollrig::v1::RunInfo info;
    return stub.StartRun(ctx, req, &info);
  });
  ASSERT_TRUE(start.ok()) << start.error_message();
  const std::string list = WriteList(dir, {Entry("A", a.addr()), Entry("B", b.addr())});
  const std::string png = dir + "/fleet-view.png";
  auto r = FleetScreenshot(list, png, {"--focus", "A"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto tiles = Tiles(png);
  ASSERT_EQ(tiles.size(), 2u);
  ASSERT_TRUE(tiles.count("A") && tiles.count("B"));
  // F1 would stop the focused rig alone, and the JSON says which tile is highlighted.
  const Struct desc = Description(png);
  EXPECT_EQ(Field(desc, "focused"), "A");
  const auto& targets = desc.fields().at("shortcut_estop_targets").list_value();
  ASSERT_EQ(targets.values_size(), 1);
  EXPECT_EQ(targets.values(0).string_value(), "A");
  EXPECT_TRUE(tiles["A"].fields().at("focused").bool_value());
  EXPECT_FALSE(tiles["B"].fields().at("focused").bool_value());
  for (const auto& [name, tile] : tiles) {
    EXPECT_EQ(Field(tile, "connection"), "connected") << name;
    EXPECT_NE(Field(tile, "state"), "unknown") << name;
    EXPECT_FALSE(Field(tile, "state").empty()) << name;
    EXPECT_GE(EStopRed(png, tile), 0.25) << name;
  }
  ASSERT_TRUE(tiles["A"].fields().count("run"));
  const auto& run = tiles["A"].fields().at("run").struct_value().fields();
  EXPECT_FALSE(run.at("id").string_value().empty());
  EXPECT_TRUE(run.at("active").bool_value());
  EXPECT_GT(tiles["A"]
                .fields()
                .at("torque_sparkline")
                .struct_value()
                .fields()
                .at("points")
                .number_value(),
            10);
}

TEST(FleetScreenshot, AnUnreachableRigLeavesTheOtherConnected) {
  const std::string dir = TempDir("unreachable");
  SimulatedRig a(RIGD_BIN, dir + "/a");
  ASSERT_TRUE(a.up()) << a.output();
  const std::string nobody = absl::StrCat("127.0.0.1:", FreePort());  // nothing listens there
  const std::string list = WriteList(dir, {Entry("A", a.addr()), Entry("GONE", nobody)});
  const std::string png = dir + "/fleet.png";
  auto r = FleetScreenshot(list, png);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto tiles = Tiles(png);
  ASSERT_EQ(tiles.size(), 2u);
  EXPECT_EQ(Field(tiles["A"], "connection"), "connected");
  EXPECT_EQ(Field(tiles["GONE"], "connection"), "unreachable");
  EXPECT_EQ(Field(tiles["GONE"], "state"), "unknown");
  // Nothing focused: F1 would stop both, the unreachable one included.
  EXPECT_EQ(Description(png).fields().at("shortcut_estop_targets").list_value().values_size(), 2);
  EXPECT_THAT(Field(tiles["GONE"], "connection_detail"), HasSubstr(nobody));
  // Its e-stop is still drawn, red, naming the rig: a press is still sent.
  EXPECT_GE(EStopRed(png, tiles["GONE"]), 0.25);
}

// --rig A opens rig A's full view (as its tile's Open button does): the single-rig dashboard
// of that rig, connected, with its own e-stop.
TEST(FleetScreenshot, OpensARigsFullView) {
  const std::string dir = TempDir("full");
  SimulatedRig a(RIGD_BIN, dir + "/a");
  ASSERT_TRUE(a.up()) << a.output();
  const std::string gone = absl::StrCat("127.0.0.1:", FreePort());
  const std::string list = WriteList(dir, {Entry("A", a.addr()), Entry("GONE", gone)});
  const std::string png = dir + "/full.png";
  auto r = FleetScreenshot(list, png, {"--rig", "A"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Struct desc = Description(png);
  ASSERT_TRUE(desc.fields().count("full_view")) << r.output;
  const Struct& full = desc.fields().at("full_view").struct_value();
  EXPECT_EQ(Field(full, "rig"), "A");
  EXPECT_EQ(Field(full, "connection"), "connected");
  EXPECT_GE(EStopRed(png, full), 0.25);
  EXPECT_EQ(Field(desc, "focused"), "A");  // the rig opened is the one F1 stops
}

// Prometheus rereads a changed list; so does the fleet view: a rig removed from the file
// while rig-dash runs is gone from the view (no rigd needed: both rigs are unreachable).
// A loopback port that accepts connections but never speaks: seeing rig-dash connect to it
// tells the test that rig-dash has read the list and started its clients.
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || listen(fd_, 8) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "no loopback listener";
      return;
    }
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() {
    for (int fd : accepted_) close(fd);
    close(fd_);
  }
  int port() const { return port_; }
  // True once someone connected, within `timeout_ms`.
  bool WaitForConnection(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) != 1) return false;
    accepted_.push_back(accept(fd_, nullptr, nullptr));
    return true;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::vector<int> accepted_;
};

TEST(FleetScreenshot, AChangedListIsReread) {
  const std::string dir = TempDir("reread");
  SilentListener x_port;
  const std::string x = Entry("X", absl::StrCat("127.0.0.1:", x_port.port()));
  const std::string y = Entry("Y", absl::StrCat("127.0.0.1:", FreePort()));
  const std::string list = WriteList(dir, {x, y});
  const std::string png = dir + "/fleet.png";
  rollrig::testing::CommandResult r;
  std::thread dash([&] {
    r = RunCommand(
        "/usr/bin/env",
        {"LIBGL_ALWAYS_SOFTWARE=1", "/usr/bin/xvfb-run", "-a", "-s", "-screen 0 1600x1000x24",
         RIG_DASH_BIN, "--lab", list, "--screenshot", png, "--frames", "210", "--size", "800x600"},
        120);
  });
  // The list is changed once rig-dash has read it (its client of X connects); at most 30
  // frames a second, 210 frames leave it 7 s or more (the list is looked at every 2 s).
  const bool read = x_port.WaitForConnection(60'000);
  WriteList(dir, {x});
  dash.join();
  ASSERT_TRUE(read) << "rig-dash never connected to rig X: " << r.output;
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto tiles = Tiles(png);
  EXPECT_EQ(tiles.size(), 1u);
  EXPECT_TRUE(tiles.count("X"));
  EXPECT_THAT(Field(Description(png), "message"), HasSubstr("rig list reread: 1 rig"));
}

TEST(FleetScreenshot, AMalformedRigListIsRefusedNamingTheEntry) {
  const std::string dir = TempDir("bad");
  const std::string list = dir + "/rigs.json";
  std::ofstream(list) << R"([{"targets": ["127.0.0.1:9100"], "labels": {"rig": "A"}}])";
  auto r = RunCommand(RIG_DASH_BIN, {"--lab", list, "--screenshot", dir + "/x.png"}, 30);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("entry 1 (rig 'A') has no \"grpc\" label"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/x.png"));
}

}  // namespace
}  // namespace rollrig::gui
