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
  DeviceHarness h;
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

}  // namespace
}  // namespace rollrig::sim
