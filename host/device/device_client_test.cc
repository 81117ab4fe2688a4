#include "host/device/device_client.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <future>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "host/transport/fault_injecting_transport.h"
#include "host/transport/sim_transport.h"
#include "host/transport/tcp_transport.h"
#include "rig/codec/frame_codec.h"
#include "rig/sim/sim_runner.h"

namespace rollrig::host {
namespace {

using rollrig::v1::DeviceMessage;
using rollrig::v1::HostMessage;
using rollrig::v1::RigEvent;
using ::testing::HasSubstr;
using ::testing::Not;

// Polls `pred` until it holds or `timeout` passes; generous timeouts keep the tests
// deterministic on a loaded machine (they return as soon as the condition holds).
bool Eventually(const std::function<bool()>& pred,
                std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

// Collects every event a client publishes, for assertions from the test thread.
class EventLog {
 public:
  explicit EventLog(EventHub& hub) : sub_(hub.Subscribe(1 << 16)) {}
  std::vector<RigEvent> Take() {
    sub_->Drain(&events_);
    return events_;
  }
  bool Has(rollrig::v1::RigEventKind kind) { return Count(kind) > 0; }
  size_t Count(rollrig::v1::RigEventKind kind) {
    size_t n = 0;
    for (const auto& e : Take()) n += e.kind() == kind;
    return n;
  }
  std::string MessagesOf(rollrig::v1::RigEventKind kind) {
    std::string all;
    for (const auto& e : Take()) {
      if (e.kind() == kind) absl::StrAppend(&all, e.message(), "\n");
    }
    return all;
  }

 private:
  std::shared_ptr<EventSubscription> sub_;
  std::vector<RigEvent> events_;
};

HostMessage Jog(double rpm) {
  HostMessage m;
  m.mutable_set_roller_speed()->set_rpm(rpm);
  return m;
}

HostMessage EStopMessage() {
  HostMessage m;
  m.mutable_estop()->set_reason("test");
  return m;
}

HostMessage ClearMessage() {
  HostMessage m;
  m.mutable_clear_faults();
  return m;
}

DeviceClientOptions FastOptions() {
  DeviceClientOptions o;
  o.host_name = "device_client_test";
  o.reconnect_period = absl::Milliseconds(100);
  return o;
}

// =======================================================================================
// A scripted device: the test decides what the "device" answers. For protocol cases
// the simulator cannot produce (another protocol version, exact gaps, odd acks).

class ScriptedDevice final : public Transport {
 public:
  using Handler = std::function<void(const HostMessage&, ScriptedDevice&)>;

  explicit ScriptedDevice(Handler handler) : handler_(std::move(handler)) {}

  absl::Status Open() override {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    return absl::OkStatus();
  }
  absl::Status Write(const uint8_t* data, size_t n) override {
    std::vector<HostMessage> received;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!open_) return absl::UnavailableError("scripted device closed");
      decoder_.Feed(data, n);
      codec::Frame f;
      while (decoder_.Next(&f)) {
        HostMessage m;
        if (m.ParseFromArray(f.payload, static_cast<int>(f.size))) received.push_back(m);
      }
    }
    for (const auto& m : received) handler_(m, *this);
    return absl::OkStatus();
  }
  absl::StatusOr<size_t> Read(uint8_t* buf, size_t cap, absl::Duration timeout) override {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] { return !open_ || !out_.empty(); });
    if (!open_) return absl::UnavailableError("scripted device closed");
    const size_t n = std::min(cap, out_.size());
    for (size_t i = 0; i < n; ++i) {
      buf[i] = out_.front();
      out_.pop_front();
    }
    return n;
  }
  void Close() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      open_ = false;
    }
    cv_.notify_all();
  }
  std::string Describe() const override { return "scripted"; }

  void Send(const DeviceMessage& m) {
    const std::string payload = m.SerializeAsString();
    std::vector<uint8_t> frame;
    codec::AppendFrame(seq_++, reinterpret_cast<const uint8_t*>(payload.data()), payload.size(),
                       &frame);
    SendRaw(frame);
  }
  void SendRaw(const std::vector<uint8_t>& bytes) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      out_.insert(out_.end(), bytes.begin(), bytes.end());
    }
    cv_.notify_all();
  }
  void Ack(const HostMessage& m, rollrig::v1::CommandResult result, const std::string& detail) {
    DeviceMessage reply;
    reply.mutable_ack()->set_command_id(m.command_id());
    reply.mutable_ack()->set_result(result);
    reply.mutable_ack()->set_detail(detail);
    Send(reply);
  }
  void SendInfo(uint32_t protocol_version, uint64_t boot_id = 7) {
    DeviceMessage reply;
    auto* info = reply.mutable_device_info();
    info->set_vendor("test");
    info->set_model("scripted");
    info->set_serial("S-1");
    info->set_protocol_version(protocol_version);
    info->set_boot_id(boot_id);
    Send(reply);
  }
  // A telemetry batch of `n` samples starting at `first_seq`.
  void SendBatch(uint64_t first_seq, int n) {
    DeviceMessage reply;
    auto* b = reply.mutable_telemetry();
    b->set_first_sample_seq(first_seq);
    b->set_first_time_us(first_seq * 1000);
    for (int i = 0; i < n; ++i) {
      b->add_time_delta_us(i == 0 ? 0 : 1000);
      for (auto* col : {b->mutable_roller_rpm_cmd_c(), b->mutable_roller_rpm_c(),
                        b->mutable_head_deg_cmd_c(), b->mutable_head_deg_c(),
                        b->mutable_torque_mnm(), b->mutable_force_cn(), b->mutable_preload_cmd_cn(),
                        b->mutable_current_ma(), b->mutable_temp_cc(), b->mutable_voltage_mv()}) {
        col->Add(0);
      }
    }
    b->set_state(rollrig::v1::DEVICE_STATE_IDLE);
    b->set_sample_period_us(1000);
    Send(reply);
  }

 private:
  Handler handler_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  codec::FrameDecoder decoder_;
  std::deque<uint8_t> out_;
  std::atomic<uint32_t> seq_{0};
};

// Answers Hello with DeviceInfo of `version` and acks everything else as OK.
ScriptedDevice::Handler HelloAnswerer(uint32_t version) {
  return [version](const HostMessage& m, ScriptedDevice& dev) {
    if (m.has_hello()) {
      dev.SendInfo(version);
      dev.Ack(m, rollrig::v1::COMMAND_RESULT_OK, "");
    }
  };
}

