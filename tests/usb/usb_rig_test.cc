// The product over USB, end to end: rig-sim --usb presents the simulated massager as a
// USB device through libumockdev, rigd drives it through unmodified libusb, and the
// tests talk to rigd over gRPC (and run rigctl) from outside the emulated environment.
// Scripted unplugs, resets and firmware hangs go through rig-sim's control socket.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/usb/emulated_usb_rig.h"

namespace rollrig {
namespace {

using testing::EmulatedUsbRig;
using testing::EmulatedUsbRigOptions;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

// One cycle of 3 s: up, hold at 40 rpm with a head sweep and 20 N, down.
constexpr char kProfile[] = R"pb(
  name: "usb-short"
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
      duration_s: 2
      roller { hold { rpm: 40 } }
      head { sweep { from_deg: -20 to_deg: 20 period_s: 1 } }
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
  limits {
    name: "stall"
    signal: SIGNAL_TORQUE_NM
    max: 2.5
    persist_s: 0.2
    action: LIMIT_ACTION_ABORT
  }
)pb";

[[maybe_unused]] double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

struct TelemetryTally {
  uint64_t samples = 0;
  uint64_t gaps = 0;          // samples missing by the device counter
  uint64_t stream_drops = 0;  // rows' drops (device gaps and this stream's own)
  double mean_rpm = 0;
};

// Streams every sample for `seconds` and checks the device counter's continuity.
[[maybe_unused]] TelemetryTally StreamEverySample(EmulatedUsbRig& rig, double seconds) {
  TelemetryTally tally;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(static_cast<int>((seconds + 20) * 1000)));
  rollrig::v1::StreamTelemetryRequest req;
  req.set_rate_hz(0);
  auto reader = rig.stub()->StreamTelemetry(&ctx, req);
  rollrig::v1::TelemetryChunk chunk;
  uint64_t last_seq = 0;
  bool have_last = false;
  double rpm_sum = 0;
  const auto end = Clock::now() + std::chrono::milliseconds(static_cast<int>(seconds * 1000));
  while (Clock::now() < end && reader->Read(&chunk)) {
    for (const rollrig::v1::TelemetryRow& row : chunk.rows()) {
      if (have_last && row.seq() > last_seq + 1) tally.gaps += row.seq() - last_seq - 1;
      last_seq = row.seq();
      have_last = true;
      tally.samples += std::max<uint32_t>(row.samples(), 1);
      tally.stream_drops += row.drops();
      rpm_sum += row.roller_rpm();
    }
  }
  ctx.TryCancel();
  reader->Finish();
  if (tally.samples > 0) tally.mean_rpm = rpm_sum / static_cast<double>(tally.samples);
  return tally;
}

[[maybe_unused]] grpc::Status Jog(EmulatedUsbRig& rig, double rpm, double head) {
  rollrig::v1::JogRequest req;
  req.set_roller_rpm(rpm);
  req.set_head_deg(head);
  rollrig::v1::JogResponse resp;
  return rig.stub()->Jog(rig.Context().get(), req, &resp);
}

rollrig::v1::RunInfo GetRun(EmulatedUsbRig& rig, const std::string& id) {
  rollrig::v1::RunRequest req;
  req.set_id(id);
  rollrig::v1::RunInfo info;
  rig.stub()->GetRun(rig.Context().get(), req, &info);
  return info;
}

// Polls the run until `pred` holds or `timeout_s` passes; returns the last RunInfo.
template <typename Pred>
rollrig::v1::RunInfo WaitRun(EmulatedUsbRig& rig, const std::string& id, double timeout_s,
                             Pred pred) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(int(timeout_s * 1000));
  rollrig::v1::RunInfo info = GetRun(rig, id);
  while (!pred(info) && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    info = GetRun(rig, id);
  }
  return info;
}

bool Ended(const rollrig::v1::RunInfo& r) {
  return r.state() == rollrig::v1::RUN_STATE_COMPLETED ||
         r.state() == rollrig::v1::RUN_STATE_ABORTED || r.state() == rollrig::v1::RUN_STATE_FAULTED;
}

