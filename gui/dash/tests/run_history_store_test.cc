// RunHistoryStore against a fake rigd on loopback (GetRunHistory, GetRun): the whole run
// from t = 0 at overview resolution, a zoomed window fetched (once, after the debounce) at
// the plot's resolution, live rows joined at the right edge, errors kept and shown.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "gui/dash/run_history_source.h"
#include "gui/dash/tests/fake_history_service.h"

namespace rollrig::gui {
namespace {

using testing::Eventually;
using testing::FakeHistoryService;
using testing::FakeRigd;

const size_t kTorque = ChannelNamed("torque_nm");

std::unique_ptr<RunHistoryStore> StoreFor(const FakeRigd& rigd, const std::string& run,
                                          HistoryStoreOptions options = {}) {
  auto channel = grpc::CreateChannel(rigd.addr(), grpc::InsecureChannelCredentials());
  auto store = std::make_unique<RunHistoryStore>(std::make_unique<GrpcHistoryFetcher>(channel), run,
                                                 options);
  store->Start();
  return store;
}

TEST(RunHistoryStore, ShowsTheWholeRunFromItsStart) {
  FakeHistoryService service;
  FakeRigd rigd(&service);
  auto store = StoreFor(rigd, "run-1");
  ASSERT_TRUE(store->WaitForOverview(10)) << store->status();
  const RunHistorySummary s = store->Summary();
  EXPECT_EQ(s.run_id, "run-1");
  EXPECT_EQ(s.recorded_end_s, 60);
  EXPECT_EQ(s.events.size(), 2u);
  EXPECT_EQ(s.cycles.size(), 10u);
  ASSERT_TRUE(s.have_run);
  EXPECT_FALSE(s.run.spec().profile().text().empty());
  EXPECT_FALSE(store->ChannelEmpty(kTorque));
  EXPECT_TRUE(store->ChannelEmpty(ChannelNamed("force_n")));
  EXPECT_EQ(store->t_begin(kTorque), 0);
  EXPECT_EQ(store->t_end(kTorque), 60);
  SeriesView v;
  store->Query(kTorque, 0, 60, 600, &v);
  EXPECT_FALSE(v.raw);
  ASSERT_FALSE(v.t.empty());
  EXPECT_LE(v.t.front(), 0.1);
  EXPECT_GE(v.t.back(), 59.5);
  EXPECT_EQ(v.dropped_in_view, 50u);
  // Held at view resolution, whatever the run's length: 2000 points of each channel sent.
  EXPECT_LT(store->memory_bytes(), size_t{2000} * (8 + kChannelCount * 12) + 4096);
}

TEST(RunHistoryStore, ZoomingInFetchesTheWindowOnceAtThePlotsResolution) {
  FakeHistoryService service;
  service.window_delay_ms = 400;  // frames keep asking while the window is in flight
  FakeRigd rigd(&service);
  HistoryStoreOptions o;
  o.overview_points = 200;  // coarse, so a zoom needs finer data
  auto store = StoreFor(rigd, "run-1", o);
  ASSERT_TRUE(store->WaitForOverview(10)) << store->status();
  const int calls = service.history_calls.load();
  SeriesView v;
  store->Query(kTorque, 20, 22, 800, &v);  // 200 samples, 800 columns: raw wanted
  EXPECT_FALSE(v.raw);                     // the overview answers until the window arrives
  for (int i = 0; i < 5; ++i) store->Query(kTorque, 20, 22, 800, &v);  // the same view: one fetch
  ASSERT_TRUE(Eventually([&] {
    store->Query(kTorque, 20, 22, 800, &v);  // as every frame does while the window is fetched
    return service.raw_answers.load() > 0;
  }));
  ASSERT_TRUE(Eventually([&] {
    store->Query(kTorque, 20, 22, 800, &v);
    return v.raw;
  }));
  EXPECT_EQ(service.history_calls.load(), calls + 1);
  EXPECT_NEAR(v.t.front(), 20, 0.011);
  for (size_t i = 0; i < v.t.size(); ++i) {
    EXPECT_NEAR(v.min[i], FakeHistoryService::Torque(v.t[i]), 1e-5);
  }
  // Still the same view: nothing more is fetched.
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  store->Query(kTorque, 20, 22, 800, &v);
  EXPECT_EQ(service.history_calls.load(), calls + 1);
}

TEST(RunHistoryStore, ARecordedRunJoinsItsLiveRowsAtTheRightEdge) {
  FakeHistoryService service;
  service.recording = true;  // live rows' t_s 1000 is run time 0 (live_device_to_run_s)
  FakeRigd rigd(&service);
  auto store = StoreFor(rigd, "run-1");
  ASSERT_TRUE(store->WaitForOverview(10)) << store->status();
  SeriesSet live;
  std::vector<TelemetryPoint> points;
  for (int i = 0; i <= 1000; ++i) {  // device time 1050..1070 on the ingest axis 0..20
    TelemetryPoint p;
    p.t = i * 0.02;
    p.v[kTorque] = 5;
    points.push_back(p);
  }
  live.Append(points);
  store->SetLive(&live, true, 1050);
  EXPECT_NEAR(store->t_end(kTorque), 70, 1e-9);
  SeriesView v;
  store->Query(kTorque, 55, 70, 1500, &v);
  ASSERT_FALSE(v.t.empty());
  size_t live_points = 0;
  for (size_t i = 0; i < v.t.size(); ++i) {
    if (v.t[i] > 60) {
      ++live_points;
      EXPECT_FLOAT_EQ(v.min[i], 5);
    } else {
      EXPECT_LE(v.max[i], 1.0f);
    }
    if (i) {
      EXPECT_GT(v.t[i], v.t[i - 1]);
    }
  }
  EXPECT_GT(live_points, 100u);
  EXPECT_NEAR(v.t.back(), 70, 0.05);
}

TEST(RunHistoryStore, ADamagedRecordingIsShownUpToTheDamageAndNamed) {
  FakeHistoryService service;
  service.duration_s = 20;  // what could be read before the damage
  service.damage = "run-1-h2.mcap: a chunk's CRC does not match at byte 1048576";
  FakeRigd rigd(&service);
  auto store = StoreFor(rigd, "run-1");
  ASSERT_TRUE(store->WaitForOverview(10)) << store->status();
  EXPECT_TRUE(store->status().ok());  // the part before the damage is shown, not an error
  const RunHistorySummary s = store->Summary();
  EXPECT_EQ(s.damage, service.damage);
  EXPECT_EQ(s.recorded_end_s, 20);
  EXPECT_FALSE(store->ChannelEmpty(kTorque));
}

TEST(RunHistoryStore, AnUnknownRunIsAnErrorNamingIt) {
  FakeHistoryService service;
  FakeRigd rigd(&service);
  auto store = StoreFor(rigd, "no-such-run");
  EXPECT_FALSE(store->WaitForOverview(10));
  EXPECT_EQ(store->status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(store->status().message().find("no-such-run"), std::string::npos);
  SeriesView v;
  store->Query(kTorque, 0, 10, 100, &v);  // answers, empty
  EXPECT_TRUE(v.t.empty());
  EXPECT_TRUE(store->ChannelEmpty(kTorque));
}

TEST(RunHistoryStore, NoRigdIsAnErrorNotAHang) {
  HistoryStoreOptions o;
  auto channel = grpc::CreateChannel("127.0.0.1:1", grpc::InsecureChannelCredentials());
  RunHistoryStore store(std::make_unique<GrpcHistoryFetcher>(channel, 2), "x", o);
  store.Start();
  EXPECT_FALSE(store.WaitForOverview(10));
  EXPECT_FALSE(store.status().ok());
}

}  // namespace
}  // namespace rollrig::gui