// Waits (generously: a loaded machine may be slow) until the snapshot's detail mentions
// `text`; tests then check WaitConnected's verdict without racing the client's threads.
void WaitForDetail(DeviceClient& client, const std::string& text) {
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (client.Snapshot().detail.find(text) == std::string::npos && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
}

TEST(DeviceClientScriptedTest, WrongProtocolVersionIsAClearError) {
  DeviceClient client(std::make_unique<ScriptedDevice>(HelloAnswerer(2)), FastOptions());
  client.Start();
  WaitForDetail(client, "protocol version 2");
  absl::Status s = client.WaitConnected(absl::Milliseconds(50));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.message()), HasSubstr("protocol version 2"));
  EXPECT_THAT(client.Snapshot().detail, HasSubstr("protocol version 2"));
  EXPECT_NE(client.Snapshot().connection, rollrig::v1::CONNECTION_STATE_CONNECTED);
}

TEST(DeviceClientScriptedTest, AckResultsMapToStatusCodesWithTheDevicesDetail) {
  auto handler = [](const HostMessage& m, ScriptedDevice& dev) {
    if (m.has_hello()) {
      dev.SendInfo(1);
      return;
    }
    if (!m.has_set_roller_speed()) return;  // heartbeats
    const double rpm = m.set_roller_speed().rpm();
    using namespace rollrig::v1;
    const CommandResult result = rpm == 1   ? COMMAND_RESULT_OK
                                 : rpm == 2 ? COMMAND_RESULT_OUT_OF_RANGE
                                 : rpm == 3 ? COMMAND_RESULT_INTERLOCK_ACTIVE
                                 : rpm == 4 ? COMMAND_RESULT_UNSUPPORTED
                                 : rpm == 5 ? COMMAND_RESULT_BUSY
                                            : COMMAND_RESULT_UNSPECIFIED;
    if (rpm == 6) return;  // never answered
    dev.Ack(m, result, absl::StrCat("detail for ", rpm));
  };
  DeviceClientOptions options = FastOptions();
  options.command_timeout = absl::Milliseconds(200);
  DeviceClient client(std::make_unique<ScriptedDevice>(handler), options);
  client.Start();
  ASSERT_TRUE(client.WaitConnected(absl::Seconds(10)).ok());

  EXPECT_TRUE(client.SendCommandAndWait(Jog(1)).ok());
  EXPECT_EQ(client.Snapshot().roller_rpm_target, 1);
  absl::Status s = client.SendCommandAndWait(Jog(2));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("detail for 2"));
  EXPECT_EQ(client.SendCommandAndWait(Jog(3)).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(client.SendCommandAndWait(Jog(4)).code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(client.SendCommandAndWait(Jog(5)).code(), absl::StatusCode::kFailedPrecondition);
  s = client.SendCommandAndWait(Jog(6));
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(std::string(s.message()), HasSubstr("set_roller_speed"));
  EXPECT_EQ(client.Snapshot().roller_rpm_target, 1);  // refusals leave the target alone
}

TEST(DeviceClientScriptedTest, CountsGapsExactlyAndPublishesThem) {
  ScriptedDevice* device = nullptr;
  auto owned = std::make_unique<ScriptedDevice>(HelloAnswerer(1));
  device = owned.get();
  DeviceClient client(std::move(owned), FastOptions());
  EventLog events(client.events());
  auto sub = client.telemetry().Subscribe(1000);
  client.Start();
  ASSERT_TRUE(client.WaitConnected(absl::Seconds(10)).ok());

  device->SendBatch(0, 10);
  device->SendBatch(10, 10);
  device->SendBatch(25, 10);  // 20..24 lost
  device->SendBatch(35, 5);
  ASSERT_TRUE(Eventually([&] { return client.Snapshot().samples_received == 35; }));
  const DeviceSnapshot snap = client.Snapshot();
  EXPECT_EQ(snap.samples_lost, 5u);
  EXPECT_TRUE(snap.have_last);
  EXPECT_EQ(snap.last.seq, 39u);
  ASSERT_TRUE(Eventually([&] { return events.Has(rollrig::v1::RIG_EVENT_TELEMETRY_GAP); }));
  for (const auto& e : events.Take()) {
    if (e.kind() != rollrig::v1::RIG_EVENT_TELEMETRY_GAP) continue;
    EXPECT_EQ(e.gap_first_seq(), 20u);
    EXPECT_EQ(e.gap_samples(), 5u);
  }
  std::vector<Sample> got;
  sub->Drain(&got);
  ASSERT_EQ(got.size(), 35u);
  for (size_t i = 1; i < got.size(); ++i) {
    EXPECT_GT(got[i].seq, got[i - 1].seq);
    EXPECT_GE(got[i].host_time_ns, got[i - 1].host_time_ns);  // never reordered
  }
  EXPECT_GT(got.front().host_time_ns, int64_t{1'600'000'000} * 1'000'000'000);  // epoch ns
}

// A device that goes away and comes back: one DEVICE_GAP per outage, by the counter when
// the same boot kept counting, estimated from the rate after a reset (counter restarted);
// never a TELEMETRY_GAP, never a huge or negative count.
TEST(DeviceClientScriptedTest, ReconnectGapsAreMeasuredAcrossLossesAndResets) {
  std::atomic<uint64_t> boot{7};
  auto owned = std::make_unique<ScriptedDevice>([&](const HostMessage& m, ScriptedDevice& dev) {
    if (m.has_hello()) {
      dev.SendInfo(1, boot.load());
      dev.Ack(m, rollrig::v1::COMMAND_RESULT_OK, "");
    }
  });
  ScriptedDevice* device = owned.get();
  DeviceClient client(std::move(owned), FastOptions());
  EventLog events(client.events());
  client.Start();
  ASSERT_TRUE(client.WaitConnected(absl::Seconds(10)).ok());
  device->SendBatch(0, 100);
  ASSERT_TRUE(Eventually([&] { return client.Snapshot().samples_received == 100; }));

  auto lose_and_return = [&](uint64_t new_boot) {
    const size_t connected_before = events.Count(rollrig::v1::RIG_EVENT_CONNECTED);
    device->Close();  // unplugged
    EXPECT_TRUE(Eventually(
        [&] { return client.Snapshot().connection != rollrig::v1::CONNECTION_STATE_CONNECTED; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    boot.store(new_boot);
    // The client reopens by itself (reconnect_period) and handshakes again.
    EXPECT_TRUE(Eventually(
        [&] { return events.Count(rollrig::v1::RIG_EVENT_CONNECTED) > connected_before; }));
  };

  // Same boot: the device kept counting; 100..249 were missed.
  const auto lost_at = std::chrono::steady_clock::now();
  lose_and_return(7);
  device->SendBatch(250, 10);
  ASSERT_TRUE(Eventually([&] { return events.Count(rollrig::v1::RIG_EVENT_DEVICE_GAP) == 1; }));
  const double outage_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - lost_at).count();
  RigEvent gap;
  for (const auto& e : events.Take()) {
    if (e.kind() == rollrig::v1::RIG_EVENT_DEVICE_GAP) gap = e;
  }
  EXPECT_EQ(gap.gap_samples(), 150u) << gap.message();
  EXPECT_EQ(gap.gap_first_seq(), 100u);
  EXPECT_GT(gap.gap_ns(), 150'000'000) << gap.message();  // at least the 200 ms sleep
  EXPECT_LT(gap.gap_ns() * 1e-9, outage_s + 0.1) << gap.message();
  EXPECT_THAT(gap.message(), HasSubstr("S-1"));
  EXPECT_THAT(gap.message(), HasSubstr("150 samples missing"));
  ASSERT_TRUE(Eventually([&] { return client.Snapshot().samples_received == 110; }));
  EXPECT_EQ(client.Snapshot().samples_lost, 150u);

  // A reset while away: the counter restarts at 0; the gap is estimated from the 1 kHz
  // rate and the time away, not computed from the counters (which would go negative).
  lose_and_return(8);
  device->SendBatch(0, 10);
  ASSERT_TRUE(Eventually([&] { return events.Count(rollrig::v1::RIG_EVENT_DEVICE_GAP) == 2; }));
  RigEvent reset_gap;
  for (const auto& e : events.Take()) {
    if (e.kind() == rollrig::v1::RIG_EVENT_DEVICE_GAP) reset_gap = e;
  }
  const double gap_s = reset_gap.gap_ns() * 1e-9;
  EXPECT_GT(gap_s, 0.15) << reset_gap.message();
  EXPECT_LT(gap_s, 30.0) << reset_gap.message();
  EXPECT_NEAR(static_cast<double>(reset_gap.gap_samples()), gap_s * 1000, 2.0)
      << reset_gap.message();
  EXPECT_THAT(reset_gap.message(), HasSubstr("estimated"));
  ASSERT_TRUE(Eventually([&] { return client.Snapshot().samples_received == 120; }));
  EXPECT_EQ(client.Snapshot().samples_lost, 150u + reset_gap.gap_samples());

  // After the reset the new counter is followed exactly again.
  device->SendBatch(10, 10);
  device->SendBatch(25, 5);  // 20..24 lost
  ASSERT_TRUE(Eventually([&] { return client.Snapshot().samples_received == 135; }));
  EXPECT_EQ(client.Snapshot().samples_lost, 155u + reset_gap.gap_samples());
  EXPECT_EQ(events.Count(rollrig::v1::RIG_EVENT_TELEMETRY_GAP), 1u);
  EXPECT_EQ(events.Count(rollrig::v1::RIG_EVENT_DEVICE_GAP), 2u);
}

TEST(DeviceClientScriptedTest, DispatcherKeepsUpWithAFlood) {
  // 100k samples arrive at once; every one reaches the subscriber, in order, none lost.
  auto owned = std::make_unique<ScriptedDevice>(HelloAnswerer(1));
  ScriptedDevice* device = owned.get();
  DeviceClient client(std::move(owned), FastOptions());
  auto sub = client.telemetry().Subscribe(1 << 17);
  client.Start();
  ASSERT_TRUE(client.WaitConnected(absl::Seconds(10)).ok());
  constexpr int kBatches = 400;
  constexpr int kPerBatch = 250;
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < kBatches; ++i) device->SendBatch(i * kPerBatch, kPerBatch);
  ASSERT_TRUE(Eventually(
      [&] { return client.Snapshot().samples_received == uint64_t{kBatches} * kPerBatch; }));
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("dispatcher: %.2f M samples/s from a flood of %d samples\n",
              kBatches * kPerBatch / secs / 1e6, kBatches * kPerBatch);
  std::vector<Sample> got;
  sub->Drain(&got);
  ASSERT_EQ(got.size(), size_t{kBatches} * kPerBatch);
  for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i].seq, i);
  EXPECT_EQ(client.Snapshot().samples_lost, 0u);
  EXPECT_EQ(sub->dropped(), 0u);
}

TEST(DeviceClientScriptedTest, CorruptFramesAreCountedAndReported) {
  auto owned = std::make_unique<ScriptedDevice>(HelloAnswerer(1));
  ScriptedDevice* device = owned.get();
  DeviceClient client(std::move(owned), FastOptions());
  EventLog events(client.events());
  client.Start();
  ASSERT_TRUE(client.WaitConnected(absl::Seconds(10)).ok());

  device->SendRaw({0x01, 0x02, 0x03});  // garbage before a frame
  device->SendBatch(0, 3);
  // A frame whose CRC is wrong.
  std::vector<uint8_t> bad;
  const uint8_t payload[] = {0x08, 0x01};
  codec::AppendFrame(1000, payload, sizeof(payload), &bad);
  bad.back() ^= 0xFF;
  device->SendRaw(bad);
  // A valid frame that is not a DeviceMessage.
  std::vector<uint8_t> junk;
  const uint8_t not_proto[] = {0xFF, 0xFF, 0xFF};
  codec::AppendFrame(1001, not_proto, sizeof(not_proto), &junk);
  device->SendRaw(junk);
  device->SendBatch(3, 3);

  ASSERT_TRUE(Eventually([&] { return client.Snapshot().samples_received == 6; }));
  ASSERT_TRUE(Eventually([&] { return client.Snapshot().frames_dropped >= 2; }));
  EXPECT_GE(client.Snapshot().bytes_dropped, 3u);
  EXPECT_EQ(client.Snapshot().samples_lost, 0u);
  EXPECT_TRUE(Eventually([&] { return events.Has(rollrig::v1::RIG_EVENT_DECODE_ERROR); }));
}

TEST(DeviceClientScriptedTest, ACorruptedLengthDoesNotHoldUpTheAckBehindIt) {
  // The frame before the ack has its length corrupted to 15000 and then the device goes
  // quiet: the ack must not wait for bytes that never come (it would time out).
  std::vector<uint8_t> bogus;
  DeviceMessage event;
  event.mutable_event()->set_kind(rollrig::v1::DEVICE_EVENT_STATE_CHANGED);
  const std::string payload = event.SerializeAsString();
  codec::AppendFrame(5000, reinterpret_cast<const uint8_t*>(payload.data()), payload.size(),
                     &bogus);
  bogus[4] = 15000 & 0xFF;
  bogus[5] = 15000 >> 8;
  auto handler = [&bogus](const HostMessage& m, ScriptedDevice& dev) {
    if (m.has_hello()) {
      dev.SendInfo(1);
      dev.Ack(m, rollrig::v1::COMMAND_RESULT_OK, "");
      return;
    }
    if (!m.has_set_roller_speed()) return;  // heartbeats
    dev.SendRaw(bogus);
    dev.Ack(m, rollrig::v1::COMMAND_RESULT_OK, "");
  };
  DeviceClient client(std::make_unique<ScriptedDevice>(handler), FastOptions());
  EventLog events(client.events());
  client.Start();
  ASSERT_TRUE(client.WaitConnected(absl::Seconds(10)).ok());

  EXPECT_TRUE(client.SendCommandAndWait(Jog(5)).ok());
  EXPECT_EQ(client.Snapshot().roller_rpm_target, 5);
  ASSERT_TRUE(Eventually([&] { return client.Snapshot().frames_dropped == 1; }));
  EXPECT_EQ(client.Snapshot().bytes_dropped, bogus.size());
  EXPECT_TRUE(Eventually([&] { return events.Has(rollrig::v1::RIG_EVENT_DECODE_ERROR); }));
  EXPECT_EQ(client.Snapshot().connection, rollrig::v1::CONNECTION_STATE_CONNECTED);
}

TEST(DeviceClientScriptedTest, DeviceEventsBecomeReadableRigEvents) {
  auto owned = std::make_unique<ScriptedDevice>(HelloAnswerer(1));
  ScriptedDevice* device = owned.get();
  DeviceClient client(std::move(owned), FastOptions());
  EventLog events(client.events());
  client.Start();
  ASSERT_TRUE(client.WaitConnected(absl::Seconds(10)).ok());

  DeviceMessage m;
  auto* ev = m.mutable_event();
  ev->set_kind(rollrig::v1::DEVICE_EVENT_FAULT_RAISED);
  ev->set_fault(rollrig::v1::FAULT_STALL);
  ev->set_value(2.98);
  ev->set_state(rollrig::v1::DEVICE_STATE_STOPPING);
  ev->set_faults(1u << rollrig::v1::FAULT_STALL);
  device->Send(m);
  ASSERT_TRUE(Eventually([&] { return events.Has(rollrig::v1::RIG_EVENT_DEVICE); }));
  EXPECT_THAT(events.MessagesOf(rollrig::v1::RIG_EVENT_DEVICE),
              HasSubstr("fault raised: stall (2.98 A)"));
  const DeviceSnapshot snap = client.Snapshot();
  EXPECT_EQ(snap.state, rollrig::v1::DEVICE_STATE_STOPPING);
  EXPECT_EQ(snap.faults, 1u << rollrig::v1::FAULT_STALL);
}

TEST(DeviceClientScriptedTest, ProgramEventsAndColumnsReachTheSnapshotAndEvents) {
  auto owned = std::make_unique<ScriptedDevice>(HelloAnswerer(1));
  ScriptedDevice* device = owned.get();
  DeviceClient client(std::move(owned), FastOptions());
  EventLog events(client.events());
  client.Start();
  ASSERT_TRUE(client.WaitConnected(absl::Seconds(10)).ok());

  DeviceMessage m;
  auto* ev = m.mutable_event();
  ev->set_kind(rollrig::v1::DEVICE_EVENT_CYCLE_COMPLETED);
  ev->set_cycle(3);
  ev->set_program_id(77);
  ev->set_state(rollrig::v1::DEVICE_STATE_ACTIVE);
  device->Send(m);
  ASSERT_TRUE(Eventually([&] { return events.Has(rollrig::v1::RIG_EVENT_DEVICE); }));
  EXPECT_THAT(events.MessagesOf(rollrig::v1::RIG_EVENT_DEVICE), HasSubstr("cycle 3 completed"));

  // Two samples: segment 1 of cycle 4, then segment 2 (columns delta-coded).
  DeviceMessage batch;
  auto* b = batch.mutable_telemetry();
  b->set_first_sample_seq(0);
  b->set_first_time_us(0);
  for (int i = 0; i < 2; ++i) {
    b->add_time_delta_us(i == 0 ? 0 : 1000);
    for (auto* col : {b->mutable_roller_rpm_cmd_c(), b->mutable_roller_rpm_c(),
                      b->mutable_head_deg_cmd_c(), b->mutable_head_deg_c(), b->mutable_torque_mnm(),
                      b->mutable_force_cn(), b->mutable_preload_cmd_cn(), b->mutable_current_ma(),
                      b->mutable_temp_cc(), b->mutable_voltage_mv()}) {
      col->Add(0);
    }
  }
  b->add_segment(1);
  b->add_segment(1);
  b->add_cycle(4);
  b->add_cycle(0);
  b->set_program_state(rollrig::v1::PROGRAM_STATE_RUNNING);
  b->set_program_id(77);
  b->set_state(rollrig::v1::DEVICE_STATE_ACTIVE);
  device->Send(batch);
  ASSERT_TRUE(Eventually([&] { return client.Snapshot().samples_received == 2; }));
  const DeviceSnapshot snap = client.Snapshot();
  EXPECT_EQ(snap.program_state, rollrig::v1::PROGRAM_STATE_RUNNING);
  EXPECT_EQ(snap.program_id, 77u);
  EXPECT_EQ(snap.cycle, 4u);
  EXPECT_EQ(snap.segment, 2);
  EXPECT_EQ(snap.last.segment, 2);
}

TEST(DeviceClientScriptedTest, CommandsFailUnavailableWhenNotConnectedOrNotStarted) {
  // A device that never answers Hello.
  DeviceClientOptions options = FastOptions();
  options.handshake_timeout = absl::Milliseconds(100);
  DeviceClient client(std::make_unique<ScriptedDevice>([](const HostMessage&, ScriptedDevice&) {}),
                      options);
  EXPECT_EQ(client.SendCommandAndWait(Jog(1)).code(), absl::StatusCode::kUnavailable);
  client.Start();
  EXPECT_EQ(client.SendCommandAndWait(Jog(1)).code(), absl::StatusCode::kUnavailable);
  WaitForDetail(client, "Hello");  // the handshake times out after 100 ms
  absl::Status s = client.WaitConnected(absl::Milliseconds(50));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.message()), HasSubstr("Hello"));
  client.Stop();
  client.Stop();  // idempotent
  EXPECT_EQ(client.SendCommandAndWait(Jog(1)).code(), absl::StatusCode::kUnavailable);
}

