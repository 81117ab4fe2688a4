// Runs whose disk fails mid-run, through the fault-injecting file seam in front of the real
// runs directory, with the in-process simulator in real time: free space falling below the
// recorder's reserve (another process took it), a write failing with ENOSPC, an fdatasync
// failing with EIO. Each run ramps down to a stopped motor with the bridge off, ends
// FAULTED naming the disk, keeps a finalized recording readable up to the stop, and the
// manager goes on serving: the run is listed and a new run starts once space is back.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <thread>

#include "absl/strings/match.h"
#include "host/device/device_client.h"
#include "host/recording/fault_injecting_file_system.h"
#include "host/recording/mcap_reader.h"
#include "host/recording/recording_layout.h"
#include "host/runs/lease_manager.h"
#include "host/runs/run_manager.h"
#include "host/runs/run_store.h"
#include "host/transport/sim_transport.h"
#include "rig/base/clock.h"

namespace rollrig::host {
namespace {

using rollrig::v1::RunInfo;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// 4 s a cycle: 1 s ramp up to 40 rpm, 2 s hold, 1 s ramp down.
constexpr char kProfile[] = R"pb(
  name: "short"
  steps {
    segment {
      label: "up"
      duration_s: 1
      roller { ramp { from_rpm: 0 to_rpm: 40 } }
      preload { ramp { from_newtons: 0 to_newtons: 30 } }
    }
  }
  steps {
    segment {
      label: "hold"
      duration_s: 2
      roller { hold { rpm: 40 } }
      preload { hold { newtons: 30 } }
    }
  }
  steps {
    segment {
      label: "down"
      duration_s: 1
      roller { ramp { from_rpm: 40 to_rpm: 0 } }
      preload { ramp { from_newtons: 30 to_newtons: 0 } }
    }
  }
)pb";

constexpr uint64_t kReserve = uint64_t{4} << 20;

bool Eventually(const std::function<bool()>& pred, double timeout_s = 30) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(int(timeout_s * 1000));
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

class RunDiskFullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char path[] = "/tmp/rollrig-diskfull-XXXXXX";
    ASSERT_NE(mkdtemp(path), nullptr);
    dir_ = path;
    sim::SimOptions o;
    o.seed = 5;
    device_ =
        std::make_unique<DeviceClient>(std::make_unique<SimTransport>(o), DeviceClientOptions{});
    device_->Start();
    ASSERT_TRUE(device_->WaitConnected(absl::Seconds(20)).ok());
    absl::StatusOr<std::unique_ptr<RunStore>> store = RunStore::Open(dir_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    lease_ = std::make_unique<LeaseManager>(&device_->events(), RealClock());
  }
  void TearDown() override {
    runs_.reset();
    device_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // `reserve` = 0: the free-space check never fires, the write itself fails.
  void StartManager(uint64_t reserve = kReserve) {
    RunManagerOptions options;
    options.file_system = &fs_;
    options.recorder.reserve_bytes = reserve;
    options.recorder.estimate_margin_bytes = 0;
    runs_ = std::make_unique<RunManager>(device_.get(), store_.get(), lease_.get(), options);
    runs_->Start();
  }

  absl::StatusOr<RunInfo> Call(const std::function<void(RunManager::RunCallback)>& call) {
    std::promise<absl::StatusOr<RunInfo>> promise;
    call([&](absl::StatusOr<RunInfo> r) { promise.set_value(std::move(r)); });
    return promise.get_future().get();
  }
  absl::StatusOr<RunInfo> StartRun() {
    rollrig::v1::StartRunRequest req;
    req.mutable_spec()->mutable_profile()->set_file_name("p.textproto");
    req.mutable_spec()->mutable_profile()->set_text(kProfile);
    req.mutable_spec()->set_cycles(20);
    return Call([&](RunManager::RunCallback done) {
      runs_->StartRun(req, RunActor{}, std::nullopt, std::move(done));
    });
  }
  RunInfo Get(const std::string& id) {
    absl::StatusOr<RunInfo> r = runs_->Get(id);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : RunInfo();
  }
  // Starts a run and waits until it holds 40 rpm: the disk fails with the roller turning.
  std::string StartRunAndReachTheHold() {
    absl::StatusOr<RunInfo> run = StartRun();
    EXPECT_TRUE(run.ok()) << run.status();
    if (!run.ok()) return "";
    EXPECT_TRUE(Eventually([&] {
      const RunInfo r = Get(run->id());
      return r.state() == rollrig::v1::RUN_STATE_RUNNING &&
             r.progress().segment_label() == "hold" && device_->Snapshot().last.roller_rpm > 35;
    })) << "the run never reached its hold at 40 rpm";
    return run->id();
  }
  RunInfo WaitFaulted(const std::string& id) {
    EXPECT_TRUE(Eventually([&] { return Get(id).state() == rollrig::v1::RUN_STATE_FAULTED; }))
        << "the run is " << rollrig::v1::RunState_Name(Get(id).state()) << ": "
        << Get(id).state_reason();
    return Get(id);
  }

  // A controlled stop: the roller at standstill, the bridge off, no device fault latched.
  void ExpectMotorsStopped() {
    EXPECT_TRUE(Eventually([&] {
      const DeviceSnapshot s = device_->Snapshot();
      return s.state == rollrig::v1::DEVICE_STATE_IDLE && std::fabs(s.last.roller_rpm) < 1 &&
             s.last.voltage_v == 0;
    }));
    const DeviceSnapshot s = device_->Snapshot();
    EXPECT_EQ(s.state, rollrig::v1::DEVICE_STATE_IDLE);
    EXPECT_LT(std::fabs(s.last.roller_rpm), 1.0f);
    EXPECT_EQ(s.last.voltage_v, 0.0f) << "the bridge still drives the motor";
    EXPECT_EQ(s.faults, 0u);
  }

  // Every file of the run is a finalized .mcap that our reader (and, where node and the
  // test's @mcap/core are installed, the independent reader) reads, its telemetry without
  // a hole. The disk failed in the hold, 1 s into the run: whatever failed, at least the
  // chunks before the one being written (closed every 0.5 s) are kept.
  void ExpectFinalizedRecording(const RunInfo& run) {
    constexpr size_t min_samples = 500;
    ASSERT_GE(run.recordings_size(), 1);
    for (const std::string& path : run.recordings()) {
      EXPECT_THAT(path, ::testing::EndsWith(".mcap"));
      EXPECT_TRUE(std::filesystem::exists(path)) << path;
      EXPECT_FALSE(std::filesystem::exists(path + ".part")) << path;
    }
    const std::string path = run.recordings(0);
    auto file = recording::RealFileSystem()->OpenForRead(path);
    ASSERT_TRUE(file.ok()) << file.status();
    auto reader = recording::McapReader::Open(file->get());
    ASSERT_TRUE(reader.ok()) << reader.status();
    EXPECT_TRUE((*reader)->has_summary());
    const auto& channels = (*reader)->channels();
    size_t samples = 0;
    uint32_t last_sequence = 0;
    bool contiguous = true;
    absl::Status read = (*reader)->ReadMessages({}, [&](const recording::McapMessage& m) {
      if (channels.at(m.channel_id).topic != recorder::kTelemetryTopic) return true;
      contiguous = contiguous && (samples == 0 || m.sequence == last_sequence + 1);
      last_sequence = m.sequence;
      ++samples;
      return true;
    });
    EXPECT_TRUE(read.ok()) << read;
    EXPECT_TRUE(contiguous) << "a hole in the recorded telemetry of " << path;
    EXPECT_GE(samples, min_samples) << path;
    ExpectIndependentReaderAccepts(path);
  }

  static void ExpectIndependentReaderAccepts(const std::string& path) {
    const std::string checker = std::string(ROLLRIG_SOURCE_DIR) + "/tests/mcapcheck";
    if (std::system("node --version > /dev/null 2>&1") != 0 ||
        !std::filesystem::exists(checker + "/node_modules/@mcap/core")) {
      std::cout << "note: node or @mcap/core missing; " << path
                << " checked with our reader only\n";
      return;
    }
    const std::string check = "node " + checker + "/check.mjs '" + path + "' > /dev/null 2>&1";
    EXPECT_EQ(std::system(check.c_str()), 0) << check;
  }

  // The manager still answers and a new run starts (and is stopped again).
  void ExpectServingAndANewRunStarts(const std::string& faulted_id) {
    const std::vector<RunInfo> list = runs_->List();
    ASSERT_FALSE(list.empty());
    EXPECT_EQ(list.front().id(), faulted_id);
    absl::StatusOr<RunInfo> next = StartRun();
    ASSERT_TRUE(next.ok()) << next.status();
    EXPECT_NE(next->id(), faulted_id);
    absl::StatusOr<RunInfo> stopped = Call([&](RunManager::RunCallback done) {
      runs_->StopRun(next->id(), RunActor{.identity = "test"}, std::move(done));
    });
    ASSERT_TRUE(stopped.ok()) << stopped.status();
    EXPECT_TRUE(Eventually([&] { return !IsActiveState(Get(next->id()).state()); }));
  }
  static bool IsActiveState(rollrig::v1::RunState s) {
    return s == rollrig::v1::RUN_STATE_ARMING || s == rollrig::v1::RUN_STATE_RUNNING ||
           s == rollrig::v1::RUN_STATE_PAUSED;
  }

  std::string dir_;
  recording::FaultInjectingFileSystem fs_{recording::RealFileSystem()};
  std::unique_ptr<DeviceClient> device_;
  std::unique_ptr<RunStore> store_;
  std::unique_ptr<LeaseManager> lease_;
  std::unique_ptr<RunManager> runs_;
};

TEST_F(RunDiskFullTest, FreeSpaceBelowTheReserveStopsTheRunFaultedNamingTheDisk) {
  StartManager();
  const std::string id = StartRunAndReachTheHold();
  ASSERT_FALSE(id.empty());
  // Another process takes the space: half the reserve is left (and writes still fit).
  fs_.SetWriteBudget(kReserve / 2);
  const RunInfo run = WaitFaulted(id);
  EXPECT_THAT(run.state_reason(), StartsWith("disk full: free space in " + dir_ + " fell to "));
  EXPECT_THAT(run.state_reason(), HasSubstr("below the recorder's finalizing reserve of 4.0 MiB"));
  EXPECT_THAT(run.verdict().reason(), HasSubstr("disk full"));
  ExpectMotorsStopped();
  ExpectFinalizedRecording(run);

  // While the space is still short a new run is refused with both figures...
  absl::StatusOr<RunInfo> refused = StartRun();
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted) << refused.status();
  EXPECT_THAT(refused.status().message(), HasSubstr("not enough free space in " + dir_));
  // ...and starts once it has come back.
  fs_.SetWriteBudget(std::nullopt);
  ExpectServingAndANewRunStarts(id);
}

