// GetRunHistory through rigd's gRPC API on the simulated massager (faster than real time):
// a run with a pause and cycles, recorded into files rotated every couple of seconds, read
// back as one run from run time 0 -- live while it grows and once it is over -- and checked
// against the samples the files hold (read here with the plain MCAP reader), against the
// cycle table's run times, and for the errors the contract names.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "enum_names.h"
#include "host/recording/mcap_reader.h"
#include "host/recording/recording_layout.h"
#include "tests/rig_stack.h"
#include "tests/short_profile.h"

namespace rollrig {
namespace {

using rollrig::v1::GetRunHistoryRequest;
using rollrig::v1::RunHistory;
using rollrig::v1::RunInfo;
using ::testing::HasSubstr;
using testing::RigStack;

constexpr double kSpeedup = 2.0;

// A recorded sample and its run time as the analysis counts it (device time since the
// first program sample; one stretch here).
struct Recorded {
  double t_s = 0;
  host::Sample sample;
};

// Every /telemetry sample of the run's files, in order, with its run time.
std::vector<Recorded> ReadRecorded(RigStack& rig, const RunInfo& run) {
  std::vector<Recorded> all;
  std::optional<uint64_t> origin;
  for (const std::string& name : run.recordings()) {
    auto file = recording::RealFileSystem()->OpenForRead(rig.RecordingPath(name));
    EXPECT_TRUE(file.ok()) << file.status();
    if (!file.ok()) continue;
    auto reader = recording::McapReader::Open(file->get());
    EXPECT_TRUE(reader.ok()) << reader.status();
    if (!reader.ok()) continue;
    recording::McapReadOptions options;
    options.topics = {recorder::kTelemetryTopic};
    EXPECT_TRUE((*reader)
                    ->ReadMessages(options,
                                   [&](const recording::McapMessage& m) {
                                     rollrig::v1::TelemetryRecord r;
                                     EXPECT_TRUE(r.ParseFromString(m.data));
                                     Recorded rec;
                                     recorder::RecordToSample(r, &rec.sample);
                                     if (!origin && rec.sample.segment >= 0) {
                                       origin = rec.sample.time_us;
                                     }
                                     all.push_back(rec);
                                     return true;
                                   })
                    .ok());
  }
  for (Recorded& r : all) {
    r.t_s = (static_cast<double>(r.sample.time_us) - static_cast<double>(origin.value_or(0))) / 1e6;
  }
  return all;
}

class RunHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rig_ =
        std::make_unique<RigStack>("sim", absl::Seconds(10), kSpeedup, "", false, absl::Seconds(2));
    ASSERT_TRUE(rig_->connected().ok()) << rig_->connected();
  }