TEST(DeviceClientScriptedTest, StopJoinsWhileTheTransportIsBlocked) {
  // Read() blocks for up to its timeout; Stop() must still return promptly.
  DeviceClient client(std::make_unique<ScriptedDevice>(HelloAnswerer(1)), FastOptions());
  client.Start();
  ASSERT_TRUE(client.WaitConnected(absl::Seconds(10)).ok());
  const auto start = std::chrono::steady_clock::now();
  client.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_NE(client.Snapshot().connection, rollrig::v1::CONNECTION_STATE_CONNECTED);
}

TEST(DeviceClientScriptedTest, EStopIsWrittenAheadOfEveryQueuedCommand) {
  // The device takes the first jog's frame only when the test lets it: meanwhile a
  // backlog of jogs and then an e-stop queue up behind it.
  std::mutex mu;
  std::condition_variable cv;
  bool gate_open = false;
  bool first_jog_blocked = false;
  std::vector<HostMessage> received;
  auto device = std::make_unique<ScriptedDevice>([&](const HostMessage& m, ScriptedDevice& dev) {
    if (m.has_hello()) {
      dev.SendInfo(1);
      dev.Ack(m, rollrig::v1::COMMAND_RESULT_OK, "");
      return;
    }
    if (m.has_heartbeat()) return;
    {
      std::unique_lock<std::mutex> lock(mu);
      received.push_back(m);
      if (m.has_set_roller_speed() && m.set_roller_speed().rpm() == 1) {
        first_jog_blocked = true;
        cv.notify_all();
        cv.wait(lock, [&] { return gate_open; });
      }
    }
    dev.Ack(m, rollrig::v1::COMMAND_RESULT_OK, "");
  });
  DeviceClient client(std::move(device), FastOptions());
  client.Start();
  ASSERT_TRUE(client.WaitConnected(absl::Seconds(20)).ok());

  client.SendCommand(Jog(1), nullptr);
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(20), [&] { return first_jog_blocked; }));
  }
  constexpr int kBacklog = 50;
  std::atomic<int> jogs_done{0};
  for (int i = 0; i < kBacklog; ++i) {
    client.SendCommand(Jog(2 + i), [&](absl::Status) { ++jogs_done; });
  }
  std::promise<absl::Status> estop_result;
  client.EStop(0, [&](absl::Status s) { estop_result.set_value(s); });
  {
    std::lock_guard<std::mutex> lock(mu);
    gate_open = true;
  }
  cv.notify_all();
  std::future<absl::Status> estop_done = estop_result.get_future();
  ASSERT_EQ(estop_done.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_TRUE(estop_done.get().ok());
  ASSERT_TRUE(Eventually([&] { return jogs_done.load() == kBacklog; }));

  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(received.size(), static_cast<size_t>(kBacklog + 2));
  EXPECT_TRUE(received[0].has_set_roller_speed()) << "the frame being written when it came";
  EXPECT_TRUE(received[1].has_estop()) << "the e-stop jumps the backlog of " << kBacklog;
  // No text travels: the frame holds only the command id, and fits one USB packet.
  EXPECT_TRUE(received[1].estop().reason().empty());
  EXPECT_LE(received[1].ByteSizeLong() + codec::kHeaderSize + codec::kCrcSize, 64u);
  const std::optional<EStopTiming> timing = client.LastEStopTiming();
  ASSERT_TRUE(timing.has_value());
  EXPECT_GT(timing->requested_ns, 0);
  EXPECT_GE(timing->written_ns, timing->requested_ns);
}

