// Recording end to end: rigd in-process (RigStack) runs a profile; the run's recording is
// a finalized MCAP file with telemetry, events and cycles that rigctl exports as CSV,
// from the file and downloaded from rigd.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "host/recording/file_system.h"
#include "host/recording/mcap_reader.h"
#include "host/recording/recording_layout.h"
#include "host/rigctl/rigctl.h"
#include "tests/rig_stack.h"

namespace rollrig {
namespace {

using rollrig::v1::RunInfo;
using ::testing::HasSubstr;

// 2 s a cycle: ramp up, hold, ramp down.
constexpr char kProfile[] = R"pb(
  name: "rec"
  steps {
    segment {
      label: "up"
      duration_s: 0.5
      roller { ramp { from_rpm: 0 to_rpm: 40 } }
      preload { ramp { from_newtons: 0 to_newtons: 20 } }
    }
  }
  steps {
    segment {
      label: "hold"
      duration_s: 1
      roller { hold { rpm: 40 } }
      preload { hold { newtons: 20 } }
    }
  }
  steps {
    segment {
      label: "down"
      duration_s: 0.5
      roller { ramp { from_rpm: 40 to_rpm: 0 } }
      preload { ramp { from_newtons: 20 to_newtons: 0 } }
    }
  }
  limits { name: "stall" signal: SIGNAL_TORQUE_NM max: 2.5 action: LIMIT_ACTION_ABORT }
)pb";

int Rigctl(const std::vector<std::string>& args, std::string* out) {
  std::ostringstream o, e;
  const int rc = host::RunRigctl(args, o, e);
  *out = o.str() + e.str();
  return rc;
}

TEST(RecordingE2ETest, ARunIsRecordedAndExports) {
  testing::RigStack rig("sim", absl::Seconds(10), 2.0);
  ASSERT_TRUE(rig.connected().ok()) << rig.connected();
  rollrig::v1::StartRunRequest req;
  req.mutable_spec()->mutable_profile()->set_file_name("rec.textproto");
  req.mutable_spec()->mutable_profile()->set_text(kProfile);
  req.mutable_spec()->set_cycles(3);
  RunInfo run;
  grpc::Status s = rig.stub()->StartRun(rig.Context(30).get(), req, &run);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(run.recordings_size(), 1);
  EXPECT_EQ(run.recordings(0), run.id() + ".mcap.part") << "a file name, not rigd's path";

  // 6 s of device time at 2x; generous for a loaded machine.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  for (;;) {
    rollrig::v1::RunRequest get;
    get.set_id(run.id());
    grpc::ClientContext ctx;
    ASSERT_TRUE(rig.stub()->GetRun(&ctx, get, &run).ok());
    if (run.state() != rollrig::v1::RUN_STATE_ARMING &&
        run.state() != rollrig::v1::RUN_STATE_RUNNING)
      break;
    ASSERT_LT(absl::Now(), deadline) << "the run did not end";
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(run.state(), rollrig::v1::RUN_STATE_COMPLETED) << run.state_reason();
  const std::string path = rig.runs_dir() + "/" + run.id() + ".mcap";
  ASSERT_EQ(run.recordings_size(), 1);
  EXPECT_EQ(rig.RecordingPath(run.recordings(0)), path);
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".part"));
  // The independent reader (@mcap/core, with CRC checks and protobuf decoding) accepts it.
  const std::string check = std::string("node ") + ROLLRIG_SOURCE_DIR +
                            "/tests/mcapcheck/check.mjs '" + path + "' > /dev/null 2>&1";
  EXPECT_EQ(std::system(check.c_str()), 0) << check;

  recording::FileSystem* fs = recording::RealFileSystem();
  auto file = fs->OpenForRead(path);
  ASSERT_TRUE(file.ok()) << file.status();
  auto reader = recording::McapReader::Open(file->get());
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_TRUE((*reader)->has_summary());
  std::map<std::string, size_t> counts;
  std::vector<std::string> events;
  uint64_t last_seq = 0, gaps = 0;
  const auto& channels = (*reader)->channels();
  ASSERT_TRUE((*reader)
                  ->ReadMessages({},
                                 [&](const recording::McapMessage& m) {
                                   const std::string& topic = channels.at(m.channel_id).topic;
                                   ++counts[topic];
                                   if (topic == recorder::kEventsTopic) {
                                     rollrig::v1::RigEvent e;
                                     e.ParseFromString(m.data);
                                     events.push_back(e.message());
                                   } else if (topic == recorder::kTelemetryTopic) {
                                     rollrig::v1::TelemetryRecord r;
                                     r.ParseFromString(m.data);
                                     if (last_seq && r.seq() != last_seq + 1) ++gaps;
                                     last_seq = r.seq();
                                   }
                                   return true;
                                 })
                  .ok());
  // 6 s at the simulator's 1 kHz, every sample of the run.
  EXPECT_GE(counts[recorder::kTelemetryTopic], 5900u);
  EXPECT_EQ(gaps, 0u);
  EXPECT_EQ(counts[recorder::kCyclesTopic], 3u);
  EXPECT_GE(counts[recorder::kOverviewTopic], 55u);
  EXPECT_THAT(events, ::testing::Contains(HasSubstr("running")));
  EXPECT_THAT(events, ::testing::Contains(HasSubstr("completed")));
  std::map<std::string, std::map<std::string, std::string>> meta;
  for (const auto& m : (*reader)->metadata()) meta[m.name] = m.metadata;
  EXPECT_EQ(meta[recorder::kRunMetadata][recorder::kRunIdKey], run.id());
  EXPECT_THAT(meta[recorder::kVerdictMetadata][recorder::kVerdictKey], HasSubstr("VERDICT_PASS"));

  // Export: the local file, and the same run downloaded from rigd.
  std::string local, remote, cycles;
  ASSERT_EQ(Rigctl({"export", path, "--format", "csv", "--from", "1", "--to", "2"}, &local), 0)
      << local;
  EXPECT_THAT(local,
              HasSubstr("t_s,roller_rpm_cmd,roller_rpm,head_deg_cmd,head_deg,torque_nm,"
                        "force_n,current_a,temp_c,head_current_a,seq,drops,segment,cycle\n"));
  // The head servo's current was recorded: its column (the 10th) has a value in every row.
  {
    std::istringstream lines(local);
    std::string line;
    std::getline(lines, line);
    while (std::getline(lines, line)) {
      const std::vector<std::string> cells = absl::StrSplit(line, ',');
      ASSERT_EQ(cells.size(), 14u) << line;
      EXPECT_FALSE(cells[9].empty()) << line;
    }
  }
  const size_t rows = static_cast<size_t>(std::count(local.begin(), local.end(), '\n')) - 1;
  EXPECT_NEAR(static_cast<double>(rows), 1000, 5);
  ASSERT_EQ(Rigctl({"--addr", rig.app().address(), "export", run.id()}, &remote), 0) << remote;
  EXPECT_EQ(static_cast<size_t>(std::count(remote.begin(), remote.end(), '\n')) - 1,
            counts[recorder::kTelemetryTopic]);
  ASSERT_EQ(Rigctl({"export", path, "--cycles"}, &cycles), 0) << cycles;
  EXPECT_THAT(cycles, HasSubstr("cycle,start_s,end_s,samples,peak_torque_nm"));
  EXPECT_EQ(std::count(cycles.begin(), cycles.end(), '\n'), 4);
  // An output path that cannot be written is a bad argument, as for report -o.
  std::string unwritable;
  EXPECT_EQ(Rigctl({"export", path, "--out", "/nonexistent-dir/x.csv"}, &unwritable), 4);
  EXPECT_THAT(unwritable, HasSubstr("cannot write /nonexistent-dir/x.csv: No such file"));
}

