// The run report through rigd: GetRunReport renders a finished run's report from its
// recording, `rigctl report RUN_ID` writes it, and bad input gets clear errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "host/rigctl/rigctl.h"
#include "tests/rig_stack.h"

namespace rollrig {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// 2 s a cycle: ramp up, hold, ramp down; a per-cycle limit for the trend plot's line.
constexpr char kProfile[] = R"pb(
  name: "report"
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
  limits {
    name: "cycle peak torque"
    cycle_statistic: CYCLE_STATISTIC_PEAK_TORQUE_NM
    max: 2
    action: LIMIT_ACTION_FAIL
  }
)pb";

int Rigctl(const std::vector<std::string>& args, std::string* out) {
  std::ostringstream o, e;
  const int rc = host::RunRigctl(args, o, e);
  *out = o.str() + e.str();
  return rc;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Starts a 3-cycle run and waits for its end.
rollrig::v1::RunInfo FinishedRun(testing::RigStack& rig) {
  rollrig::v1::StartRunRequest req;
  req.mutable_spec()->mutable_profile()->set_file_name("report.textproto");
  req.mutable_spec()->mutable_profile()->set_text(kProfile);
  req.mutable_spec()->set_cycles(3);
  req.mutable_spec()->set_dut_serial("DUT-<7>");
  absl::StatusOr<rollrig::v1::RunInfo> started = rig.StartRun(req);
  EXPECT_TRUE(started.ok()) << started.status();
  if (!started.ok()) return {};
  const absl::Time deadline = absl::Now() + absl::Seconds(90);
  for (;;) {
    rollrig::v1::RunInfo run = rig.GetRun(started->id());
    if (run.state() != rollrig::v1::RUN_STATE_ARMING &&
        run.state() != rollrig::v1::RUN_STATE_RUNNING) {
      return run;
    }
    if (absl::Now() > deadline) {
      ADD_FAILURE() << "the run did not end";
      return run;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

TEST(ReportE2ETest, RigdRendersAFinishedRunsReportAndRigctlWritesIt) {
  testing::RigStack rig("sim", absl::Seconds(10), 2.0);
  ASSERT_TRUE(rig.connected().ok()) << rig.connected();
  const rollrig::v1::RunInfo run = FinishedRun(rig);
  ASSERT_EQ(run.state(), rollrig::v1::RUN_STATE_COMPLETED) << run.state_reason();

  rollrig::v1::GetRunReportRequest req;
  req.set_run_id(run.id());
  auto ctx = rig.Context(60);
  auto reader = rig.stub()->GetRunReport(ctx.get(), req);
  std::string html;
  rollrig::v1::ReportChunk chunk;
  while (reader->Read(&chunk)) {
    ASSERT_EQ(chunk.offset(), html.size());
    EXPECT_EQ(chunk.file_name(), run.id() + ".report.html");
    html += chunk.data();
  }
  grpc::Status status = reader->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(html, HasSubstr("verdict: PASS"));
  EXPECT_THAT(html, HasSubstr(run.id()));
  EXPECT_THAT(html, HasSubstr("DUT-&lt;7&gt;"));
  EXPECT_THAT(html, HasSubstr(run.id() + ".mcap"));
  EXPECT_THAT(html, HasSubstr("cycle peak torque"));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_EQ(Count(html, "<svg"), 10u) << "5 overview plots and 5 trend plots";
  EXPECT_GE(Count(html, "<circle"), 3u) << "a trend point per cycle";

  // rigctl writes the same report; and renders one from the file itself.
  const std::string dir = testing::MakeTempDir();
  std::string out;
  ASSERT_EQ(
      Rigctl({"--addr", rig.app().address(), "report", run.id(), "-o", dir + "/r.html"}, &out), 0)
      << out;
  EXPECT_EQ(ReadAll(dir + "/r.html"), html);
  const std::string file = rig.RecordingPath(run.recordings(0));
  ASSERT_EQ(Rigctl({"report", file, "-o", dir + "/local.html"}, &out), 0) << out;
  EXPECT_THAT(ReadAll(dir + "/local.html"), HasSubstr("verdict: PASS"));
  testing::RemoveTree(dir);
}

// The report of a run still going: what its recording holds so far, marked in progress,
// with the verdict so far.
TEST(ReportE2ETest, AnActiveRunsReportIsMarkedInProgress) {
  testing::RigStack rig("sim", absl::Seconds(10), 2.0);
  ASSERT_TRUE(rig.connected().ok()) << rig.connected();
  rollrig::v1::StartRunRequest start;
  start.mutable_spec()->mutable_profile()->set_file_name("report.textproto");
  start.mutable_spec()->mutable_profile()->set_text(kProfile);
  start.mutable_spec()->set_cycles(100);
  absl::StatusOr<rollrig::v1::RunInfo> run = rig.StartRun(start);
  ASSERT_TRUE(run.ok()) << run.status();
  // A cycle or two recorded (durable chunks close every half second).
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (rig.GetRun(run->id()).progress().cycles_completed() < 2) {
    ASSERT_LT(absl::Now(), deadline) << "no cycle completed";
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::string out;
  const std::string dir = testing::MakeTempDir();
  ASSERT_EQ(
      Rigctl({"--addr", rig.app().address(), "report", run->id(), "-o", dir + "/r.html"}, &out), 0)
      << out;
  const std::string html = ReadAll(dir + "/r.html");
  EXPECT_THAT(html, HasSubstr("in progress:"));
  EXPECT_THAT(html, HasSubstr(run->id() + ".mcap.part (in progress)"));
  EXPECT_THAT(html, HasSubstr("verdict: PASS"));
  EXPECT_GE(Count(html, "<svg"), 5u);
  rollrig::v1::RunRequest stop;
  stop.set_id(run->id());
  rollrig::v1::RunInfo stopped;
  grpc::Status s = rig.stub()->StopRun(rig.Context().get(), stop, &stopped);
  EXPECT_TRUE(s.ok()) << s.error_message();
  testing::RemoveTree(dir);
}

TEST(ReportE2ETest, UnknownRunsMissingFilesAndUnwritablePathsAreClearErrors) {
  testing::RigStack rig("sim", absl::Seconds(10), 2.0);
  ASSERT_TRUE(rig.connected().ok()) << rig.connected();
  rollrig::v1::GetRunReportRequest req;
  req.set_run_id("no-such-run");
  auto ctx = rig.Context(30);
  auto reader = rig.stub()->GetRunReport(ctx.get(), req);
  rollrig::v1::ReportChunk chunk;
  EXPECT_FALSE(reader->Read(&chunk));
  grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("no-such-run"));

  std::string out;
  EXPECT_EQ(Rigctl({"--addr", rig.app().address(), "report", "no-such-run"}, &out), 7) << out;
  EXPECT_THAT(out, HasSubstr("no-such-run"));
  EXPECT_EQ(Rigctl({"report", "/nonexistent/run.mcap"}, &out), 7) << out;
  EXPECT_THAT(out, HasSubstr("/nonexistent/run.mcap"));
  const std::string fixture = absl::StrCat(ROLLRIG_SOURCE_DIR, "/fixtures/swedish.mcap");
  EXPECT_EQ(Rigctl({"report", fixture, "-o", "/nonexistent-dir/r.html"}, &out), 4) << out;
  EXPECT_THAT(out, HasSubstr("cannot write /nonexistent-dir/r.html"));
}

}  // namespace
}  // namespace rollrig