TEST(DeviceClientScriptedTest, ACommandTooLargeForAFrameIsRefusedWithoutLosingTheDevice) {
  auto acks_all = [](const HostMessage& m, ScriptedDevice& dev) {
    if (m.has_hello()) dev.SendInfo(1);
    if (!m.has_heartbeat()) dev.Ack(m, rollrig::v1::COMMAND_RESULT_OK, "");
  };
  DeviceClient client(std::make_unique<ScriptedDevice>(acks_all), FastOptions());
  EventLog events(client.events());
  client.Start();
  ASSERT_TRUE(client.WaitConnected(absl::Seconds(20)).ok());
  HostMessage huge;
  huge.mutable_estop()->set_reason(std::string(70000, 'r'));
  const absl::Status s = client.SendCommandAndWait(huge);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("at most 16384"));
  EXPECT_LT(s.message().size(), 200u);
  EXPECT_EQ(client.Snapshot().connection, rollrig::v1::CONNECTION_STATE_CONNECTED);
  EXPECT_TRUE(client.SendCommandAndWait(Jog(10)).ok());
  EXPECT_FALSE(events.Has(rollrig::v1::RIG_EVENT_DISCONNECTED));
}

TEST(DeviceClientScriptedTest, AnEStopWithNoDeviceSaysTheWatchdogStopsTheMotors) {
  DeviceClientOptions options = FastOptions();
  options.watchdog_ms = 300;
  DeviceClient client(std::make_unique<ScriptedDevice>([](const HostMessage&, ScriptedDevice&) {}),
                      options);
  auto estop = [&] {
    std::promise<absl::Status> result;
    client.EStop(0, [&](absl::Status s) { result.set_value(s); });
    return result.get_future().get();
  };
  absl::Status s = estop();  // not started
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.message()), HasSubstr("watchdog stops the motors"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("300 ms"));
  client.Start();  // a device that never answers Hello: never connected
  s = estop();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.message()), HasSubstr("no device connected"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("within 300 ms"));
  EXPECT_FALSE(client.LastEStopTiming().has_value());
}

