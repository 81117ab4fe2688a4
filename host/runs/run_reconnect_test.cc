// Runs that lose their device mid-run (an unplugged cable, played by the fault-injecting
// transport in front of the in-process simulator; a hung firmware reset by the device's
// hardware watchdog), in real time: HELD, the gap event, and each DisconnectPolicy;
// another device appearing; the hold timeout (in simulated time).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "host/device/device_client.h"
#include "host/device/host_time.h"
#include "host/runs/lease_manager.h"
#include "host/runs/run_manager.h"
#include "host/runs/run_store.h"
#include "host/transport/fault_injecting_transport.h"
#include "host/transport/sim_transport.h"
#include "rig/base/clock.h"

namespace rollrig::host {
namespace {

using rollrig::v1::RigEvent;
using rollrig::v1::RunInfo;
using ::testing::HasSubstr;

// 4 s a cycle: 1 s ramp up to 40 rpm and 30 N, 2 s hold, 1 s ramp down.
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

// 1 s a cycle, starting at 40 rpm at once: a restart that did not begin at standstill
// would show as a jump.
constexpr char kQuickProfile[] = R"pb(
  name: "quick"
  steps {
    segment {
      label: "spin"
      duration_s: 0.8
      roller { hold { rpm: 40 } }
    }
  }
  steps {
    segment {
      label: "down"
      duration_s: 0.2
      roller { ramp { from_rpm: 40 to_rpm: 0 } }
    }
  }
)pb";

// Chooses which simulated device is behind the cable: plugging in another device is
// switching while unplugged.
class SwitchingTransport final : public Transport {
 public:
  explicit SwitchingTransport(std::vector<std::unique_ptr<Transport>> devices)
      : devices_(std::move(devices)) {}
  absl::Status Open() override {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = selected_;
    return devices_[open_]->Open();
  }
  absl::Status Write(const uint8_t* data, size_t n) override { return Current().Write(data, n); }
  absl::StatusOr<size_t> Read(uint8_t* buf, size_t cap, absl::Duration timeout) override {
    return Current().Read(buf, cap, timeout);
  }
  void Close() override { Current().Close(); }
  std::string Describe() const override { return "sim"; }
  void Select(size_t index) {
    std::lock_guard<std::mutex> lock(mu_);
    selected_ = index;
  }