absl::StatusOr<rollrig::v1::RunInfo> StartRun(EmulatedUsbRig& rig, uint32_t cycles,
                                              rollrig::v1::DisconnectPolicy policy,
                                              double hold_timeout_s = 0) {
  rollrig::v1::StartRunRequest req;
  req.mutable_spec()->mutable_profile()->set_text(kProfile);
  req.mutable_spec()->mutable_profile()->set_file_name("usb-short.textproto");
  req.mutable_spec()->set_cycles(cycles);
  req.mutable_spec()->set_on_disconnect(policy);
  req.mutable_spec()->set_hold_timeout_s(hold_timeout_s);
  rollrig::v1::RunInfo info;
  grpc::Status s = rig.stub()->StartRun(rig.Context(30).get(), req, &info);
  if (!s.ok()) return absl::InternalError(s.error_message());
  return info;
}

// Every event rigd kept (up to 1000), oldest first.
[[maybe_unused]] std::vector<rollrig::v1::RigEvent> RecentEvents(EmulatedUsbRig& rig) {
  grpc::ClientContext ctx;
  rollrig::v1::StreamEventsRequest req;
  req.set_recent(1000);
  auto reader = rig.stub()->StreamEvents(&ctx, req);
  std::vector<rollrig::v1::RigEvent> events;
  // The history comes first, in batches; stop once nothing has come for a second.
  std::atomic<int64_t> last_read_ms{0};
  std::atomic<bool> done{false};
  const auto now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
        .count();
  };
  last_read_ms = now_ms();
  std::thread canceller([&] {
    while (!done && now_ms() - last_read_ms < 1000)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ctx.TryCancel();
  });
  rollrig::v1::RigEvent e;
  while (reader->Read(&e)) {
    events.push_back(e);
    last_read_ms = now_ms();
  }
  done = true;
  reader->Finish();
  canceller.join();
  return events;
}

#ifndef ROLLRIG_USB_SOAK  // the soak binary holds only the soak
TEST(UsbRigTest, JogAndOneKilohertzTelemetryWithoutGapsFor30Seconds) {
  EmulatedUsbRig rig;
  ASSERT_EQ(rig.error(), "");
  const rollrig::v1::RigStatus st = rig.Status();
  EXPECT_THAT(st.transport(), HasSubstr("usb"));
  EXPECT_EQ(st.device().serial(), "SIM-0001");
  ASSERT_TRUE(Jog(rig, 60, 30).ok());
  std::this_thread::sleep_for(std::chrono::seconds(2));  // the roller reaches speed

  const auto t0 = Clock::now();
  const TelemetryTally tally = StreamEverySample(rig, 30);
  const double elapsed = Seconds(Clock::now() - t0);
  EXPECT_EQ(tally.gaps, 0u);
  EXPECT_EQ(tally.stream_drops, 0u);
  // 1 kHz for ~30 s (the stream starts and ends on batch boundaries).
  EXPECT_GT(tally.samples, static_cast<uint64_t>(1000 * (elapsed - 1.5)));
  EXPECT_NEAR(tally.mean_rpm, 60, 1.2);
  EXPECT_EQ(rig.Status().samples_lost(), 0u);
  std::printf("[ figure ] USB 1 kHz: %llu samples in %.1f s, %llu lost\n",
              static_cast<unsigned long long>(tally.samples), elapsed,
              static_cast<unsigned long long>(tally.gaps));

  // Command round trips (RPC -> USB -> firmware acknowledgement -> RPC).
  std::vector<double> ms;
  for (int i = 0; i < 200; ++i) {
    const auto a = Clock::now();
    ASSERT_TRUE(Jog(rig, 60 + (i % 2), 30).ok());
    ms.push_back(Seconds(Clock::now() - a) * 1000);
  }
  std::sort(ms.begin(), ms.end());
  EXPECT_LT(ms[ms.size() / 2], 100);  // a generous margin: rounds trips are a few ms
  std::printf("[ figure ] USB command round trip: p50 %.2f ms, p99 %.2f ms\n", ms[ms.size() / 2],
              ms[ms.size() * 99 / 100]);
  EXPECT_EQ(rig.Control("stats").rfind("ok", 0), 0u);
}