// =======================================================================================
// Against the simulated massager in this process.

sim::SimOptions DefaultSim() {
  sim::SimOptions o;
  o.seed = 7;
  return o;
}

struct SimRig {
  explicit SimRig(const sim::SimOptions& sim_options = DefaultSim(),
                  DeviceClientOptions options = FastOptions(),
                  const FaultInjectionOptions& faults = {}) {
    auto sim = std::make_unique<SimTransport>(sim_options);
    sim_transport = sim.get();
    auto faulty = std::make_unique<FaultInjectingTransport>(std::move(sim), faults);
    fault = faulty.get();
    client = std::make_unique<DeviceClient>(std::move(faulty), options);
    events = std::make_unique<EventLog>(client->events());
    client->Start();
  }
  void InjectInDevice(rollrig::v1::InjectedFault f, bool active) {
    sim_transport->runner().WithDevice([&](sim::SimulatedDevice& d) { d.InjectFault(f, active); });
  }

  SimTransport* sim_transport = nullptr;
  FaultInjectingTransport* fault = nullptr;
  std::unique_ptr<DeviceClient> client;
  std::unique_ptr<EventLog> events;
};

TEST(DeviceClientSimTest, HandshakeGivesDeviceInfo) {
  SimRig rig;
  ASSERT_TRUE(rig.client->WaitConnected(absl::Seconds(20)).ok());
  const DeviceSnapshot snap = rig.client->Snapshot();
  EXPECT_EQ(snap.connection, rollrig::v1::CONNECTION_STATE_CONNECTED);
  EXPECT_EQ(snap.transport, "sim");
  ASSERT_TRUE(snap.info.has_value());
  EXPECT_EQ(snap.info->protocol_version(), 1u);
  EXPECT_TRUE(snap.info->simulated());
  EXPECT_EQ(snap.info->serial(), "SIM-0001");
  EXPECT_GT(snap.info->capabilities().roller_rpm().max(), 0);
  EXPECT_TRUE(rig.events->Has(rollrig::v1::RIG_EVENT_CONNECTED));
  EXPECT_TRUE(Eventually([&] { return rig.client->Snapshot().samples_received > 100; }));
}

