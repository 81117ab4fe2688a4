#include "rig/sim/simulated_device.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "rig/sim/sim_test_host.h"

namespace rollrig::sim {
namespace {

namespace v1 = rollrig::v1;
using ::testing::HasSubstr;

// Drives a SimulatedDevice in lock-step: no threads, no clocks, no sleeps.
class DeviceHarness {
 public:
  explicit DeviceHarness(const SimOptions& options = SimOptions()) : device(options) {}

  void Send(const v1::HostMessage& m) {
    std::vector<uint8_t> bytes;
    host.Encode(m, &bytes);
    device.ReceiveFromHost(bytes.data(), bytes.size());
  }

  // Runs `seconds` of device time with a heartbeat every 100 ms, reading all output.
  void Run(double seconds, bool heartbeats = true) {
    const uint64_t ticks = static_cast<uint64_t>(std::llround(seconds * tick_hz()));
    const uint64_t heartbeat_every = tick_hz() / 10;
    for (uint64_t i = 0; i < ticks; ++i) {
      if (heartbeats && i % heartbeat_every == 0) Send(Heartbeat());
      device.Tick();
      if (reading) Read();
    }
  }

  void Read() {
    std::vector<uint8_t> out;
    device.TakeOutput(&out);
    host.Decode(out);
  }

  uint32_t tick_hz() const { return device.info().capabilities().tick_hz(); }