TEST(UsbRigTest, TenKilohertzTelemetryFitsTheFullSpeedBus) {
  EmulatedUsbRigOptions options;
  options.rig_sim_args = {"--tick-hz", "10000"};
  EmulatedUsbRig rig(options);
  ASSERT_EQ(rig.error(), "");
  ASSERT_TRUE(Jog(rig, 60, 0).ok());
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const auto t0 = Clock::now();
  const TelemetryTally tally = StreamEverySample(rig, 10);
  const double elapsed = Seconds(Clock::now() - t0);
  EXPECT_EQ(tally.gaps, 0u);
  EXPECT_GT(tally.samples, static_cast<uint64_t>(10000 * (elapsed - 1.5)));
  const std::string stats = rig.Control("stats");
  std::printf("[ figure ] USB 10 kHz: %llu samples in %.1f s, %llu lost; emulator: %s\n",
              static_cast<unsigned long long>(tally.samples), elapsed,
              static_cast<unsigned long long>(tally.gaps), stats.c_str());
}

TEST(UsbRigTest, ProfileRunThroughRigctl) {
  EmulatedUsbRig rig;
  ASSERT_EQ(rig.error(), "");
  const std::string profile = rig.runs_dir() + "/usb-short.textproto";
  {
    FILE* f = std::fopen(profile.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(kProfile, f);
    std::fclose(f);
  }
  // rigctl takes the lease over from the test (--force), as a bench engineer would.
  const testing::CommandResult r = testing::RunCommand(
      RIGCTL_PATH, {"--addr", rig.addr(), "--force", "run", profile, "--cycles", "2"}, 90);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("verdict: PASS"));
}

#endif  // ROLLRIG_USB_SOAK

// Collects RIG_EVENT_DEVICE_GAP events as they happen, for runs long enough that rigd's
// event history (its latest 1000) no longer holds them all.
class GapWatcher {
 public:
  explicit GapWatcher(EmulatedUsbRig& rig) {
    reader_ = rig.stub()->StreamEvents(&ctx_, rollrig::v1::StreamEventsRequest());
    thread_ = std::thread([this] {
      rollrig::v1::RigEvent e;
      while (reader_->Read(&e)) {
        if (e.kind() != rollrig::v1::RIG_EVENT_DEVICE_GAP) continue;
        std::lock_guard<std::mutex> lock(mu_);
        gaps_.push_back(e);
      }
    });
  }
  ~GapWatcher() {
    ctx_.TryCancel();
    thread_.join();
    reader_->Finish();
  }
  std::vector<rollrig::v1::RigEvent> gaps() {
    std::lock_guard<std::mutex> lock(mu_);
    return gaps_;
  }

 private:
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReader<rollrig::v1::RigEvent>> reader_;
  std::thread thread_;
  std::mutex mu_;
  std::vector<rollrig::v1::RigEvent> gaps_;
};