TEST(DeviceClientSimTest, JogReaches60RpmInTelemetry) {
  SimRig rig;
  ASSERT_TRUE(rig.client->WaitConnected(absl::Seconds(20)).ok());
  auto sub = rig.client->telemetry().Subscribe(1 << 16);
  ASSERT_TRUE(rig.client->SendCommandAndWait(Jog(60)).ok());
  EXPECT_EQ(rig.client->Snapshot().roller_rpm_target, 60);
  std::vector<Sample> samples;
  ASSERT_TRUE(Eventually([&] {
    samples.clear();
    sub->Drain(&samples);
    for (const auto& s : samples) {
      if (std::abs(s.roller_rpm - 60) < 3) return true;
    }
    return false;
  })) << "last "
      << rig.client->Snapshot().last.roller_rpm;
  EXPECT_EQ(rig.client->Snapshot().samples_lost, 0u);
  EXPECT_EQ(rig.client->Snapshot().frames_dropped, 0u);
}

TEST(DeviceClientSimTest, OutOfRangeAndNaNAreRefusedNamingTheValue) {
  SimRig rig;
  ASSERT_TRUE(rig.client->WaitConnected(absl::Seconds(20)).ok());
  absl::Status s = rig.client->SendCommandAndWait(Jog(500));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("500"));
  s = rig.client->SendCommandAndWait(Jog(std::numeric_limits<double>::quiet_NaN()));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("nan"));
  EXPECT_EQ(rig.client->Snapshot().roller_rpm_target, 0);
}

TEST(DeviceClientSimTest, EStopRefusesJogUntilCleared) {
  SimRig rig;
  ASSERT_TRUE(rig.client->WaitConnected(absl::Seconds(20)).ok());
  ASSERT_TRUE(rig.client->SendCommandAndWait(Jog(60)).ok());
  ASSERT_TRUE(rig.client->SendCommandAndWait(EStopMessage()).ok());
  EXPECT_EQ(rig.client->SendCommandAndWait(Jog(30)).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Eventually(
      [&] { return rig.client->Snapshot().state == rollrig::v1::DEVICE_STATE_FAULTED; }));
  EXPECT_TRUE(Eventually([&] { return rig.events->Has(rollrig::v1::RIG_EVENT_DEVICE); }));
  // Clear may be refused BUSY while still braking; it succeeds once stopped.
  ASSERT_TRUE(Eventually([&] { return rig.client->SendCommandAndWait(ClearMessage()).ok(); }));
  EXPECT_TRUE(rig.client->SendCommandAndWait(Jog(30)).ok());
  EXPECT_EQ(rig.client->Snapshot().roller_rpm_target, 30);
}

TEST(DeviceClientSimTest, PriorityEStopLatchesAndStopsTheRoller) {
  SimRig rig;
  ASSERT_TRUE(rig.client->WaitConnected(absl::Seconds(20)).ok());
  ASSERT_TRUE(rig.client->SendCommandAndWait(Jog(60)).ok());
  ASSERT_TRUE(Eventually([&] { return std::abs(rig.client->Snapshot().last.roller_rpm) > 50; }));
  std::promise<absl::Status> result;
  rig.client->EStop(0, [&](absl::Status s) { result.set_value(s); });
  EXPECT_TRUE(result.get_future().get().ok());
  const uint32_t estop_bit = 1u << rollrig::v1::FAULT_ESTOP_SOFTWARE;
  EXPECT_TRUE(Eventually([&] { return (rig.client->Snapshot().faults & estop_bit) != 0; }));
  EXPECT_TRUE(Eventually([&] { return std::abs(rig.client->Snapshot().last.roller_rpm) < 1; }));
  EXPECT_EQ(rig.client->Snapshot().connection, rollrig::v1::CONNECTION_STATE_CONNECTED);
  EXPECT_FALSE(rig.events->Has(rollrig::v1::RIG_EVENT_DISCONNECTED));
}

// A hang that lasts (the device's hardware watchdog set far off): what the host does
// while a device says nothing.
sim::SimOptions LastingHangSim() {
  sim::SimOptions o = DefaultSim();
  o.hardware_watchdog_ms = 600'000;
  return o;
}

TEST(DeviceClientSimTest, CommandTimesOutWhenTheFirmwareHangs) {
  DeviceClientOptions options = FastOptions();
  options.command_timeout = absl::Milliseconds(300);
  options.silence_timeout = absl::Seconds(30);  // keep the session; only the command waits
  SimRig rig(LastingHangSim(), options);
  ASSERT_TRUE(rig.client->WaitConnected(absl::Seconds(20)).ok());
  rig.sim_transport->runner().WithDevice([](sim::SimulatedDevice& d) { d.SetHung(true); });
  absl::Status s = rig.client->SendCommandAndWait(Jog(10));
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded);
  rig.sim_transport->runner().WithDevice([](sim::SimulatedDevice& d) { d.SetHung(false); });
}