// A size-limited tmpfs for the runs directory, mounted in a fresh temporary directory and
// unmounted (with its contents) when it goes, even when a test fails. Needs root.
class SmallFileSystem {
 public:
  explicit SmallFileSystem(int size_mb) : dir_(testing::MakeTempDir()) {
    const std::string options = "size=" + std::to_string(size_mb) + "m";
    if (::geteuid() != 0) {
      why_not_ = "not root: mounting a tmpfs needs root";
    } else if (::mount("tmpfs", dir_.c_str(), "tmpfs", 0, options.c_str()) != 0) {
      why_not_ = std::string("mount -t tmpfs -o ") + options + " failed: " + std::strerror(errno);
    } else {
      mounted_ = true;
    }
  }
  ~SmallFileSystem() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
    testing::RemoveTree(dir_);
  }
  bool mounted() const { return mounted_; }
  const std::string& why_not() const { return why_not_; }
  const std::string& dir() const { return dir_; }
  uint64_t free_bytes() const {
    struct statvfs st {};
    return ::statvfs(dir_.c_str(), &st) == 0 ? uint64_t{st.f_bavail} * st.f_frsize : 0;
  }

 private:
  std::string dir_;
  bool mounted_ = false;
  std::string why_not_;
};

RunInfo GetRun(testing::RigStack& rig, const std::string& id) {
  rollrig::v1::RunRequest get;
  get.set_id(id);
  grpc::ClientContext ctx;
  RunInfo run;
  const grpc::Status s = rig.stub()->GetRun(&ctx, get, &run);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return run;
}

bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return true;
}

// The real thing: rigd records onto a 128 MB tmpfs that another process (dd) fills while
// a run turns the roller.
class DiskFullE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!disk_.mounted()) GTEST_SKIP() << "needs a size-limited tmpfs: " << disk_.why_not();
    runs_dir_ = disk_.dir() + "/runs";
    filler_ = disk_.dir() + "/filler";
    rig_ = std::make_unique<testing::RigStack>("sim", absl::Seconds(10), 1.0, runs_dir_);
    ASSERT_TRUE(rig_->connected().ok()) << rig_->connected();
  }

  // Starts a 40 s run and waits until 2 s of it are recorded: 3 s of run, as the recorder
  // writes on its own thread and may trail the run on a loaded machine.
  std::string StartRun() {
    RunInfo run;
    const grpc::Status s = rig_->stub()->StartRun(rig_->Context(30).get(), Request(), &run);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_TRUE(WaitFor([&] { return GetRun(*rig_, run.id()).progress().elapsed_s() > 3; },
                        absl::Seconds(30)));
    return run.id();
  }
  static rollrig::v1::StartRunRequest Request() {
    rollrig::v1::StartRunRequest req;
    req.mutable_spec()->mutable_profile()->set_file_name("rec.textproto");
    req.mutable_spec()->mutable_profile()->set_text(kProfile);
    req.mutable_spec()->set_cycles(20);
    return req;
  }

  // dd takes the space; `leave_kb` = 0: until the disk is full (ENOSPC ends dd).
  void FillTheDisk(uint64_t leave_kb) {
    std::string dd = "dd if=/dev/zero of=" + filler_ + " status=none 2>/dev/null";
    if (leave_kb > 0) {
      dd += " bs=1k count=" + std::to_string(disk_.free_bytes() / 1024 - leave_kb);
      ASSERT_EQ(std::system(dd.c_str()), 0) << dd;
    } else {
      (void)std::system((dd + " bs=64k").c_str());
      EXPECT_LT(disk_.free_bytes(), uint64_t{64} << 10) << "dd did not fill the disk";
    }
  }

  // The run ended FAULTED naming the disk, stopped safely (roller at rest, bridge off:
  // the device idle), and rigd still lists it.
  RunInfo ExpectFaultedByTheDiskAndStopped(const std::string& id) {
    EXPECT_TRUE(WaitFor([&] { return GetRun(*rig_, id).state() != rollrig::v1::RUN_STATE_RUNNING; },
                        absl::Seconds(30)))
        << "the run went on with a full disk";
    const RunInfo run = GetRun(*rig_, id);
    EXPECT_EQ(run.state(), rollrig::v1::RUN_STATE_FAULTED) << run.state_reason();
    EXPECT_THAT(run.state_reason(), ::testing::StartsWith("disk full: "));
    EXPECT_THAT(run.state_reason(), HasSubstr(runs_dir_));
    EXPECT_THAT(run.verdict().reason(), HasSubstr("disk full"));
    EXPECT_TRUE(WaitFor(
        [&] {
          const rollrig::v1::RigStatus st = rig_->Status();
          return st.state() == rollrig::v1::DEVICE_STATE_IDLE &&
                 std::fabs(st.last().roller_rpm()) < 1;
        },
        absl::Seconds(10)))
        << rig_->Status().DebugString();
    rollrig::v1::ListRunsResponse list;
    grpc::ClientContext ctx;
    EXPECT_TRUE(rig_->stub()->ListRuns(&ctx, rollrig::v1::ListRunsRequest(), &list).ok());
    EXPECT_TRUE(list.runs_size() >= 1 && list.runs(0).id() == id &&
                list.runs(0).state() == rollrig::v1::RUN_STATE_FAULTED)
        << list.DebugString();
    return run;
  }

  // The run's one recording is finalized and both readers accept it, with more than the
  // 2 s of samples (at the simulator's 1 kHz) recorded before the disk filled.
  void ExpectFinalizedRecording(const RunInfo& run) {
    ASSERT_EQ(run.recordings_size(), 1);
    const std::string path = runs_dir_ + "/" + run.recordings(0);
    EXPECT_EQ(path, runs_dir_ + "/" + run.id() + ".mcap");
    EXPECT_FALSE(std::filesystem::exists(path + ".part"));
    const std::string check = std::string("node ") + ROLLRIG_SOURCE_DIR +
                              "/tests/mcapcheck/check.mjs '" + path + "' > /dev/null 2>&1";
    EXPECT_EQ(std::system(check.c_str()), 0) << check;
    auto file = recording::RealFileSystem()->OpenForRead(path);
    ASSERT_TRUE(file.ok()) << file.status();
    auto reader = recording::McapReader::Open(file->get());
    ASSERT_TRUE(reader.ok()) << reader.status();
    EXPECT_TRUE((*reader)->has_summary());
    EXPECT_GE((*reader)->statistics().message_count, 2000u);
  }

  // Once the space is back, a new run starts (and is stopped).
  void ExpectANewRunStarts() {
    RunInfo next;
    grpc::Status s = rig_->stub()->StartRun(rig_->Context(30).get(), Request(), &next);
    ASSERT_TRUE(s.ok()) << s.error_message();
    rollrig::v1::RunRequest stop;
    stop.set_id(next.id());
    RunInfo stopped;
    EXPECT_TRUE(rig_->stub()->StopRun(rig_->Context(30).get(), stop, &stopped).ok());
    EXPECT_TRUE(
        WaitFor([&] { return GetRun(*rig_, next.id()).state() != rollrig::v1::RUN_STATE_RUNNING; },
                absl::Seconds(30)));
  }

  SmallFileSystem disk_{128};
  std::string runs_dir_, filler_;
  std::unique_ptr<testing::RigStack> rig_;
};