  grpc::Status History(const GetRunHistoryRequest& req, RunHistory* out) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return rig_->stub()->GetRunHistory(&ctx, req, out);
  }

  RunHistory HistoryOk(const GetRunHistoryRequest& req) {
    RunHistory out;
    grpc::Status s = History(req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  void WaitElapsed(const std::string& id, double t_s) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (rig_->GetRun(id).progress().elapsed_s() < t_s &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  RunInfo WaitEnd(const std::string& id) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
    RunInfo run = rig_->GetRun(id);
    while (rollrig::v1::RunIsActive(run.state()) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      run = rig_->GetRun(id);
    }
    return run;
  }

  // Runs 3 cycles with a pause in the first; checks the live history on the way.
  RunInfo RunWithPause() {
    absl::StatusOr<RunInfo> started = rig_->StartRun(testing::ShortRunRequest(3));
    EXPECT_TRUE(started.ok()) << started.status();
    if (!started.ok()) return {};
    const std::string id = started->id();
    WaitElapsed(id, 1.5);
    rollrig::v1::RunRequest req;
    req.set_id(id);
    RunInfo info;
    EXPECT_TRUE(rig_->stub()->PauseRun(rig_->Context().get(), req, &info).ok());
    paused_at_s_ = info.progress().elapsed_s();  // the run time it paused at, however late
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    EXPECT_TRUE(rig_->stub()->ResumeRun(rig_->Context().get(), req, &info).ok());
    WaitElapsed(id, 5);

    GetRunHistoryRequest hreq;
    hreq.set_run_id(id);
    const RunHistory live = HistoryOk(hreq);
    EXPECT_TRUE(live.recording());
    EXPECT_GT(live.recorded_end_s(), 3.0);
    EXPECT_NE(live.live_device_to_run_s(), 0.0);
    EXPECT_GT(live.t_s_size(), 0);
    if (live.t_s_size() > 0) {
      EXPECT_LT(live.t_s(0), 0.5);
    }
    // The live mapping puts the latest sample at the recorded end, give or take the
    // samples that arrived since.
    const rollrig::v1::RigStatus status = rig_->Status();
    EXPECT_NEAR(status.last().t_s() + live.live_device_to_run_s(), live.recorded_end_s(), 2.0);
    WaitElapsed(id, 8);
    const RunHistory later = HistoryOk(hreq);
    EXPECT_GT(later.recorded_end_s(), live.recorded_end_s() + 1.0) << "a live run's history grows";
    return WaitEnd(id);
  }

  std::unique_ptr<RigStack> rig_;
  double paused_at_s_ = -1;
};

TEST_F(RunHistoryTest, RunWithPauseReadsAsOneRunFromRunTimeZero) {
  const RunInfo run = RunWithPause();
  ASSERT_EQ(run.state(), rollrig::v1::RUN_STATE_COMPLETED) << run.state_reason();
  ASSERT_GE(run.recordings_size(), 2) << "the recording rotated";
  const std::vector<Recorded> recorded = ReadRecorded(*rig_, run);
  ASSERT_FALSE(recorded.empty());

  GetRunHistoryRequest req;
  req.set_run_id(run.id());
  const RunHistory whole = HistoryOk(req);
  EXPECT_FALSE(whole.recording());
  EXPECT_FALSE(whole.raw()) << "12 s at 1 kHz is more than 2000 points";
  EXPECT_EQ(whole.files_size(), run.recordings_size());
  EXPECT_EQ(whole.sample_rate_hz(), 1000u);
  EXPECT_NEAR(whole.recorded_end_s(), recorded.back().t_s, 1e-6);
  ASSERT_GT(whole.t_s_size(), 100);
  EXPECT_LT(whole.t_s(0), 0.01) << "the history starts at run time 0";
  EXPECT_LE(whole.t_s_size(), 2000);
  EXPECT_GE(whole.series_size(), 10) << "every channel the sim measures";
  EXPECT_TRUE(std::is_sorted(whole.t_s().begin(), whole.t_s().end()));
  EXPECT_EQ(whole.cycles_size(), 3);
  ASSERT_GT(paused_at_s_, 1.0);
  const bool paused = std::any_of(whole.events().begin(), whole.events().end(), [&](const auto& e) {
    return e.run_state() == rollrig::v1::RUN_STATE_PAUSED && e.has_run_time_s() &&
           std::abs(e.run_time_s() - paused_at_s_) < 0.5;
  });
  std::string events;
  for (const rollrig::v1::RigEvent& e : whole.events()) {
    events += absl::StrCat("\n  ", rollrig::v1::RunState_Name(e.run_state()), " at ",
                           e.has_run_time_s() ? absl::StrCat(e.run_time_s()) : "(no run time)",
                           ": ", e.message());
  }
  EXPECT_TRUE(paused) << "the pause is among the events, at its run time (" << paused_at_s_
                      << " s); the events:" << events;

  // The envelope: min <= mean <= max in every bucket, and its extremes are the samples'.
  float raw_max = -1e9f, raw_min = 1e9f;
  uint64_t in_window = 0;
  for (const Recorded& r : recorded) {
    if (r.t_s < whole.t0_s() || r.t_s > whole.t1_s()) continue;
    raw_max = std::max(raw_max, r.sample.torque_nm);
    raw_min = std::min(raw_min, r.sample.torque_nm);
    ++in_window;
  }
  EXPECT_EQ(whole.samples(), in_window);
  for (const rollrig::v1::HistorySeries& s : whole.series()) {
    ASSERT_EQ(s.min_size(), whole.t_s_size());
    for (int i = 0; i < s.min_size(); ++i) {
      if (std::isnan(s.mean(i))) continue;
      EXPECT_LE(s.min(i), s.mean(i) + 1e-4f) << s.channel() << " at " << whole.t_s(i);
      EXPECT_LE(s.mean(i), s.max(i) + 1e-4f) << s.channel() << " at " << whole.t_s(i);
    }
    if (s.channel() != "torque_nm") continue;
    EXPECT_EQ(*std::max_element(s.max().begin(), s.max().end()), raw_max);
    EXPECT_EQ(*std::min_element(s.min().begin(), s.min().end()), raw_min);
  }

  // A raw window: exactly the recorded samples, at their run times.
  req.set_t0_s(6.0);
  req.set_t1_s(6.5);
  req.add_channels("torque_nm");
  req.add_channels("temp_c");
  const RunHistory raw = HistoryOk(req);
  EXPECT_TRUE(raw.raw());
  std::vector<const Recorded*> expected;
  for (const Recorded& r : recorded) {
    if (r.t_s >= 6.0 && r.t_s <= 6.5) expected.push_back(&r);
  }
  ASSERT_EQ(raw.t_s_size(), static_cast<int>(expected.size()));
  ASSERT_EQ(raw.series_size(), 2);
  EXPECT_EQ(raw.series(0).channel(), "torque_nm");
  EXPECT_TRUE(raw.series(0).min().empty());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_NEAR(raw.t_s(static_cast<int>(i)), expected[i]->t_s, 1e-6);
    EXPECT_EQ(raw.series(0).mean(static_cast<int>(i)), expected[i]->sample.torque_nm);
    EXPECT_EQ(raw.series(1).mean(static_cast<int>(i)), expected[i]->sample.temp_c);
  }

  // Each cycle's first sample, read at the cycle's start_s, is that cycle's first sample.
  for (const rollrig::v1::CycleStats& c : whole.cycles()) {
    auto first = std::find_if(recorded.begin(), recorded.end(), [&](const Recorded& r) {
      return r.sample.cycle == c.cycle() && r.sample.segment >= 0;
    });
    ASSERT_NE(first, recorded.end());
    GetRunHistoryRequest at;
    at.set_run_id(run.id());
    at.set_t0_s(c.start_s());
    at.set_t1_s(c.start_s() + 0.0105);
    at.add_channels("torque_nm");
    const RunHistory h = HistoryOk(at);
    ASSERT_TRUE(h.raw());
    ASSERT_GT(h.t_s_size(), 0);
    EXPECT_NEAR(h.t_s(0), c.start_s(), 1e-6) << "cycle " << c.cycle();
    EXPECT_EQ(h.series(0).mean(0), first->sample.torque_nm) << "cycle " << c.cycle();
  }
}