TEST(DeviceClientSimTest, DeviceLostWhenSilentThenBackWhenItAnswers) {
  DeviceClientOptions options = FastOptions();
  options.silence_timeout = absl::Milliseconds(500);
  options.handshake_timeout = absl::Milliseconds(500);
  SimRig rig(LastingHangSim(), options);
  ASSERT_TRUE(rig.client->WaitConnected(absl::Seconds(20)).ok());
  rig.sim_transport->runner().WithDevice([](sim::SimulatedDevice& d) { d.SetHung(true); });
  ASSERT_TRUE(Eventually([&] { return rig.events->Has(rollrig::v1::RIG_EVENT_DISCONNECTED); }));
  EXPECT_THAT(rig.events->MessagesOf(rollrig::v1::RIG_EVENT_DISCONNECTED),
              HasSubstr("sent nothing"));
  EXPECT_EQ(rig.client->Snapshot().connection, rollrig::v1::CONNECTION_STATE_DISCONNECTED);
  rig.sim_transport->runner().WithDevice([](sim::SimulatedDevice& d) { d.SetHung(false); });
  EXPECT_TRUE(rig.client->WaitConnected(absl::Seconds(20)).ok());
  EXPECT_EQ(rig.events->Count(rollrig::v1::RIG_EVENT_CONNECTED), 2u);
}

// A hang as it really ends: the device's hardware watchdog resets it within 50 ms. The
// link never drops (in-process, as over TCP), so the client must tell the reboot from the
// BOOTED event itself: the session ends (DISCONNECTED naming the reboot and its cause),
// a new handshake follows, the outage is one DEVICE_GAP, and nothing drives the roller.
TEST(DeviceClientSimTest, AWatchdogResetEndsTheSessionWithAGapAndAReconnect) {
  SimRig rig;
  ASSERT_TRUE(rig.client->WaitConnected(absl::Seconds(20)).ok());
  ASSERT_TRUE(rig.client->SendCommandAndWait(Jog(60)).ok());
  ASSERT_TRUE(Eventually([&] { return std::abs(rig.client->Snapshot().last.roller_rpm) > 55; }));
  const uint64_t boot_before = rig.client->Snapshot().info->boot_id();

  rig.sim_transport->runner().WithDevice([](sim::SimulatedDevice& d) { d.SetHung(true); });
  ASSERT_TRUE(Eventually([&] { return rig.events->Has(rollrig::v1::RIG_EVENT_DISCONNECTED); }));
  const std::string lost = rig.events->MessagesOf(rollrig::v1::RIG_EVENT_DISCONNECTED);
  EXPECT_THAT(lost, HasSubstr("rebooted (boot reason: watchdog-reset)"));
  EXPECT_THAT(lost, Not(HasSubstr("sent nothing")));
  ASSERT_TRUE(Eventually([&] { return rig.events->Count(rollrig::v1::RIG_EVENT_CONNECTED) == 2; }));
  ASSERT_TRUE(Eventually([&] { return rig.events->Has(rollrig::v1::RIG_EVENT_DEVICE_GAP); }));

  const DeviceSnapshot snap = rig.client->Snapshot();
  ASSERT_TRUE(snap.info.has_value());
  EXPECT_NE(snap.info->boot_id(), boot_before);
  EXPECT_EQ(snap.info->boot_reason(), rollrig::v1::BOOT_REASON_WATCHDOG_RESET);
  EXPECT_EQ(snap.roller_rpm_target, 0);
  bool booted_event = false;
  for (const auto& e : rig.events->Take()) {
    if (e.kind() != rollrig::v1::RIG_EVENT_DEVICE) continue;
    if (e.device().kind() == rollrig::v1::DEVICE_EVENT_BOOTED &&
        e.device().boot_reason() == rollrig::v1::BOOT_REASON_WATCHDOG_RESET) {
      booted_event = true;
      EXPECT_THAT(e.message(), HasSubstr("watchdog reset"));
    }
  }
  EXPECT_TRUE(booted_event);
  EXPECT_EQ(rig.events->Count(rollrig::v1::RIG_EVENT_DEVICE_GAP), 1u);
  EXPECT_EQ(rig.events->Count(rollrig::v1::RIG_EVENT_TELEMETRY_GAP), 0u);
  // The bridge went off at the reset: the roller coasts to a stop with no current.
  EXPECT_TRUE(Eventually([&] {
    const Sample last = rig.client->Snapshot().last;
    return std::abs(last.roller_rpm) < 1 && std::abs(last.current_a) < 0.1;
  })) << rig.client->Snapshot().last.roller_rpm;
  // The new boot takes commands.
  EXPECT_TRUE(rig.client->SendCommandAndWait(Jog(10)).ok());
}

TEST(DeviceClientSimTest, ReconnectsAfterADisconnect) {
  SimRig rig;
  ASSERT_TRUE(rig.client->WaitConnected(absl::Seconds(20)).ok());
  ASSERT_TRUE(rig.client->SendCommandAndWait(Jog(20)).ok());
  rig.fault->SetDisconnected(true);
  ASSERT_TRUE(Eventually([&] { return rig.events->Has(rollrig::v1::RIG_EVENT_DISCONNECTED); }));
  EXPECT_EQ(rig.client->Snapshot().connection, rollrig::v1::CONNECTION_STATE_DISCONNECTED);
  EXPECT_EQ(rig.client->SendCommandAndWait(Jog(20)).code(), absl::StatusCode::kUnavailable);

  const auto replugged = std::chrono::steady_clock::now();
  rig.fault->SetDisconnected(false);
  ASSERT_TRUE(rig.client->WaitConnected(absl::Seconds(20)).ok());
  const auto took = std::chrono::steady_clock::now() - replugged;
  std::printf("reconnect took %.0f ms (reconnect_period 100 ms)\n",
              std::chrono::duration<double, std::milli>(took).count());
  EXPECT_EQ(rig.events->Count(rollrig::v1::RIG_EVENT_CONNECTED), 2u);
  // Same boot: no reset reported, and commands work again.
  const uint64_t before = rig.client->Snapshot().samples_received;
  EXPECT_TRUE(Eventually([&] { return rig.client->Snapshot().samples_received > before + 100; }));
  EXPECT_TRUE(rig.client->SendCommandAndWait(Jog(0)).ok());
}

