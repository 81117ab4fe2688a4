// Recording end to end: rigd in-process (RigStack) runs a profile; the run's recording is
// a finalized MCAP file with telemetry, events and cycles that rigctl exports as CSV,
// from the file and downloaded from rigd.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <thread>

#include "host/recorder/recording_layout.h"
#include "host/recording/file_system.h"
#include "host/recording/mcap_reader.h"
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
  EXPECT_EQ(run.recordings(0), rig.runs_dir() + "/" + run.id() + ".mcap.part");

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
  EXPECT_EQ(run.recordings(0), path);
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
  EXPECT_THAT(local, HasSubstr("t_s,roller_rpm_cmd,roller_rpm,head_deg_cmd,head_deg,torque_nm,"
                               "force_n,current_a,temp_c,seq,drops,segment,cycle\n"));
  const size_t rows = static_cast<size_t>(std::count(local.begin(), local.end(), '\n')) - 1;
  EXPECT_NEAR(static_cast<double>(rows), 1000, 5);
  ASSERT_EQ(Rigctl({"--addr", rig.app().address(), "export", run.id()}, &remote), 0) << remote;
  EXPECT_EQ(static_cast<size_t>(std::count(remote.begin(), remote.end(), '\n')) - 1,
            counts[recorder::kTelemetryTopic]);
  ASSERT_EQ(Rigctl({"export", path, "--cycles"}, &cycles), 0) << cycles;
  EXPECT_THAT(cycles, HasSubstr("cycle,start_s,end_s,samples,peak_torque_nm"));
  EXPECT_EQ(std::count(cycles.begin(), cycles.end(), '\n'), 4);
}

}  // namespace
}  // namespace rollrig