TEST_F(DiskFullE2ETest, FreeSpaceBelowTheReserveFaultsTheRunAndKeepsItsRecording) {
  const std::string id = StartRun();
  ASSERT_FALSE(id.empty());
  FillTheDisk(/*leave_kb=*/256);  // far below rigd's finalizing reserve of 64 MiB
  const RunInfo run = ExpectFaultedByTheDiskAndStopped(id);
  EXPECT_THAT(run.state_reason(), ::testing::StartsWith("disk full: free space in " + runs_dir_));
  EXPECT_THAT(run.state_reason(), HasSubstr("finalizing reserve of 64.0 MiB"));
  ExpectFinalizedRecording(run);
  std::filesystem::remove(filler_);
  ExpectANewRunStarts();
}

// Not a byte left: no room for the recording's summary nor for the run's record. Both are
// written once the space is back, without restarting rigd.
TEST_F(DiskFullE2ETest, ADiskFullToTheLastByteIsFinalizedOnceSpaceReturns) {
  const std::string id = StartRun();
  ASSERT_FALSE(id.empty());
  FillTheDisk(/*leave_kb=*/0);
  ExpectFaultedByTheDiskAndStopped(id);
  std::filesystem::remove(filler_);
  RunInfo run;
  EXPECT_TRUE(WaitFor(
      [&] {
        run = GetRun(*rig_, id);
        return run.recordings_size() == 1 && !absl::EndsWith(run.recordings(0), ".part");
      },
      absl::Seconds(20)))
      << run.DebugString();
  ExpectFinalizedRecording(run);
  // The run's record on disk says how it ended.
  std::string stored;
  EXPECT_TRUE(WaitFor(
      [&] {
        std::ifstream in(runs_dir_ + "/" + id + ".run.json");
        stored.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        return absl::StrContains(stored, "RUN_STATE_FAULTED") &&
               absl::StrContains(stored, run.recordings(0));
      },
      absl::Seconds(20)))
      << stored;
  ExpectANewRunStarts();
}

}  // namespace
}  // namespace rollrig