TEST_F(RunHistoryTest, BadRequestsAndDamageAreNamed) {
  absl::StatusOr<RunInfo> started = rig_->StartRun(testing::ShortRunRequest(1));
  ASSERT_TRUE(started.ok()) << started.status();
  const RunInfo run = WaitEnd(started->id());
  ASSERT_EQ(run.state(), rollrig::v1::RUN_STATE_COMPLETED) << run.state_reason();
  RunHistory out;

  GetRunHistoryRequest req;
  req.set_run_id("no-such-run");
  grpc::Status s = History(req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("no-such-run"));

  req.set_run_id(run.id());
  req.add_channels("torque");
  s = History(req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("\"torque\""));
  EXPECT_THAT(s.error_message(), HasSubstr("torque_nm"));
  req.clear_channels();

  req.set_max_points(100001);
  s = History(req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("100000"));
  req.set_max_points(0);

  const RunHistory whole = HistoryOk(req);
  req.set_t0_s(whole.recorded_end_s() + 10);
  req.set_t1_s(whole.recorded_end_s() + 20);
  s = History(req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr(absl::StrFormat("%.3f", whole.recorded_end_s())));

  // Damage in the middle of the file: what precedes it answers, and the damage is named.
  const std::string path = rig_->RecordingPath(run.recordings(0));
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(0, std::ios::end);
    const std::streamoff size = f.tellg();
    f.seekp(size / 2);
    const std::string junk(16384, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  req.set_t0_s(0);
  req.set_t1_s(0);
  req.set_max_points(100000);
  out.Clear();
  s = History(req, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_THAT(out.damage(), HasSubstr(run.recordings(0)));
  ASSERT_GT(out.t_s_size(), 0);
  EXPECT_LT(out.t_s(out.t_s_size() - 1), whole.recorded_end_s() - 0.1);
}

}  // namespace
}  // namespace rollrig