// Unplugs the device mid-run `times` times; with RESUME the run is held, resumes at a
// cycle boundary each time, and completes; every outage is recorded with its length.
void UnplugReplugMidRun(int times) {
  EmulatedUsbRig rig;
  ASSERT_EQ(rig.error(), "");
  GapWatcher watcher(rig);
  const int cycles = times + 2;
  absl::StatusOr<rollrig::v1::RunInfo> run =
      StartRun(rig, static_cast<uint32_t>(cycles), rollrig::v1::DISCONNECT_POLICY_RESUME);
  ASSERT_TRUE(run.ok()) << run.status();
  const std::string id = run->id();
  ASSERT_EQ(WaitRun(rig, id, 20,
                    [](const auto& r) { return r.state() == rollrig::v1::RUN_STATE_RUNNING; })
                .state(),
            rollrig::v1::RUN_STATE_RUNNING);
  const pid_t rigd = rig.RigdPid();
  long rss_after_first = 0;
  for (int i = 0; i < times; ++i) {
    // Into the hold segment of the current cycle, then pull the cable for 300 ms.
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    ASSERT_EQ(rig.Control("replug 300").rfind("ok", 0), 0u) << "replug " << i;
    const rollrig::v1::RunInfo back = WaitRun(rig, id, 30, [i](const auto& r) {
      return Ended(r) || (r.state() == rollrig::v1::RUN_STATE_RUNNING &&
                          r.progress().disconnects() >= static_cast<uint32_t>(i + 1));
    });
    ASSERT_EQ(back.state(), rollrig::v1::RUN_STATE_RUNNING)
        << "after unplug " << i << ": " << back.state_reason() << "\n"
        << rig.Output();
    if (i == 0 && rigd > 0) rss_after_first = testing::RssKb(rigd);
  }
  const rollrig::v1::RunInfo done = WaitRun(rig, id, 60.0 + 4.0 * cycles, Ended);
  EXPECT_EQ(done.state(), rollrig::v1::RUN_STATE_COMPLETED) << done.state_reason();
  EXPECT_EQ(done.progress().disconnects(), static_cast<uint32_t>(times));
  EXPECT_GE(done.progress().disconnected_s(), 0.3 * times);
  // The last gap event follows the last reconnection by a batch or two.
  for (int i = 0; i < 100 && static_cast<int>(watcher.gaps().size()) < times; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const std::vector<rollrig::v1::RigEvent> gaps = watcher.gaps();
  for (const rollrig::v1::RigEvent& e : gaps) {
    EXPECT_GE(e.gap_ns(), 250'000'000) << e.message();  // the cable was out 300 ms
    EXPECT_GT(e.gap_samples(), 0u) << e.message();
  }
  EXPECT_EQ(static_cast<int>(gaps.size()), times);
  EXPECT_TRUE(rig.rig_sim().running()) << rig.Output();
  if (rigd > 0 && rss_after_first > 0) {
    const long rss_end = testing::RssKb(rigd);
    std::printf("[ figure ] rigd RSS after the 1st unplug %ld kB, after the %dth %ld kB\n",
                rss_after_first, times, rss_end);
#ifndef __SANITIZE_ADDRESS__
    // Under AddressSanitizer freed memory sits in its quarantine and RSS means nothing;
    // LeakSanitizer checks rigd's memory when it exits instead.
    EXPECT_LT(rss_end - rss_after_first, 20 * 1024) << "rigd grows with every replug";
#endif
  }
}

#ifdef ROLLRIG_USB_SOAK
// The soak binary holds only this test (label soak, out of ci/test.sh).
TEST(UsbRigSoakTest, UnplugReplugMidRunHundredTimesResumes) { UnplugReplugMidRun(100); }
#else
TEST(UsbRigTest, UnplugReplugMidRunTwentyTimesResumes) { UnplugReplugMidRun(20); }

TEST(UsbRigTest, UnplugWithAbortPolicyFaultsTheRun) {
  EmulatedUsbRig rig;
  ASSERT_EQ(rig.error(), "");
  absl::StatusOr<rollrig::v1::RunInfo> run = StartRun(rig, 5, rollrig::v1::DISCONNECT_POLICY_ABORT);
  ASSERT_TRUE(run.ok()) << run.status();
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  ASSERT_EQ(rig.Control("unplug").rfind("ok", 0), 0u);
  const rollrig::v1::RunInfo done = WaitRun(rig, run->id(), 10, Ended);
  EXPECT_EQ(done.state(), rollrig::v1::RUN_STATE_FAULTED);
  EXPECT_THAT(done.state_reason(), HasSubstr("device lost"));
  // Unplugged, rigd says what it waits for, and motion is refused saying so.
  const rollrig::v1::RigStatus st = rig.Status();
  EXPECT_NE(st.connection(), rollrig::v1::CONNECTION_STATE_CONNECTED);
  EXPECT_THAT(st.detail(), HasSubstr("1209:0001"));
  const grpc::Status jog = Jog(rig, 10, 0);
  EXPECT_EQ(jog.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(jog.error_message(), HasSubstr("1209:0001"));
  ASSERT_EQ(rig.Control("plug").rfind("ok", 0), 0u);
  EXPECT_TRUE(rig.WaitConnected(10));
}

TEST(UsbRigTest, HoldPolicyWaitsForResumeAndHoldTimeoutEndsTheRun) {
  EmulatedUsbRig rig;
  ASSERT_EQ(rig.error(), "");
  absl::StatusOr<rollrig::v1::RunInfo> run =
      StartRun(rig, 3, rollrig::v1::DISCONNECT_POLICY_HOLD, /*hold_timeout_s=*/4);
  ASSERT_TRUE(run.ok()) << run.status();
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  ASSERT_EQ(rig.Control("replug 300").rfind("ok", 0), 0u);
  EXPECT_TRUE(rig.WaitConnected(10));
  // Back, but held until someone resumes it.
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  EXPECT_EQ(GetRun(rig, run->id()).state(), rollrig::v1::RUN_STATE_HELD);
  rollrig::v1::RunRequest req;
  req.set_id(run->id());
  rollrig::v1::RunInfo resumed;
  ASSERT_TRUE(rig.stub()->ResumeRun(rig.Context(30).get(), req, &resumed).ok());
  EXPECT_EQ(WaitRun(rig, run->id(), 10,
                    [](const auto& r) { return r.state() == rollrig::v1::RUN_STATE_RUNNING; })
                .state(),
            rollrig::v1::RUN_STATE_RUNNING);

  // Gone for longer than the hold timeout: the run ends.
  ASSERT_EQ(rig.Control("unplug").rfind("ok", 0), 0u);
  const rollrig::v1::RunInfo done = WaitRun(rig, run->id(), 15, Ended);
  EXPECT_EQ(done.state(), rollrig::v1::RUN_STATE_FAULTED);
  EXPECT_THAT(done.state_reason(), HasSubstr("hold timeout"));
}

TEST(UsbRigTest, DeviceResetStopsTheRollerAndReconnects) {
  EmulatedUsbRig rig;
  ASSERT_EQ(rig.error(), "");
  ASSERT_TRUE(Jog(rig, 60, 0).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ASSERT_EQ(rig.Control("reset").rfind("ok", 0), 0u);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(rig.WaitConnected(15)) << rig.Status().detail();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  // The jog setpoint died with the reset and is never sent again.
  EXPECT_LT(std::abs(rig.Status().last().roller_rpm()), 2.0);
  bool saw_lost = false;
  for (const rollrig::v1::RigEvent& e : RecentEvents(rig))
    saw_lost |= e.kind() == rollrig::v1::RIG_EVENT_DISCONNECTED;
  EXPECT_TRUE(saw_lost);
  ASSERT_TRUE(Jog(rig, 30, 0).ok());
}

// A hung firmware does not stay hung: the device's hardware watchdog resets it within
// 50 ms (bridge off) and it re-enumerates; rigd reports the reboot and its cause, marks
// the gap, and the run (policy resume) is held, then restarts the interrupted cycle.
TEST(UsbRigTest, HungFirmwareIsResetByItsWatchdogAndTheRunResumes) {
  EmulatedUsbRig rig;
  ASSERT_EQ(rig.error(), "");
  absl::StatusOr<rollrig::v1::RunInfo> run =
      StartRun(rig, 4, rollrig::v1::DISCONNECT_POLICY_RESUME);
  ASSERT_TRUE(run.ok()) << run.status();
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  const auto hung_at = Clock::now();
  const std::string reply = rig.Control("hang");
  const double reset_ms = std::chrono::duration<double, std::milli>(Clock::now() - hung_at).count();
  EXPECT_THAT(reply, HasSubstr("ok firmware hung; its watchdog reset it, re-enumerated at"));
  std::printf("hang to watchdog reset and re-enumeration: %.0f ms (real time)\n", reset_ms);
  EXPECT_LT(reset_ms, 3000.0);  // 50 ms of device time; generous for a loaded machine
  const rollrig::v1::RunInfo done = WaitRun(rig, run->id(), 60, Ended);
  EXPECT_EQ(done.state(), rollrig::v1::RUN_STATE_COMPLETED) << done.state_reason();
  EXPECT_EQ(done.progress().disconnects(), 1u);
  bool reset_reported = false;
  bool gap = false;
  bool held = false;
  for (const rollrig::v1::RigEvent& e : RecentEvents(rig)) {
    reset_reported |= e.kind() == rollrig::v1::RIG_EVENT_DEVICE &&
                      e.message().find("watchdog-reset") != std::string::npos;
    gap |= e.kind() == rollrig::v1::RIG_EVENT_DEVICE_GAP;
    held |= e.kind() == rollrig::v1::RIG_EVENT_RUN_STATE &&
            e.message().find("held") != std::string::npos;
  }
  EXPECT_TRUE(reset_reported) << "no device event naming the watchdog reset";
  EXPECT_TRUE(gap);
  EXPECT_TRUE(held);
}

TEST(UsbRigTest, DeviceClaimedByAnotherProcessIsReportedBusy) {
  // The first rigd claims the device; the second, started inside the same emulated
  // environment, must say the device is busy rather than fight for it. The first one
  // outlives the shell that started it; it is stopped with rig-sim's process group when
  // `rig` goes (ci/no_leftovers.py fails the suite otherwise).
  EmulatedUsbRigOptions options;
  options.command = {"/bin/sh", "-c",
                     "{rigd} --device usb --listen 127.0.0.1:0 --runs-dir {runs}/a & sleep 3; "
                     "exec {rigd} --device usb --listen {addr} --runs-dir {runs}/b"};
  options.wait_connected = false;
  EmulatedUsbRig rig(options);
  ASSERT_EQ(rig.error(), "");
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const rollrig::v1::RigStatus st = rig.Status();
  EXPECT_NE(st.connection(), rollrig::v1::CONNECTION_STATE_CONNECTED);
  EXPECT_THAT(st.detail(), ::testing::AnyOf(HasSubstr("busy"), HasSubstr("claimed")))
      << st.detail();
}

TEST(UsbRigTest, WrongVidPidIsNotTakenForTheMassager) {
  EmulatedUsbRigOptions options;
  options.rig_sim_args = {"--vid-pid", "1209:0002"};
  options.wait_connected = false;
  EmulatedUsbRig rig(options);
  ASSERT_EQ(rig.error(), "");
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const rollrig::v1::RigStatus st = rig.Status();
  EXPECT_NE(st.connection(), rollrig::v1::CONNECTION_STATE_CONNECTED);
  EXPECT_THAT(st.detail(), HasSubstr("waiting for"));
  EXPECT_THAT(st.detail(), HasSubstr("1209:0001"));
}

TEST(UsbRigTest, NoDeviceThenHotplugArrival) {
  EmulatedUsbRigOptions options;
  options.rig_sim_args = {"--unplugged"};
  options.device_spec = "usb:SIM-0001";
  options.wait_connected = false;
  EmulatedUsbRig rig(options);
  ASSERT_EQ(rig.error(), "");
  std::this_thread::sleep_for(std::chrono::seconds(1));
  rollrig::v1::RigStatus st = rig.Status();
  EXPECT_NE(st.connection(), rollrig::v1::CONNECTION_STATE_CONNECTED);
  EXPECT_THAT(st.detail(), HasSubstr("1209:0001"));
  EXPECT_THAT(st.detail(), HasSubstr("SIM-0001"));
  EXPECT_EQ(Jog(rig, 10, 0).error_code(), grpc::StatusCode::UNAVAILABLE);
  ASSERT_EQ(rig.Control("plug").rfind("ok", 0), 0u);
  ASSERT_TRUE(rig.WaitConnected(10)) << rig.Status().detail();
  EXPECT_TRUE(Jog(rig, 10, 0).ok());
}

#endif  // ROLLRIG_USB_SOAK

}  // namespace
}  // namespace rollrig