TEST_F(RunDiskFullTest, AWriteFailingWithNoSpaceFaultsTheRunAndKeepsTheRecording) {
  StartManager(/*reserve=*/0);
  const std::string id = StartRunAndReachTheHold();
  ASSERT_FALSE(id.empty());
  fs_.SetWriteBudget(0);  // the disk filled faster than any check could see
  RunInfo run = WaitFaulted(id);
  EXPECT_THAT(run.state_reason(), StartsWith("disk full: recording " + dir_ + "/" + id));
  EXPECT_THAT(run.state_reason(), HasSubstr("no space left on device"));
  EXPECT_THAT(run.verdict().reason(), HasSubstr("disk full"));
  ExpectMotorsStopped();

  // No room even for the summary: once space is back the recording is finalized.
  fs_.SetWriteBudget(std::nullopt);
  EXPECT_TRUE(Eventually([&] {
    run = Get(id);
    return run.recordings_size() > 0 && !absl::EndsWith(run.recordings(0), ".part");
  })) << "the recording is still "
      << run.recordings(0);
  ExpectFinalizedRecording(run);
  ExpectServingAndANewRunStarts(id);
}

TEST_F(RunDiskFullTest, AFailedSyncFaultsTheRunNamingTheIOError) {
  StartManager();
  const std::string id = StartRunAndReachTheHold();
  ASSERT_FALSE(id.empty());
  fs_.FailNextSyncs(1);  // fdatasync of the next chunk: EIO
  const RunInfo run = WaitFaulted(id);
  EXPECT_THAT(run.state_reason(), StartsWith("I/O error: recording " + dir_ + "/" + id));
  EXPECT_THAT(run.state_reason(), HasSubstr("Input/output error"));
  ExpectMotorsStopped();
  ExpectFinalizedRecording(run);
  ExpectServingAndANewRunStarts(id);
}

}  // namespace
}  // namespace rollrig::host