  SimulatedDevice device;
  TestHost host;
  bool reading = true;
};

TEST(SimulatedDeviceTest, HelloIsAnsweredWithDeviceInfoAndAnAck) {
  SimOptions options;
  options.serial = "SIM-4242";
  DeviceHarness h(options);
  h.Send(Hello(1));
  h.Run(0.01);
  ASSERT_EQ(h.host.infos.size(), 1u);
  const v1::DeviceInfo& info = h.host.infos[0];
  EXPECT_EQ(info.vendor(), "rollrig");
  EXPECT_EQ(info.model(), "massager-sim");
  EXPECT_EQ(info.serial(), "SIM-4242");
  EXPECT_EQ(info.protocol_version(), 1u);
  EXPECT_TRUE(info.simulated());
  EXPECT_FALSE(info.firmware_version().empty());
  EXPECT_NE(info.boot_id(), 0u);
  const v1::Capabilities& caps = info.capabilities();
  EXPECT_EQ(caps.roller_rpm().max(), 120);
  EXPECT_EQ(caps.roller_rpm().min(), -120);
  EXPECT_EQ(caps.tick_hz(), 1000u);
  EXPECT_EQ(caps.telemetry_hz(), 1000u);
  EXPECT_GE(caps.telemetry_buffer_samples() * 1000u / caps.telemetry_hz(), 500u);
  EXPECT_EQ(caps.gear_ratio(), 20);
  EXPECT_EQ(caps.encoder_counts_per_rev(), 4096u);
  EXPECT_TRUE(caps.fault_injection());
  const v1::CommandAck* ack = h.host.FindAck(1);
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(ack->result(), v1::COMMAND_RESULT_OK);
  EXPECT_TRUE(h.host.HasEvent(v1::DEVICE_EVENT_BOOTED));
}

TEST(SimulatedDeviceTest, HelloOfAnotherProtocolVersionIsRefusedNamingBoth) {
  DeviceHarness h;
  h.Send(Hello(7, 2));
  h.Run(0.01);
  EXPECT_TRUE(h.host.infos.empty());
  const v1::CommandAck* ack = h.host.FindAck(7);
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(ack->result(), v1::COMMAND_RESULT_BAD_REQUEST);
  EXPECT_THAT(ack->detail(), HasSubstr("version 2"));
  EXPECT_THAT(ack->detail(), HasSubstr("version 1"));
}

TEST(SimulatedDeviceTest, JogOverFramesReachesTheSetpointInTelemetry) {
  DeviceHarness h;
  h.Send(Hello(1));
  h.Send(RollerSpeed(2, 60));
  h.Run(2.0);
  const v1::CommandAck* ack = h.host.FindAck(2);
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(ack->result(), v1::COMMAND_RESULT_OK) << ack->detail();
  ASSERT_GT(h.host.samples.size(), 1900u);
  double sum = 0;
  for (size_t i = h.host.samples.size() - 200; i < h.host.samples.size(); ++i) {
    EXPECT_FLOAT_EQ(h.host.samples[i].roller_rpm_cmd, 60.0f);
    sum += h.host.samples[i].roller_rpm;
  }
  EXPECT_NEAR(sum / 200, 60.0, 1.0);
  EXPECT_EQ(h.host.batches.back().state(), v1::DEVICE_STATE_ACTIVE);
}

TEST(SimulatedDeviceTest, RefusalsAreAcknowledgedWithCodeAndReason) {
  DeviceHarness h;
  h.Send(Hello(1));
  h.Send(RollerSpeed(2, 500));
  h.Send(RollerSpeed(3, std::numeric_limits<double>::quiet_NaN()));
  v1::HostMessage preload;
  preload.set_command_id(4);
  preload.mutable_set_preload()->set_newtons(200);
  h.Send(preload);
  v1::HostMessage empty;
  empty.set_command_id(5);
  h.Send(empty);
  h.Run(0.01);

  const v1::CommandAck* too_fast = h.host.FindAck(2);
  ASSERT_NE(too_fast, nullptr);
  EXPECT_EQ(too_fast->result(), v1::COMMAND_RESULT_OUT_OF_RANGE);
  EXPECT_EQ(too_fast->detail(), "roller 500 rpm is outside -120..120 rpm");
  const v1::CommandAck* nan = h.host.FindAck(3);
  ASSERT_NE(nan, nullptr);
  EXPECT_EQ(nan->result(), v1::COMMAND_RESULT_BAD_REQUEST);
  EXPECT_THAT(nan->detail(), HasSubstr("nan"));
  const v1::CommandAck* too_hard = h.host.FindAck(4);
  ASSERT_NE(too_hard, nullptr);
  EXPECT_EQ(too_hard->result(), v1::COMMAND_RESULT_OUT_OF_RANGE);
  EXPECT_EQ(too_hard->detail(), "preload 200 N is outside 0..150 N");
  const v1::CommandAck* unknown = h.host.FindAck(5);
  ASSERT_NE(unknown, nullptr);
  EXPECT_EQ(unknown->result(), v1::COMMAND_RESULT_BAD_REQUEST);

  v1::HostMessage estop;
  estop.set_command_id(6);
  estop.mutable_estop()->set_reason("test");
  h.Send(estop);
  h.Run(0.01);
  h.Send(RollerSpeed(7, 30));
  h.Run(0.01);
  EXPECT_EQ(h.host.FindAck(6)->result(), v1::COMMAND_RESULT_OK);
  const v1::CommandAck* latched = h.host.FindAck(7);
  ASSERT_NE(latched, nullptr);
  EXPECT_EQ(latched->result(), v1::COMMAND_RESULT_FAULT_LATCHED);
  EXPECT_THAT(latched->detail(), HasSubstr("e-stop"));
  EXPECT_TRUE(h.host.HasEvent(v1::DEVICE_EVENT_FAULT_RAISED, v1::FAULT_ESTOP_SOFTWARE));
}

TEST(SimulatedDeviceTest, TelemetryCountersAreContiguousAcrossBatches) {
  DeviceHarness h;
  h.Send(Hello(1));
  h.Send(RollerSpeed(2, -40));
  h.Run(3.0);
  ASSERT_GT(h.host.batches.size(), 250u);
  const auto& samples = h.host.samples;
  for (size_t i = 1; i < samples.size(); ++i) {
    ASSERT_EQ(samples[i].seq, samples[i - 1].seq + 1) << i;
    ASSERT_EQ(samples[i].time_us, samples[i - 1].time_us + 1000) << i;
  }
  for (size_t b = 1; b < h.host.batches.size(); ++b) {
    const auto& prev = h.host.batches[b - 1];
    ASSERT_EQ(h.host.batches[b].first_sample_seq(),
              prev.first_sample_seq() + static_cast<uint64_t>(prev.time_delta_us_size()));
  }
  EXPECT_EQ(h.host.batches.back().dropped_total(), 0u);
  EXPECT_EQ(h.host.batches.back().sample_period_us(), 1000u);
  EXPECT_EQ(h.host.batches[5].time_delta_us_size(), 10);  // 10 ms batches at 1 kHz
  EXPECT_EQ(h.host.decoder_stats().sequence_gaps, 0u);
  EXPECT_EQ(h.host.decoder_stats().bytes_dropped, 0u);
  EXPECT_EQ(h.host.unparsable, 0);
}

TEST(SimulatedDeviceTest, AHostThatStopsReadingMakesCountedDropsAndAVisibleGap) {
  SimOptions options;
  options.max_output_bytes = 4096;
  DeviceHarness h(options);
  h.Send(Hello(1));
  h.Run(0.5);
  const uint64_t seen_before = h.host.samples.size();
  h.reading = false;
  // The firmware ring holds 8192 samples (8 s at 1 kHz): stall longer than that.
  h.Run(10.0);
  EXPECT_LE(h.device.PendingOutput(), options.max_output_bytes + 8192);
  const uint64_t dropped = h.device.firmware().status().samples_dropped;
  EXPECT_GT(dropped, 1000u);
  h.reading = true;
  h.Run(12.0);  // drain the ring, then carry on live

  const auto& samples = h.host.samples;
  ASSERT_GT(samples.size(), seen_before);
  uint64_t gap_samples = 0;
  int gaps = 0;
  for (size_t i = 1; i < samples.size(); ++i) {
    if (samples[i].seq != samples[i - 1].seq + 1) {
      ++gaps;
      gap_samples += samples[i].seq - samples[i - 1].seq - 1;
    }
  }
  EXPECT_EQ(gaps, 1);
  EXPECT_EQ(gap_samples, h.host.batches.back().dropped_total());
  EXPECT_EQ(gap_samples, h.device.firmware().status().samples_dropped);
  // Every tick's sample is either delivered or counted as dropped.
  EXPECT_EQ(samples.back().seq + 1, samples.size() + gap_samples);
}

TEST(SimulatedDeviceTest, ResetChangesTheBootIdAndAnnouncesTheBoot) {
  DeviceHarness h;
  h.Send(Hello(1));
  h.Send(RollerSpeed(2, 30));
  h.Run(0.5);
  const uint64_t first_boot = h.device.info().boot_id();
  h.host.events.clear();
  h.device.Reset();
  EXPECT_NE(h.device.info().boot_id(), first_boot);
  h.Send(Hello(3));
  h.Run(0.1);
  EXPECT_TRUE(h.host.HasEvent(v1::DEVICE_EVENT_BOOTED));
  ASSERT_FALSE(h.host.infos.empty());
  EXPECT_EQ(h.host.infos.back().boot_id(), h.device.info().boot_id());
  EXPECT_LT(h.device.time_us(), 200'000u);  // the new firmware's clock started again
  EXPECT_EQ(h.device.firmware().status().roller_rpm_target, 0.0f);
}

TEST(SimulatedDeviceTest, AHungFirmwareIgnoresInputAndSendsNothing) {
  SimOptions options;
  options.hardware_watchdog_ms = 60'000;  // a hang that lasts: what the host sees meanwhile
  DeviceHarness h(options);
  h.Send(Hello(1));
  h.Run(0.1);
  const size_t samples_before = h.host.samples.size();
  h.Send(Inject(2, v1::INJECTED_FAULT_FIRMWARE_HANG, true));
  h.Run(1.0);
  const size_t samples_hung = h.host.samples.size();
  EXPECT_LE(samples_hung - samples_before, 20u);  // what was already on its way
  h.Send(RollerSpeed(3, 50));
  h.Run(0.5);
  EXPECT_EQ(h.host.samples.size(), samples_hung);
  EXPECT_EQ(h.host.FindAck(3), nullptr);
  h.device.SetHung(false);
  h.Run(0.1);
  EXPECT_GT(h.host.samples.size(), samples_hung);
  EXPECT_EQ(h.host.FindAck(3), nullptr);  // input during the hang was never read
  EXPECT_EQ(h.device.watchdog_resets(), 0u);
}

// The hardware watchdog (SimOptions::hardware_watchdog_ms, 50 ms by default) resets a
// hung microcontroller within 100 ms of simulated time: the bridge is off at the reset
// (the roller, driven by the PWM latched at the hang until then, coasts down with no
// current), and the new boot says why it started.
TEST(SimulatedDeviceTest, AHangIsResetByTheHardwareWatchdogWithin100Ms) {
  DeviceHarness h;
  h.Send(Hello(1));
  h.Send(RollerSpeed(2, 60));
  h.Run(1.5);
  ASSERT_NEAR(h.device.plant().state().roller_rpm(), 60, 2);
  ASSERT_EQ(h.device.watchdog_resets(), 0u) << "a running firmware kicks it every tick";
  const uint64_t boot_before = h.device.info().boot_id();
  EXPECT_EQ(h.device.info().boot_reason(), v1::BOOT_REASON_POWER_ON);
  h.host.events.clear();

  h.Send(Inject(3, v1::INJECTED_FAULT_FIRMWARE_HANG, true));
  h.Send(RollerSpeed(4, 100));  // behind the hang: never read
  while (!h.device.hung()) h.Run(0.001, false);
  const double hung_at = h.device.plant().state().time_s;
  while (h.device.watchdog_resets() == 0 && h.device.plant().state().time_s - hung_at < 1.0) {
    EXPECT_TRUE(h.device.hung());
    // Until the reset the PWM latched at the hang still drives the roller.
    EXPECT_NEAR(h.device.plant().state().roller_rpm(), 60, 3);
    h.Run(0.001, false);
  }
  const double reset_after_s = h.device.plant().state().time_s - hung_at;
  ASSERT_EQ(h.device.watchdog_resets(), 1u);
  EXPECT_LE(reset_after_s, 0.100);
  EXPECT_NEAR(reset_after_s, 0.050, 0.0015);
  EXPECT_FALSE(h.device.hung());
  EXPECT_FALSE(h.device.firmware().status().bridge_enabled) << "the bridge is off at reset";
  EXPECT_NE(h.device.info().boot_id(), boot_before);
  EXPECT_EQ(h.device.info().boot_reason(), v1::BOOT_REASON_WATCHDOG_RESET);

  // Bridge off: the winding current is gone within a tick and stays gone; the roller
  // coasts down instead of being driven.
  const double rpm_at_reset = h.device.plant().state().roller_rpm();
  h.Run(0.001, false);
  for (int ms = 0; ms < 300; ++ms) {
    h.Run(0.001, false);
    ASSERT_EQ(h.device.plant().state().current_a, 0.0) << "ms " << ms;
  }
  EXPECT_LT(h.device.plant().state().roller_rpm(), rpm_at_reset - 5);

  // The new boot announces itself and why.
  const v1::DeviceEvent* booted = nullptr;
  for (const auto& e : h.host.events) {
    if (e.kind() == v1::DEVICE_EVENT_BOOTED) booted = &e;
  }
  ASSERT_NE(booted, nullptr);
  EXPECT_EQ(booted->boot_reason(), v1::BOOT_REASON_WATCHDOG_RESET);
  EXPECT_EQ(booted->boot_id(), h.device.info().boot_id());
  EXPECT_THAT(booted->detail(), HasSubstr("watchdog reset"));
  EXPECT_EQ(h.host.FindAck(4), nullptr);  // the command behind the hang was never read
  // It answers a new handshake, reporting the reason, and takes commands again.
  h.Send(Hello(5));
  h.Send(RollerSpeed(6, 30));
  h.Run(0.1);
  ASSERT_FALSE(h.host.infos.empty());
  EXPECT_EQ(h.host.infos.back().boot_reason(), v1::BOOT_REASON_WATCHDOG_RESET);
  ASSERT_NE(h.host.FindAck(6), nullptr);
  EXPECT_EQ(h.host.FindAck(6)->result(), v1::COMMAND_RESULT_OK);
}

TEST(SimulatedDeviceTest, ACommandedResetIsReportedAsSuch) {
  DeviceHarness h;
  h.Run(0.1);
  h.host.events.clear();
  h.device.Reset();
  h.Run(0.01);
  ASSERT_TRUE(h.host.HasEvent(v1::DEVICE_EVENT_BOOTED));
  EXPECT_EQ(h.device.info().boot_reason(), v1::BOOT_REASON_RESET);
  EXPECT_EQ(h.host.events.front().boot_reason(), v1::BOOT_REASON_RESET);
  EXPECT_EQ(h.device.watchdog_resets(), 0u);
}

TEST(SimulatedDeviceTest, GarbageInTheInputIsSkippedAndCommandsStillWork) {
  DeviceHarness h;
  std::mt19937 rng(5);
  std::vector<uint8_t> stream;
  uint64_t garbage = 0;
  for (uint32_t id = 1; id <= 50; ++id) {
    const size_t n = rng() % 40;
    for (size_t i = 0; i < n; ++i) stream.push_back(static_cast<uint8_t>(rng()));
    garbage += n;
    h.host.Encode(id == 1 ? Hello(id) : RollerSpeed(id, static_cast<double>(id)), &stream);
  }
  // Delivered in awkward pieces, a few ticks apart.
  for (size_t pos = 0; pos < stream.size();) {
    const size_t n = std::min<size_t>(1 + rng() % 23, stream.size() - pos);
    h.device.ReceiveFromHost(stream.data() + pos, n);
    pos += n;
    h.Run(0.001, false);
  }
  h.Run(0.01);
  for (uint32_t id = 1; id <= 50; ++id) {
    const v1::CommandAck* ack = h.host.FindAck(id);
    ASSERT_NE(ack, nullptr) << id;
    EXPECT_EQ(ack->result(), v1::COMMAND_RESULT_OK) << id << ": " << ack->detail();
  }
  EXPECT_EQ(h.device.decoder_stats().bytes_dropped, garbage);
  EXPECT_EQ(h.device.stats().messages_rejected, 0u);
}

TEST(SimulatedDeviceTest, ACorruptedLengthDoesNotHoldUpLaterCommandsOrTripTheWatchdog) {
  DeviceHarness h;
  h.Send(Hello(1));
  h.Send(RollerSpeed(2, 30));
  h.Run(0.2);
  // A bit error turns a command's length into 15000 bytes. Waiting for them at heartbeat
  // pace would hold every later command for about a minute.
  std::vector<uint8_t> corrupted;
  h.host.Encode(RollerSpeed(3, 60), &corrupted);
  corrupted[4] = 15000 & 0xFF;
  corrupted[5] = 15000 >> 8;
  h.device.ReceiveFromHost(corrupted.data(), corrupted.size());
  const uint64_t corrupted_at_us = h.device.time_us();
  h.Run(0.005, false);
  h.Send(RollerSpeed(4, 45));
  for (int i = 0; i < 200 && h.host.FindAck(4) == nullptr; ++i) {
    h.device.Tick();
    h.Read();
  }
  const v1::CommandAck* ack = h.host.FindAck(4);
  ASSERT_NE(ack, nullptr);
  EXPECT_EQ(ack->result(), v1::COMMAND_RESULT_OK) << ack->detail();
  EXPECT_LE(h.device.time_us() - corrupted_at_us, 50'000u);
  EXPECT_EQ(h.host.FindAck(3), nullptr);  // the corrupted command is lost, never executed
  EXPECT_EQ(h.device.decoder_stats().abandoned_frames, 1u);
  EXPECT_EQ(h.device.decoder_stats().crc_errors, 0u);

  h.Run(1.0);
  EXPECT_FALSE(h.host.HasEvent(v1::DEVICE_EVENT_FAULT_RAISED, v1::FAULT_WATCHDOG));
  EXPECT_EQ(h.host.batches.back().state(), v1::DEVICE_STATE_ACTIVE);
  EXPECT_FLOAT_EQ(h.host.samples.back().roller_rpm_cmd, 45.0f);
  EXPECT_EQ(h.device.decoder_stats().abandoned_frames, 1u);
}

TEST(SimulatedDeviceTest, AnInjectedJamRaisesAStallFault) {
  DeviceHarness h;
  h.Send(Hello(1));
  h.Send(RollerSpeed(2, 60));
  h.Run(1.0);
  h.Send(Inject(3, v1::INJECTED_FAULT_STALL, true));
  h.Run(1.0);
  EXPECT_EQ(h.host.FindAck(3)->result(), v1::COMMAND_RESULT_OK);
  EXPECT_TRUE(h.device.plant().faults().roller_jammed);
  EXPECT_TRUE(h.host.HasEvent(v1::DEVICE_EVENT_FAULT_RAISED, v1::FAULT_STALL));
  EXPECT_EQ(h.host.batches.back().state(), v1::DEVICE_STATE_FAULTED);
}

TEST(SimulatedDeviceTest, SilenceFromTheHostTripsTheWatchdog) {
  DeviceHarness h;
  h.Send(Hello(1));
  h.Send(RollerSpeed(2, 60));
  h.Run(0.5, false);
  h.Run(1.0, false);
  EXPECT_TRUE(h.host.HasEvent(v1::DEVICE_EVENT_FAULT_RAISED, v1::FAULT_WATCHDOG));
}

TEST(SimulatedDeviceTest, SameSeedAndInputGiveByteIdenticalOutput) {
  const auto run = [](uint64_t seed) {
    SimOptions options;
    options.seed = seed;
    SimulatedDevice device(options);
    TestHost host;
    std::vector<uint8_t> in, out;
    host.Encode(Hello(1), &in);
    host.Encode(RollerSpeed(2, 80), &in);
    device.ReceiveFromHost(in.data(), in.size());
    for (int i = 0; i < 1500; ++i) {
      if (i % 100 == 0) {
        in.clear();
        host.Encode(Heartbeat(), &in);
        device.ReceiveFromHost(in.data(), in.size());
      }
      device.Tick();
      if (i % 7 == 0) device.TakeOutput(&out);
    }
    device.TakeOutput(&out);
    return out;
  };
  const std::vector<uint8_t> a = run(3), b = run(3), c = run(4);
  EXPECT_GT(a.size(), 10000u);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(SimulatedDeviceTest, TenKilohertzTelemetryFitsFullSpeedUsb) {
  SimOptions options;
  options.firmware.tick_hz = 10000;
  DeviceHarness h(options);
  h.Send(Hello(1));
  h.Send(RollerSpeed(2, 90));
  std::vector<uint8_t> all;
  for (int i = 0; i < 20000; ++i) {
    if (i % 1000 == 0) h.Send(Heartbeat());
    h.device.Tick();
    h.device.TakeOutput(&all);
  }
  h.host.Decode(all);
  // All but the batch still being filled.
  EXPECT_GE(h.host.samples.size(), 20000u - 100u);
  const double bytes_per_s = static_cast<double>(all.size()) / 2.0;
  EXPECT_LT(bytes_per_s, 500e3) << "wire bytes per second at 10 kHz";
  EXPECT_EQ(h.host.batches[3].time_delta_us_size(), 100);  // 10 ms batches
}

// ---- Device programs ----

v1::ProgramSegment HoldSegment(uint32_t index, uint64_t duration_us, double rpm) {
  v1::ProgramSegment s;
  s.set_index(index);
  s.set_duration_us(duration_us);
  s.mutable_roller()->mutable_hold()->set_rpm(rpm);
  return s;
}

v1::HostMessage LoadPart(uint32_t id, uint64_t program, uint32_t total, uint32_t first,
                         const std::vector<v1::ProgramSegment>& segments) {
  v1::HostMessage m;
  m.set_command_id(id);
  v1::LoadProgram* load = m.mutable_load_program();
  load->set_program_id(program);
  load->set_total_segments(total);
  load->set_first_index(first);
  for (const auto& s : segments) *load->add_segments() = s;
  return m;
}

v1::HostMessage Start(uint32_t id, uint64_t program, uint32_t cycles, uint32_t first_cycle) {
  v1::HostMessage m;
  m.set_command_id(id);
  m.mutable_start_program()->set_program_id(program);
  m.mutable_start_program()->set_cycles(cycles);
  m.mutable_start_program()->set_first_cycle(first_cycle);
  return m;
}

void ExpectOk(const TestHost& host, uint32_t id) {
  const v1::CommandAck* ack = host.FindAck(id);
  ASSERT_NE(ack, nullptr) << "no ack for command " << id;
  EXPECT_EQ(ack->result(), v1::COMMAND_RESULT_OK) << id << ": " << ack->detail();
}

TEST(SimulatedDeviceTest, AProgramUploadedInTwoPartsRunsWithSegmentAndCycleInTelemetry) {
  DeviceHarness h;
  h.Send(Hello(1));
  h.Run(0.01);
  EXPECT_EQ(h.host.infos.at(0).capabilities().max_profile_segments(), 256u);
  v1::ProgramSegment sweep;
  sweep.set_index(2);
  sweep.set_duration_us(100'000);
  sweep.mutable_head()->mutable_sweep()->set_from_deg(0);
  sweep.mutable_head()->mutable_sweep()->set_to_deg(5);
  sweep.mutable_head()->mutable_sweep()->set_period_s(0.1);
  h.Send(LoadPart(2, 77, 3, 0, {HoldSegment(0, 200'000, 40), HoldSegment(1, 150'000, -20)}));
  h.Send(LoadPart(3, 77, 3, 2, {sweep}));
  h.Send(Start(4, 77, 2, 5));
  h.Run(1.5);
  ExpectOk(h.host, 2);
  ExpectOk(h.host, 3);
  ExpectOk(h.host, 4);

  // 450 ms per cycle, cycles 5 and 6; each sample's columns say where it was.
  uint64_t start_us = 0;
  for (const auto& e : h.host.events) {
    if (e.kind() == v1::DEVICE_EVENT_PROGRAM_STARTED) start_us = e.time_us();
  }
  ASSERT_GT(start_us, 0u);
  int in_program = 0;
  for (const auto& s : h.host.samples) {
    if (s.time_us < start_us) continue;
    const uint64_t since = s.time_us - start_us;
    if (since >= 900'000) {
      ASSERT_EQ(s.segment, -1);
      ASSERT_EQ(s.cycle, 0u);
      continue;
    }
    ++in_program;
    const uint64_t in_cycle = since % 450'000;
    ASSERT_EQ(s.segment, in_cycle < 200'000 ? 0 : in_cycle < 350'000 ? 1 : 2) << since;
    ASSERT_EQ(s.cycle, 5 + since / 450'000) << since;
  }
  EXPECT_EQ(in_program, 900);

  std::vector<uint32_t> completed;
  for (const auto& e : h.host.events) {
    if (e.kind() != v1::DEVICE_EVENT_CYCLE_COMPLETED) continue;
    completed.push_back(e.cycle());
    EXPECT_EQ(e.program_id(), 77u);
    EXPECT_EQ(e.time_us(), start_us + 450'000 * completed.size());
    EXPECT_THAT(e.detail(), HasSubstr("cycle"));
  }
  EXPECT_THAT(completed, ::testing::ElementsAre(5u, 6u));
  EXPECT_TRUE(h.host.HasEvent(v1::DEVICE_EVENT_PROGRAM_FINISHED));
  EXPECT_EQ(h.host.batches.back().program_state(), v1::PROGRAM_STATE_LOADED);
  EXPECT_EQ(h.host.batches.back().program_id(), 77u);
  EXPECT_EQ(h.host.batches.back().state(), v1::DEVICE_STATE_IDLE);
  bool saw_running = false;
  for (const auto& b : h.host.batches)
    saw_running |= b.program_state() == v1::PROGRAM_STATE_RUNNING;
  EXPECT_TRUE(saw_running);
}

TEST(SimulatedDeviceTest, ProgramCommandsAreAcknowledgedWithCodeAndReason) {
  DeviceHarness h;
  h.Send(Hello(1));
  // Segment 3 of a part starting at 0 asks for 500 rpm.
  h.Send(LoadPart(2, 9, 4, 0,
                  {HoldSegment(0, 1000, 10), HoldSegment(1, 1000, 10), HoldSegment(2, 1000, 10),
                   HoldSegment(3, 1000, 500)}));
  h.Send(LoadPart(3, 9, 4, 0, {HoldSegment(0, 1000, 10), HoldSegment(1, 0, 10)}));
  h.Send(LoadPart(4, 9, 4, 0, {HoldSegment(0, 100'000, 10), HoldSegment(1, 100'000, 20)}));
  h.Send(LoadPart(5, 9, 4, 3, {HoldSegment(3, 1000, 10)}));            // skips segment 2
  h.Send(LoadPart(6, 9, 4, 2, {HoldSegment(7, 1000, 10)}));            // wrong index field
  h.Send(Start(7, 9, 1, 1));                                           // incomplete
  h.Send(LoadPart(8, 9, 4, 0, std::vector<v1::ProgramSegment>(300)));  // too big a part
  v1::HostMessage pause;
  pause.set_command_id(9);
  pause.mutable_pause_program();
  h.Send(pause);
  h.Run(0.01);

  auto expect = [&](uint32_t id, v1::CommandResult result, const std::string& detail) {
    const v1::CommandAck* ack = h.host.FindAck(id);
    ASSERT_NE(ack, nullptr) << id;
    EXPECT_EQ(ack->result(), result) << id << ": " << ack->detail();
    EXPECT_THAT(ack->detail(), HasSubstr(detail)) << id;
  };
  expect(2, v1::COMMAND_RESULT_OUT_OF_RANGE,
         "program segment 3: roller hold rpm 500 is outside -120..120 rpm");
  expect(3, v1::COMMAND_RESULT_BAD_REQUEST, "program segment 1: duration_us must be positive");
  ExpectOk(h.host, 4);
  expect(5, v1::COMMAND_RESULT_BAD_REQUEST, "starts at segment 3, expected 2");
  expect(6, v1::COMMAND_RESULT_BAD_REQUEST, "has index 7, expected 2");
  expect(7, v1::COMMAND_RESULT_BAD_REQUEST, "no complete program 9 is loaded");
  expect(8, v1::COMMAND_RESULT_OUT_OF_RANGE, "more than this device holds (256)");
  expect(9, v1::COMMAND_RESULT_BAD_REQUEST, "pause: no program is running");

  // Complete it, run it, and see a jog refused and an e-stop abort it.
  h.Send(LoadPart(10, 9, 4, 2, {HoldSegment(2, 100'000, 30), HoldSegment(3, 100'000, 40)}));
  h.Send(Start(11, 9, 0, 1));
  h.Run(0.2);
  ExpectOk(h.host, 10);
  ExpectOk(h.host, 11);
  h.Send(RollerSpeed(12, 30));
  h.Send(LoadPart(13, 10, 1, 0, {HoldSegment(0, 1000, 10)}));
  h.Send(Start(14, 9, 0, 1));
  h.Run(0.01);
  expect(12, v1::COMMAND_RESULT_BUSY, "program 9 is running");
  expect(13, v1::COMMAND_RESULT_BUSY, "load program 10 refused: program 9 is running");
  expect(14, v1::COMMAND_RESULT_BUSY, "start program 9 refused: program 9 is running");
  v1::HostMessage estop;
  estop.set_command_id(15);
  estop.mutable_estop();
  h.Send(estop);
  h.Run(0.2);
  bool aborted = false;
  for (const auto& e : h.host.events) {
    if (e.kind() == v1::DEVICE_EVENT_PROGRAM_ABORTED) {
      aborted = true;
      EXPECT_EQ(e.program_id(), 9u);
      EXPECT_THAT(e.detail(), HasSubstr("aborted"));
    }
  }
  EXPECT_TRUE(aborted);
  EXPECT_EQ(h.host.samples.back().segment, -1);
}

TEST(SimulatedDeviceTest, PauseResumeAndStopProgramOverFrames) {
  DeviceHarness h;
  h.Send(Hello(1));
  h.Send(LoadPart(2, 5, 1, 0, {HoldSegment(0, 1'000'000, 60)}));
  h.Send(Start(3, 5, 0, 1));
  h.Run(0.5);
  v1::HostMessage m;
  m.set_command_id(4);
  m.mutable_pause_program();
  h.Send(m);
  h.Run(0.5);
  EXPECT_EQ(h.host.batches.back().program_state(), v1::PROGRAM_STATE_PAUSED);
  EXPECT_NEAR(h.host.samples.back().roller_rpm, 0, 1.0);
  m.set_command_id(5);
  m.mutable_resume_program();
  h.Send(m);
  h.Run(0.5);
  EXPECT_NEAR(h.host.samples.back().roller_rpm, 60, 1.5);
  m.set_command_id(6);
  m.mutable_stop_program()->set_at_cycle_end(false);
  h.Send(m);
  h.Run(0.5);
  for (uint32_t id = 2; id <= 6; ++id) ExpectOk(h.host, id);
  EXPECT_TRUE(h.host.HasEvent(v1::DEVICE_EVENT_PROGRAM_PAUSED));
  EXPECT_TRUE(h.host.HasEvent(v1::DEVICE_EVENT_PROGRAM_RESUMED));
  EXPECT_TRUE(h.host.HasEvent(v1::DEVICE_EVENT_PROGRAM_FINISHED));
  EXPECT_FALSE(h.host.HasEvent(v1::DEVICE_EVENT_CYCLE_COMPLETED));
  EXPECT_EQ(h.host.batches.back().state(), v1::DEVICE_STATE_IDLE);
}

}  // namespace
}  // namespace rollrig::sim