TEST(DeviceClientSimTest, CorruptedBytesAreCountedAndCommandsStillWork) {
  FaultInjectionOptions faults;
  faults.seed = 3;
  faults.corrupt_byte_probability = 1e-4;
  faults.garbage_probability = 0.05;
  SimRig rig(DefaultSim(), FastOptions(), faults);
  ASSERT_TRUE(rig.client->WaitConnected(absl::Seconds(20)).ok());
  ASSERT_TRUE(Eventually([&] {
    const DeviceSnapshot s = rig.client->Snapshot();
    return s.frames_dropped >= 3 && s.samples_lost > 0 && s.bytes_dropped > 0;
  })) << "frames_dropped "
      << rig.client->Snapshot().frames_dropped;
  EXPECT_TRUE(Eventually([&] { return rig.events->Has(rollrig::v1::RIG_EVENT_DECODE_ERROR); }));
  EXPECT_TRUE(rig.events->Has(rollrig::v1::RIG_EVENT_TELEMETRY_GAP));
  // Commands go on working (an ack may be the corrupted frame: retry a few times).
  bool ok = false;
  for (int i = 0; i < 5 && !ok; ++i) ok = rig.client->SendCommandAndWait(Jog(10)).ok();
  EXPECT_TRUE(ok);
}

TEST(DeviceClientSimTest, DroppedReadsShowUpAsGaps) {
  FaultInjectionOptions faults;
  faults.seed = 5;
  faults.drop_read_probability = 0.1;
  SimRig rig(DefaultSim(), FastOptions(), faults);
  ASSERT_TRUE(Eventually([&] { return rig.client->Snapshot().samples_lost > 0; }));
  uint64_t published_gap = 0;
  for (const auto& e : rig.events->Take()) {
    if (e.kind() == rollrig::v1::RIG_EVENT_TELEMETRY_GAP) published_gap += e.gap_samples();
  }
  EXPECT_EQ(published_gap, rig.client->Snapshot().samples_lost);
}

TEST(DeviceClientSimTest, HostStallMakesTheDeviceDropAndTheGapIsCounted) {
  sim::SimOptions sim_options = DefaultSim();
  sim_options.firmware.tick_hz = 10000;  // the firmware buffer holds 0.8 s at 10 kHz
  sim_options.max_output_bytes = 4096;
  DeviceClientOptions options = FastOptions();
  options.silence_timeout = absl::Seconds(30);  // the stall is not a lost device
  SimRig rig(sim_options, options);
  ASSERT_TRUE(rig.client->WaitConnected(absl::Seconds(20)).ok());
  rig.fault->SetReadsStalled(true);
  // Wait until the device itself reports dropping samples.
  uint64_t device_dropped = 0;
  ASSERT_TRUE(Eventually([&] {
    rig.sim_transport->runner().WithDevice(
        [&](sim::SimulatedDevice& d) { device_dropped = d.firmware().status().samples_dropped; });
    return device_dropped > 0;
  }));
  rig.fault->SetReadsStalled(false);
  ASSERT_TRUE(Eventually([&] { return rig.client->Snapshot().samples_lost > 0; }));
  EXPECT_TRUE(rig.events->Has(rollrig::v1::RIG_EVENT_TELEMETRY_GAP));
  EXPECT_EQ(rig.client->Snapshot().connection, rollrig::v1::CONNECTION_STATE_CONNECTED);
}

TEST(DeviceClientSimTest, ThroughputThroughTheClient) {
  // Not a benchmark: it records what the client sustains at 10 kHz telemetry and checks
  // that nothing is lost between the device and the subscriber while it keeps up.
  sim::SimOptions sim_options = DefaultSim();
  sim_options.firmware.tick_hz = 10000;
  SimRig rig(sim_options);
  ASSERT_TRUE(rig.client->WaitConnected(absl::Seconds(20)).ok());
  auto sub = rig.client->telemetry().Subscribe(1 << 18);
  const uint64_t start_count = rig.client->Snapshot().samples_received;
  const auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const uint64_t got = rig.client->Snapshot().samples_received - start_count;
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("client delivered %.0f samples/s at a 10 kHz tick\n", got / secs);
  EXPECT_GT(got, 1000u);
  EXPECT_EQ(sub->dropped(), 0u);
}

// =======================================================================================
// Over TCP.

TEST(DeviceClientTcpTest, NoDeviceAtTheAddressNamesIt) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const uint16_t port = ntohs(addr.sin_port);
  ::close(fd);  // nobody listens there now

  DeviceClient client(std::make_unique<TcpTransport>("127.0.0.1", port), FastOptions());
  client.Start();
  WaitForDetail(client, absl::StrCat("127.0.0.1:", port));
  absl::Status s = client.WaitConnected(absl::Milliseconds(50));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.message()), HasSubstr(absl::StrCat("127.0.0.1:", port)));
}

// A one-connection TCP front for a SimRunner: what rig-sim does, in a few lines.
class InTestRigSim {
 public:
  InTestRigSim() : runner_(DefaultSim(), RealClock()) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(listen_fd_, 1), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    runner_.Start();
    thread_ = std::thread([this] { Serve(); });
  }
  ~InTestRigSim() {
    stop_ = true;
    thread_.join();
    ::close(listen_fd_);
    runner_.Stop();
  }
  uint16_t port() const { return port_; }

 private:
  void Serve() {
    pollfd lp{listen_fd_, POLLIN, 0};
    while (!stop_ && ::poll(&lp, 1, 20) == 0) {
    }
    if (stop_) return;
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    runner_.DiscardPipes();
    std::vector<uint8_t> buf(16384);
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 0) > 0) {
        const ssize_t r = ::recv(fd, buf.data(), buf.size(), 0);
        if (r <= 0) break;
        runner_.WriteFromHost(buf.data(), static_cast<size_t>(r));
      }
      const size_t n = runner_.ReadToHost(buf.data(), buf.size(), 2'000'000);
      if (n > 0 && ::send(fd, buf.data(), n, MSG_NOSIGNAL) != static_cast<ssize_t>(n)) break;
    }
    ::close(fd);
  }

  sim::SimRunner runner_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(DeviceClientTcpTest, WorksEndToEndWithASimOverTcp) {
  InTestRigSim server;
  DeviceClient client(std::make_unique<TcpTransport>("127.0.0.1", server.port()), FastOptions());
  client.Start();
  ASSERT_TRUE(client.WaitConnected(absl::Seconds(20)).ok());
  EXPECT_EQ(client.Snapshot().transport, absl::StrCat("tcp:127.0.0.1:", server.port()));
  ASSERT_TRUE(client.SendCommandAndWait(Jog(60)).ok());
  EXPECT_TRUE(Eventually([&] { return std::abs(client.Snapshot().last.roller_rpm - 60) < 3; }));
  EXPECT_EQ(client.SendCommandAndWait(Jog(500)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client.Snapshot().samples_lost, 0u);
}

}  // namespace
}  // namespace rollrig::host