 private:
  Transport& Current() {
    std::lock_guard<std::mutex> lock(mu_);
    return *devices_[open_];
  }
  std::vector<std::unique_ptr<Transport>> devices_;
  std::mutex mu_;
  size_t selected_ = 0;
  size_t open_ = 0;
};

bool Eventually(const std::function<bool()>& pred, double timeout_s = 30) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(int(timeout_s * 1000));
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

class RunReconnectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char path[] = "/tmp/rollrig-reconnect-XXXXXX";
    ASSERT_NE(mkdtemp(path), nullptr);
    dir_ = path;
    std::vector<std::unique_ptr<Transport>> devices;
    for (const char* serial : {"SIM-0001", "SIM-0002"}) {
      sim::SimOptions o;
      o.seed = 11;
      o.serial = serial;
      auto sim = std::make_unique<SimTransport>(o);
      sims_.push_back(sim.get());
      devices.push_back(std::move(sim));
    }
    auto switching = std::make_unique<SwitchingTransport>(std::move(devices));
    switch_ = switching.get();
    auto cable = std::make_unique<FaultInjectingTransport>(std::move(switching));
    cable_ = cable.get();
    device_ = std::make_unique<DeviceClient>(std::move(cable), DeviceClientOptions{});
    events_ = device_->events().Subscribe(1 << 16);
    telemetry_ = device_->telemetry().Subscribe(1 << 20);
    device_->Start();
    ASSERT_TRUE(device_->WaitConnected(absl::Seconds(20)).ok());
    absl::StatusOr<std::unique_ptr<RunStore>> store = RunStore::Open(dir_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    lease_ = std::make_unique<LeaseManager>(&device_->events(), RealClock());
    RunManagerOptions options;
    options.clock = run_clock_;
    runs_ = std::make_unique<RunManager>(device_.get(), store_.get(), lease_.get(), options);
    runs_->Start();
  }
  void TearDown() override {
    runs_.reset();
    device_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  absl::StatusOr<RunInfo> Call(const std::function<void(RunManager::RunCallback)>& call) {
    std::promise<absl::StatusOr<RunInfo>> promise;
    call([&](absl::StatusOr<RunInfo> r) { promise.set_value(std::move(r)); });
    return promise.get_future().get();
  }
  absl::StatusOr<RunInfo> StartRun(rollrig::v1::DisconnectPolicy policy, uint32_t cycles,
                                   double hold_timeout_s = 0, const char* profile = kProfile) {
    rollrig::v1::StartRunRequest req;
    req.mutable_spec()->mutable_profile()->set_file_name("p.textproto");
    req.mutable_spec()->mutable_profile()->set_text(profile);
    req.mutable_spec()->set_cycles(cycles);
    req.mutable_spec()->set_on_disconnect(policy);
    req.mutable_spec()->set_hold_timeout_s(hold_timeout_s);
    return Call([&](RunManager::RunCallback done) {
      runs_->StartRun(req, RunActor{}, std::nullopt, std::move(done));
    });
  }
  RunInfo Get(const std::string& id) {
    absl::StatusOr<RunInfo> r = runs_->Get(id);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : RunInfo();
  }
  bool WaitState(const std::string& id, rollrig::v1::RunState state, double timeout_s = 30) {
    return Eventually([&] { return Get(id).state() == state; }, timeout_s);
  }
  void WaitSegment(const std::string& id, const std::string& label) {
    ASSERT_TRUE(Eventually([&] {
      const RunInfo r = Get(id);
      return r.state() == rollrig::v1::RUN_STATE_RUNNING && r.progress().segment_label() == label;
    })) << "never reached segment "
        << label;
  }
  // Pulls the cable; Replug plugs in device `index` (0: the run's, 1: another).
  void Unplug() { cable_->SetDisconnected(true); }
  void Replug(size_t index = 0) {
    switch_->Select(index);
    cable_->SetDisconnected(false);
  }
  // The run's device's firmware hangs; its hardware watchdog resets it within 50 ms while
  // the link stays up.
  void HangFirmware() {
    sims_[0]->runner().WithDevice([](sim::SimulatedDevice& d) { d.SetHung(true); });
  }
  // The device told rigd why it rebooted, and the outage was one device gap.
  void ExpectWatchdogResetReported() {
    bool booted = false;
    size_t gaps = 0;
    for (const RigEvent& e : Events()) {
      gaps += e.kind() == rollrig::v1::RIG_EVENT_DEVICE_GAP;
      booted = booted || (e.kind() == rollrig::v1::RIG_EVENT_DEVICE &&
                          e.device().kind() == rollrig::v1::DEVICE_EVENT_BOOTED &&
                          e.device().boot_reason() == rollrig::v1::BOOT_REASON_WATCHDOG_RESET);
    }
    EXPECT_TRUE(booted) << "no BOOTED event with the watchdog as its reason";
    EXPECT_EQ(gaps, 1u);
    EXPECT_THAT(Messages(rollrig::v1::RIG_EVENT_DISCONNECTED),
                HasSubstr("rebooted (boot reason: watchdog-reset)"));
  }
  std::vector<RigEvent> Events() {
    std::vector<RigEvent> got;
    events_->Drain(&got);
    all_events_.insert(all_events_.end(), got.begin(), got.end());
    return all_events_;
  }
  std::string Messages(rollrig::v1::RigEventKind kind) {
    std::string text;
    for (const RigEvent& e : Events()) {
      if (e.kind() == kind) text += e.message() + "\n";
    }
    return text;
  }

  // The run manager's time (a derived fixture simulates it).
  Clock* run_clock_ = RealClock();
  std::string dir_;
  std::vector<SimTransport*> sims_;
  SwitchingTransport* switch_ = nullptr;
  FaultInjectingTransport* cable_ = nullptr;
  std::unique_ptr<DeviceClient> device_;
  std::shared_ptr<EventSubscription> events_;
  std::shared_ptr<TelemetrySubscription> telemetry_;
  std::vector<RigEvent> all_events_;
  std::unique_ptr<RunStore> store_;
  std::unique_ptr<LeaseManager> lease_;
  std::unique_ptr<RunManager> runs_;
};

TEST_F(RunReconnectTest, ResumeHoldsThenRestartsTheCycleFromStandstillAndCompletes) {
  absl::StatusOr<RunInfo> started = StartRun(rollrig::v1::DISCONNECT_POLICY_RESUME, 2);
  ASSERT_TRUE(started.ok()) << started.status();
  const std::string id = started->id();
  WaitSegment(id, "hold");  // cycle 1 at 40 rpm

  const auto unplugged = std::chrono::steady_clock::now();
  Unplug();
  ASSERT_TRUE(WaitState(id, rollrig::v1::RUN_STATE_HELD));
  RunInfo held = Get(id);
  EXPECT_THAT(held.state_reason(), HasSubstr("device lost"));
  EXPECT_EQ(held.progress().disconnects(), 1u);
  // Persisted (just after it becomes visible): a crash now leaves an active run.
  EXPECT_TRUE(Eventually([&] {
    absl::StatusOr<RunInfo> stored = store_->Load(id);
    return stored.ok() && stored->state() == rollrig::v1::RUN_STATE_HELD;
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  std::vector<Sample> drop;
  telemetry_->Drain(&drop);  // what came before the outage
  const auto replugged = std::chrono::steady_clock::now();
  Replug();
  const double outage_s = std::chrono::duration<double>(replugged - unplugged).count();

  ASSERT_TRUE(WaitState(id, rollrig::v1::RUN_STATE_RUNNING));
  const double to_running_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - replugged).count();
  std::printf("outage %.2f s; replug to RUNNING %.2f s\n", outage_s, to_running_s);
  EXPECT_LT(to_running_s, 10.0);

  RunInfo run = Get(id);
  EXPECT_EQ(run.progress().cycle(), 1u) << "the interrupted cycle restarts";
  RunInfo done = run;
  ASSERT_TRUE(Eventually(
      [&] {
        done = Get(id);
        return done.state() != rollrig::v1::RUN_STATE_RUNNING;
      },
      40));
  EXPECT_EQ(done.state(), rollrig::v1::RUN_STATE_COMPLETED) << done.state_reason();
  EXPECT_EQ(done.progress().cycles_completed(), 2u);
  EXPECT_EQ(done.progress().disconnects(), 1u);
  EXPECT_GT(done.progress().disconnected_s(), outage_s - 0.1);
  EXPECT_LT(done.progress().disconnected_s(), outage_s + 3.0);

  // The gap event: its length covers the outage (plus reconnecting), its samples match.
  bool gap_seen = false;
  for (const RigEvent& e : Events()) {
    if (e.kind() != rollrig::v1::RIG_EVENT_DEVICE_GAP) continue;
    gap_seen = true;
    const double gap_s = e.gap_ns() * 1e-9;
    EXPECT_GT(gap_s, outage_s - 0.1) << e.message();
    EXPECT_LT(gap_s, outage_s + 3.0) << e.message();
    EXPECT_GT(e.gap_samples(), 0u);
    // Same boot: counted by the sample counter, about the telemetry rate times the gap.
    const double rate = device_->Snapshot().info->capabilities().telemetry_hz();
    EXPECT_NEAR(static_cast<double>(e.gap_samples()), gap_s * rate, 0.1 * gap_s * rate + 50)
        << e.message();
    EXPECT_THAT(e.message(), HasSubstr("SIM-0001"));
  }
  EXPECT_TRUE(gap_seen);
  EXPECT_EQ(Messages(rollrig::v1::RIG_EVENT_TELEMETRY_GAP), "")
      << "the outage is one device gap, not a telemetry gap";
  EXPECT_THAT(Messages(rollrig::v1::RIG_EVENT_RUN_STATE), HasSubstr("held"));
  EXPECT_THAT(Messages(rollrig::v1::RIG_EVENT_RUN_STATE), HasSubstr("running again"));

  // After the replug the program began at cycle 1, segment 0, from standstill.
  std::vector<Sample> after;
  telemetry_->Drain(&after);
  const Sample* first_program = nullptr;
  for (const Sample& s : after) {
    if (s.segment >= 0) {
      first_program = &s;
      break;
    }
  }
  ASSERT_NE(first_program, nullptr);
  EXPECT_EQ(first_program->cycle, 1u);
  EXPECT_EQ(first_program->segment, 0);
  EXPECT_LT(std::fabs(first_program->roller_rpm), 3.0) << "no jump to the old 40 rpm";

  // The restarted cycle's statistics are its own: two 4 s cycles.
  absl::StatusOr<std::vector<rollrig::v1::CycleStats>> cycles = runs_->GetCycles(id);
  ASSERT_TRUE(cycles.ok());
  ASSERT_EQ(cycles->size(), 2u);
  for (const auto& c : *cycles) EXPECT_NEAR(c.end_s() - c.start_s(), 4.0, 0.05) << c.cycle();
}

TEST_F(RunReconnectTest, ResumeSurvivesTwentyUnplugsInARow) {
  constexpr int kUnplugs = 20;
  absl::StatusOr<RunInfo> started =
      StartRun(rollrig::v1::DISCONNECT_POLICY_RESUME, 100, 0, kQuickProfile);
  ASSERT_TRUE(started.ok()) << started.status();
  const std::string id = started->id();
  double worst_to_running_s = 0;
  for (int i = 0; i < kUnplugs; ++i) {
    ASSERT_TRUE(WaitState(id, rollrig::v1::RUN_STATE_RUNNING)) << "unplug " << i;
    // Some of the program runs (a random point of a cycle), then the cable goes.
    // (every fourth time long enough for whole cycles to complete).
    std::this_thread::sleep_for(std::chrono::milliseconds(i % 4 == 0 ? 1500 : 300 + 97 * (i % 7)));
    Unplug();
    ASSERT_TRUE(WaitState(id, rollrig::v1::RUN_STATE_HELD)) << "unplug " << i;
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + 50 * (i % 3)));
    const auto replugged = std::chrono::steady_clock::now();
    Replug();
    ASSERT_TRUE(WaitState(id, rollrig::v1::RUN_STATE_RUNNING)) << "replug " << i;
    worst_to_running_s = std::max(
        worst_to_running_s,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - replugged).count());
  }
  std::printf("%d unplugs: replug to RUNNING at worst %.2f s\n", kUnplugs, worst_to_running_s);
  RunInfo run = Get(id);
  EXPECT_EQ(run.progress().disconnects(), static_cast<uint32_t>(kUnplugs));
  size_t gaps = 0;
  for (const RigEvent& e : Events()) {
    if (e.kind() == rollrig::v1::RIG_EVENT_DEVICE_GAP) {
      ++gaps;
      EXPECT_GT(e.gap_ns(), 0);
      EXPECT_LT(e.gap_ns(), int64_t{5'000'000'000}) << e.message();
      EXPECT_LT(e.gap_samples(), 50'000u) << e.message();
    }
  }
  EXPECT_EQ(gaps, static_cast<size_t>(kUnplugs));
  // Every cycle the analysis closed is a whole one (restarted cycles are not merged).
  absl::StatusOr<std::vector<rollrig::v1::CycleStats>> cycles = runs_->GetCycles(id);
  ASSERT_TRUE(cycles.ok());
  EXPECT_GE(cycles->size(), 1u);
  for (const auto& c : *cycles) EXPECT_NEAR(c.end_s() - c.start_s(), 1.0, 0.05) << c.cycle();
  absl::StatusOr<RunInfo> stopped = Call([&](RunManager::RunCallback done) {
    runs_->StopRun(id, RunActor{.identity = "test"}, std::move(done));
  });
  ASSERT_TRUE(stopped.ok());
  ASSERT_TRUE(Eventually([&] { return Get(id).state() == rollrig::v1::RUN_STATE_ABORTED; }));
}

TEST_F(RunReconnectTest, HoldWaitsForResumeRun) {
  absl::StatusOr<RunInfo> started = StartRun(rollrig::v1::DISCONNECT_POLICY_HOLD, 1);
  ASSERT_TRUE(started.ok()) << started.status();
  const std::string id = started->id();
  WaitSegment(id, "hold");
  Unplug();
  ASSERT_TRUE(WaitState(id, rollrig::v1::RUN_STATE_HELD));
  // Resuming without the device is refused; the run stays held.
  absl::StatusOr<RunInfo> early = Call(
      [&](RunManager::RunCallback done) { runs_->ResumeRun(id, RunActor{}, std::move(done)); });
  EXPECT_EQ(early.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(early.status().message()), HasSubstr("not connected"));
  Replug();
  ASSERT_TRUE(Eventually([&] {
    return Messages(rollrig::v1::RIG_EVENT_RUN_STATE).find("is back") != std::string::npos;
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(Get(id).state(), rollrig::v1::RUN_STATE_HELD) << "HOLD waits for a person";
  EXPECT_LT(std::fabs(device_->Snapshot().last.roller_rpm), 1.0) << "held at rest";
  absl::StatusOr<RunInfo> resumed = Call(
      [&](RunManager::RunCallback done) { runs_->ResumeRun(id, RunActor{}, std::move(done)); });
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ(resumed->state(), rollrig::v1::RUN_STATE_RUNNING);
  ASSERT_TRUE(Eventually([&] { return Get(id).state() != rollrig::v1::RUN_STATE_RUNNING; }, 30));
  RunInfo done = Get(id);
  EXPECT_EQ(done.state(), rollrig::v1::RUN_STATE_COMPLETED) << done.state_reason();
  EXPECT_EQ(done.progress().cycles_completed(), 1u);
}

TEST_F(RunReconnectTest, StopWhileHeldEndsAborted) {
  absl::StatusOr<RunInfo> started = StartRun(rollrig::v1::DISCONNECT_POLICY_HOLD, 1);
  ASSERT_TRUE(started.ok()) << started.status();
  WaitSegment(started->id(), "up");
  Unplug();
  ASSERT_TRUE(WaitState(started->id(), rollrig::v1::RUN_STATE_HELD));
  absl::StatusOr<RunInfo> stopped = Call([&](RunManager::RunCallback done) {
    runs_->StopRun(started->id(), RunActor{.identity = "alice"}, std::move(done));
  });
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  EXPECT_EQ(stopped->state(), rollrig::v1::RUN_STATE_ABORTED);
  EXPECT_THAT(stopped->state_reason(), HasSubstr("stopped by alice"));
  Replug();
}

TEST_F(RunReconnectTest, AbortPolicyFaultsTheRun) {
  absl::StatusOr<RunInfo> started = StartRun(rollrig::v1::DISCONNECT_POLICY_ABORT, 1);
  ASSERT_TRUE(started.ok()) << started.status();
  WaitSegment(started->id(), "hold");
  Unplug();
  ASSERT_TRUE(WaitState(started->id(), rollrig::v1::RUN_STATE_FAULTED));
  EXPECT_THAT(Get(started->id()).state_reason(), HasSubstr("device lost"));
  Replug();
}

TEST_F(RunReconnectTest, AnotherDeviceIsNotMistakenForTheRunsDevice) {
  absl::StatusOr<RunInfo> started = StartRun(rollrig::v1::DISCONNECT_POLICY_RESUME, 1);
  ASSERT_TRUE(started.ok()) << started.status();
  const std::string id = started->id();
  WaitSegment(id, "hold");
  Unplug();
  ASSERT_TRUE(WaitState(id, rollrig::v1::RUN_STATE_HELD));
  Replug(/*index=*/1);  // SIM-0002 appears instead
  ASSERT_TRUE(Eventually([&] {
    return Messages(rollrig::v1::RIG_EVENT_RUN_STATE).find("SIM-0002") != std::string::npos;
  }));
  EXPECT_THAT(Messages(rollrig::v1::RIG_EVENT_RUN_STATE),
              HasSubstr("it is not the run's device SIM-0001"));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(Get(id).state(), rollrig::v1::RUN_STATE_HELD);
  absl::StatusOr<RunInfo> refused = Call(
      [&](RunManager::RunCallback done) { runs_->ResumeRun(id, RunActor{}, std::move(done)); });
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("SIM-0002"));
  // Its own device back: the run resumes and completes.
  Unplug();
  ASSERT_TRUE(Eventually(
      [&] { return device_->Snapshot().connection != rollrig::v1::CONNECTION_STATE_CONNECTED; }));
  Replug(0);
  ASSERT_TRUE(WaitState(id, rollrig::v1::RUN_STATE_RUNNING))
      << Get(id).state_reason() << "\nrun events:\n"
      << Messages(rollrig::v1::RIG_EVENT_RUN_STATE) << "device gaps:\n"
      << Messages(rollrig::v1::RIG_EVENT_DEVICE_GAP) << "connected:\n"
      << Messages(rollrig::v1::RIG_EVENT_CONNECTED) << "disconnected:\n"
      << Messages(rollrig::v1::RIG_EVENT_DISCONNECTED);
  ASSERT_TRUE(Eventually([&] { return Get(id).state() != rollrig::v1::RUN_STATE_RUNNING; }, 30));
  RunInfo done = Get(id);
  EXPECT_EQ(done.state(), rollrig::v1::RUN_STATE_COMPLETED) << done.state_reason();
  EXPECT_EQ(done.progress().disconnects(), 1u) << "one loss of its device, however long";
}

// A hung firmware: the device's hardware watchdog resets it (bridge off), rigd sees the
// reboot, and the run follows its on-disconnect policy as for any lost device.
TEST_F(RunReconnectTest, AWatchdogResetHoldsThenResumesTheRun) {
  absl::StatusOr<RunInfo> started = StartRun(rollrig::v1::DISCONNECT_POLICY_RESUME, 1);
  ASSERT_TRUE(started.ok()) << started.status();
  const std::string id = started->id();
  WaitSegment(id, "hold");
  HangFirmware();
  ASSERT_TRUE(WaitState(id, rollrig::v1::RUN_STATE_HELD));
  EXPECT_THAT(Get(id).state_reason(), HasSubstr("watchdog-reset"));
  ASSERT_TRUE(WaitState(id, rollrig::v1::RUN_STATE_RUNNING));
  EXPECT_EQ(Get(id).progress().cycle(), 1u) << "the interrupted cycle restarts";
  ASSERT_TRUE(Eventually([&] { return Get(id).state() != rollrig::v1::RUN_STATE_RUNNING; }, 30));
  RunInfo done = Get(id);
  EXPECT_EQ(done.state(), rollrig::v1::RUN_STATE_COMPLETED) << done.state_reason();
  EXPECT_EQ(done.progress().disconnects(), 1u);
  ExpectWatchdogResetReported();
}

TEST_F(RunReconnectTest, AWatchdogResetHoldsTheRunUntilResumed) {
  absl::StatusOr<RunInfo> started = StartRun(rollrig::v1::DISCONNECT_POLICY_HOLD, 1);
  ASSERT_TRUE(started.ok()) << started.status();
  const std::string id = started->id();
  WaitSegment(id, "hold");
  HangFirmware();
  ASSERT_TRUE(WaitState(id, rollrig::v1::RUN_STATE_HELD));
  ASSERT_TRUE(Eventually([&] {
    return Messages(rollrig::v1::RIG_EVENT_RUN_STATE).find("is back") != std::string::npos;
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(Get(id).state(), rollrig::v1::RUN_STATE_HELD) << "HOLD waits for a person";
  // The reset switched the bridge off: the roller is at rest, not driven by the PWM
  // latched when the firmware hung.
  EXPECT_LT(std::fabs(device_->Snapshot().last.roller_rpm), 1.0);
  EXPECT_LT(std::fabs(device_->Snapshot().last.current_a), 0.1);
  absl::StatusOr<RunInfo> resumed = Call(
      [&](RunManager::RunCallback done) { runs_->ResumeRun(id, RunActor{}, std::move(done)); });
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  ASSERT_TRUE(Eventually([&] { return Get(id).state() != rollrig::v1::RUN_STATE_RUNNING; }, 30));
  RunInfo done = Get(id);
  EXPECT_EQ(done.state(), rollrig::v1::RUN_STATE_COMPLETED) << done.state_reason();
  ExpectWatchdogResetReported();
}

TEST_F(RunReconnectTest, AWatchdogResetFaultsAnAbortPolicyRun) {
  absl::StatusOr<RunInfo> started = StartRun(rollrig::v1::DISCONNECT_POLICY_ABORT, 1);
  ASSERT_TRUE(started.ok()) << started.status();
  WaitSegment(started->id(), "hold");
  HangFirmware();
  ASSERT_TRUE(WaitState(started->id(), rollrig::v1::RUN_STATE_FAULTED));
  EXPECT_THAT(Get(started->id()).state_reason(),
              HasSubstr("device lost: the device rebooted (boot reason: watchdog-reset)"));
  ASSERT_TRUE(Eventually([&] {
    for (const RigEvent& e : Events()) {
      if (e.kind() == rollrig::v1::RIG_EVENT_DEVICE_GAP) return true;
    }
    return false;
  }));
  ExpectWatchdogResetReported();
}

// The hold timeout in simulated time: the device runs in real time (it has to, to be lost),
// the run manager's time is a SteppingClock only the test moves, so a timeout of minutes
// is crossed at once and exactly, whatever the machine's load.
class RunHoldTimeoutTest : public RunReconnectTest {
 protected:
  static constexpr double kHoldTimeoutS = 120;

  RunHoldTimeoutTest() { run_clock_ = &clock_; }

  // A run held at the loss of its device. Returns its id and the host time of the loss.
  std::pair<std::string, int64_t> HeldRun(rollrig::v1::DisconnectPolicy policy) {
    absl::StatusOr<RunInfo> started = StartRun(policy, 3, kHoldTimeoutS);
    EXPECT_TRUE(started.ok()) << started.status();
    if (!started.ok()) return {"", 0};
    WaitSegment(started->id(), "up");
    Unplug();
    EXPECT_TRUE(WaitState(started->id(), rollrig::v1::RUN_STATE_HELD));
    // The hold began at the loss (the model may have seen a later stamp by microseconds;
    // the test keeps half a second either side). The first: a device still away is not
    // announced again.
    for (const RigEvent& e : Events()) {
      if (e.kind() == rollrig::v1::RIG_EVENT_DISCONNECTED) return {started->id(), e.host_time_ns()};
    }
    ADD_FAILURE() << "no DISCONNECTED event";
    return {"", 0};
  }
  // Moves the run manager's clock to host time `host_ns`, then waits until a whole step of
  // the run thread has seen it: a request is executed at the start of a step, so the reply
  // to a second one sent after the first's means the step in between is over.
  void SetHostTime(int64_t host_ns) {
    const int64_t target = ClockTimeAt(host_ns);
    ASSERT_GT(target, clock_.NowNanos()) << "the simulated clock never goes back";
    clock_.Advance(target - clock_.NowNanos());
    for (int i = 0; i < 2; ++i) {
      absl::StatusOr<RunInfo> refused = Call([&](RunManager::RunCallback done) {
        runs_->PauseRun("no-such-run", RunActor{}, std::move(done));
      });
      ASSERT_FALSE(refused.ok());
    }
  }
  static int64_t Seconds(double s) { return static_cast<int64_t>(s * 1e9); }

  // Starts at the real clock's time, so its host time matches the device's stamps; from
  // there only the test (and the run manager's waits) move it.
  SteppingClock clock_{RealClock()->NowNanos()};
};

TEST_F(RunHoldTimeoutTest, ALostDeviceFaultsTheRunAtTheHoldTimeoutAndNotBefore) {
  const auto [id, held_ns] = HeldRun(rollrig::v1::DISCONNECT_POLICY_RESUME);
  ASSERT_FALSE(id.empty());

  SetHostTime(held_ns + Seconds(kHoldTimeoutS - 0.5));
  RunInfo run = Get(id);
  EXPECT_EQ(run.state(), rollrig::v1::RUN_STATE_HELD) << run.state_reason();
  // The outage is measured on the same clock.
  EXPECT_GE(run.progress().disconnected_s(), kHoldTimeoutS - 0.5);

  SetHostTime(held_ns + Seconds(kHoldTimeoutS + 0.5));
  run = Get(id);
  EXPECT_EQ(run.state(), rollrig::v1::RUN_STATE_FAULTED);
  EXPECT_EQ(run.state_reason(), "device lost for longer than the hold timeout (120 s)");
  EXPECT_THAT(run.verdict().reason(), HasSubstr("hold timeout"));
  // Stamped on the run's clock.
  EXPECT_GE(run.ended_unix_ns(), held_ns + Seconds(kHoldTimeoutS));
  Replug();
}

TEST_F(RunHoldTimeoutTest, ARunHeldWaitingForResumeFaultsAtTheHoldTimeout) {
  const auto [id, held_ns] = HeldRun(rollrig::v1::DISCONNECT_POLICY_HOLD);
  ASSERT_FALSE(id.empty());
  Replug();  // back, but HOLD waits for ResumeRun
  ASSERT_TRUE(Eventually([&] {
    return Messages(rollrig::v1::RIG_EVENT_RUN_STATE).find("is back") != std::string::npos;
  })) << "the device's return was never announced";

  SetHostTime(std::max(held_ns + Seconds(kHoldTimeoutS - 0.5), HostTimeAt(clock_.NowNanos()) + 1));
  EXPECT_EQ(Get(id).state(), rollrig::v1::RUN_STATE_HELD);
  SetHostTime(held_ns + Seconds(kHoldTimeoutS + 0.5));
  EXPECT_EQ(Get(id).state(), rollrig::v1::RUN_STATE_FAULTED);
  EXPECT_EQ(Get(id).state_reason(),
            "held for longer than the hold timeout (120 s) without being resumed");
}

}  // namespace
}  // namespace rollrig::host
