// UsbTransport against the emulated USB device (rig/usb/usb_emulator.h) with the
// simulated massager behind it, all in this process: the binary re-executes itself under
// umockdev's preload (main() below), so unmodified libusb sees a real-looking usbfs
// device. One emulator serves the whole process (umockdev allows one).
#include "host/transport/usb_transport.h"

#include <libusb.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "host/device/device_client.h"
#include "host/transport/transport_factory.h"
#include "host/transport/usb_errors.h"
#include "rig/base/clock.h"
#include "rig/sim/sim_runner.h"
#include "rig/sim/sim_test_host.h"
#include "rig/usb/umockdev_preload.h"
#include "rig/usb/usb_emulator.h"

namespace rollrig::host {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using testing::HasSubstr;

constexpr char kSerial[] = "SIM-USB-HOST";

struct Rig {
  std::unique_ptr<sim::SimRunner> massager;
  std::unique_ptr<usb::UsbEmulator> emulator;
};
Rig* g_rig = nullptr;

class RigEnvironment : public testing::Environment {
 public:
  void SetUp() override {
    g_rig = new Rig;
    sim::SimOptions options;
    options.serial = kSerial;
    g_rig->massager = std::make_unique<sim::SimRunner>(options, RealClock());
    g_rig->massager->Start();
    usb::UsbEmulatorOptions emulator_options;
    emulator_options.identity.serial = kSerial;
    auto emulator = usb::UsbEmulator::Create(g_rig->massager.get(), emulator_options);
    ASSERT_TRUE(emulator.ok()) << emulator.status();
    g_rig->emulator = std::move(*emulator);
  }
  void TearDown() override {
    if (g_rig == nullptr) return;
    g_rig->emulator.reset();
    g_rig->massager->Stop();
    delete g_rig;
    g_rig = nullptr;
  }
};
[[maybe_unused]] testing::Environment* const g_environment =
    testing::AddGlobalTestEnvironment(new RigEnvironment);

template <typename Predicate>
bool Eventually(Predicate done, milliseconds limit = milliseconds(10000)) {
  const auto deadline = steady_clock::now() + limit;
  while (!done()) {
    if (steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(2));
  }
  return true;
}

double MsSince(steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(steady_clock::now() - t).count();
}

UsbTransportOptions Options(const std::string& serial = "") {
  UsbTransportOptions o;
  o.device.serial = serial;
  return o;
}

// Speaks the device protocol over a transport with rig/codec, as DeviceClient would.
// What the simulated massager made of its input, for failure messages.
std::string DeviceInputStats() {
  std::string out;
  g_rig->massager->WithDevice([&](sim::SimulatedDevice& d) {
    const codec::DecoderStats& ds = d.decoder_stats();
    out = absl::StrCat("device: ", d.stats().frames_received, " frames received, ",
                       d.stats().messages_rejected, " rejected, decoder ", ds.frames, " frames, ",
                       ds.crc_errors, " CRC errors, ", ds.bad_headers, " bad headers, ",
                       ds.bytes_dropped, " bytes dropped, ", ds.abandoned_frames, " abandoned");
  });
  return out;
}

class Host {
 public:
  explicit Host(Transport* t) : t_(t) {}

  absl::Status Send(const rollrig::v1::HostMessage& m) {
    std::vector<uint8_t> bytes;
    codec_.Encode(m, &bytes);
    return t_->Write(bytes.data(), bytes.size());
  }
  // Reads for up to `ms`, heartbeating every 100 ms, until `done` or an error.
  template <typename Predicate>
  absl::Status ReadUntil(Predicate done, int ms = 10000) {
    const auto deadline = steady_clock::now() + milliseconds(ms);
    auto next_heartbeat = steady_clock::now();
    std::vector<uint8_t> buf(16 * 1024);
    while (!done()) {
      if (steady_clock::now() > deadline) return absl::DeadlineExceededError("ReadUntil");
      if (steady_clock::now() >= next_heartbeat) {
        if (absl::Status s = Send(sim::Heartbeat()); !s.ok()) return s;
        next_heartbeat += milliseconds(100);
      }
      absl::StatusOr<size_t> got = t_->Read(buf.data(), buf.size(), absl::Milliseconds(20));
      if (!got.ok()) return got.status();
      codec_.Decode(std::vector<uint8_t>(buf.begin(), buf.begin() + static_cast<long>(*got)));
    }
    return absl::OkStatus();
  }
  sim::TestHost& codec() { return codec_; }

 private:
  Transport* t_;
  sim::TestHost codec_;
};

class UsbTransportTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(g_rig, nullptr);
    g_rig->emulator->Plug();
  }
  void TearDown() override { g_rig->emulator->Plug(); }
  static usb::UsbEmulatorStats EmuStats() { return g_rig->emulator->stats(); }
};

TEST_F(UsbTransportTest, OpenFindsAndClaimsTheDeviceAndCloseReleasesIt) {
  UsbTransport t(Options());
  EXPECT_EQ(t.Describe(), "usb:1209:0001");
  ASSERT_TRUE(t.Open().ok());
  EXPECT_TRUE(t.uses_hotplug());
  EXPECT_EQ(t.Describe(), std::string("usb:1209:0001 serial ") + kSerial);
  EXPECT_EQ(EmuStats().claimants, 1);
  t.Close();
  EXPECT_EQ(EmuStats().claimants, 0);
  // The emulator learns of a closed usbfs handle asynchronously.
  EXPECT_TRUE(Eventually([] { return EmuStats().open_handles == 0; }, milliseconds(3000)))
      << EmuStats().open_handles;
  absl::StatusOr<size_t> after = t.Read(nullptr, 0, absl::ZeroDuration());
  EXPECT_EQ(after.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(after.status().message()), HasSubstr("closed"));
}

TEST_F(UsbTransportTest, HelloAndTelemetryFlowThroughTheCodec) {
  UsbTransport t(Options(kSerial));
  ASSERT_TRUE(t.Open().ok());
  Host host(&t);
  const auto sent = steady_clock::now();
  ASSERT_TRUE(host.Send(sim::Hello(1)).ok());
  const double write_ms = MsSince(sent);
  ASSERT_TRUE(host.ReadUntil([&] { return host.codec().FindAck(1) != nullptr; }).ok());
  const double round_trip_ms = MsSince(sent);
  ASSERT_EQ(host.codec().infos.size(), 1u);
  EXPECT_EQ(host.codec().infos[0].serial(), kSerial);
  // A second of telemetry: about 1000 samples at 1 kHz, every counter in sequence.
  const size_t before = host.codec().samples.size();
  const auto start = steady_clock::now();
  ASSERT_TRUE(host.ReadUntil([&] { return MsSince(start) > 1000; }, 5000).ok());
  const size_t got = host.codec().samples.size() - before;
  EXPECT_GT(got, 700u);
  for (size_t i = 1; i < host.codec().samples.size(); ++i) {
    ASSERT_EQ(host.codec().samples[i].seq, host.codec().samples[i - 1].seq + 1) << i;
  }
  EXPECT_EQ(host.codec().unparsable, 0);
  const UsbTransportStats s = t.stats();
  std::printf(
      "[ figures ] Hello write %.2f ms, Hello->ack %.2f ms; %zu samples in 1 s; %llu IN "
      "transfers, %llu bytes (%.1f B/sample)\n",
      write_ms, round_trip_ms, got, static_cast<unsigned long long>(s.in_transfers),
      static_cast<unsigned long long>(s.in_bytes),
      static_cast<double>(s.in_bytes) / static_cast<double>(host.codec().samples.size()));
}

TEST_F(UsbTransportTest, UnplugFailsReadPromptlyAndReplugIsFoundAgain) {
  UsbTransport t(Options(kSerial));
  for (int round = 0; round < 5; ++round) {
    SCOPED_TRACE(round);
    ASSERT_TRUE(Eventually([&] { return t.Open().ok(); }, milliseconds(5000)));
    Host host(&t);
    ASSERT_TRUE(host.Send(sim::Hello(1)).ok());
    ASSERT_TRUE(host.ReadUntil([&] { return host.codec().samples.size() > 50; }).ok());
    const auto unplugged = steady_clock::now();
    g_rig->emulator->Unplug();
    const absl::Status lost = host.ReadUntil([] { return false; }, 5000);
    const double lost_ms = MsSince(unplugged);
    EXPECT_EQ(lost.code(), absl::StatusCode::kUnavailable) << lost;
    EXPECT_EQ(lost.message(),
              std::string("USB device 1209:0001 serial ") + kSerial + " was unplugged");
    EXPECT_LT(lost_ms, 1000) << "the loss must be seen long before a 2 s silence timeout";
    if (round == 0) std::printf("[ figures ] unplug seen by Read() after %.1f ms\n", lost_ms);
    t.Close();
    const absl::Status waiting = t.Open();
    EXPECT_EQ(waiting.code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(waiting.message(), std::string("waiting for USB device 1209:0001 (serial ") +
                                     kSerial + ") to be plugged in");
    g_rig->emulator->Plug();
  }
  EXPECT_GE(t.stats().opens, 5u);
}

TEST_F(UsbTransportTest, PollingFallbackAlsoSeesUnplugAndReplug) {
  UsbTransportOptions o = Options();
  o.force_polling = true;
  UsbTransport t(o);
  ASSERT_TRUE(t.Open().ok());
  EXPECT_FALSE(t.uses_hotplug());
  Host host(&t);
  ASSERT_TRUE(host.Send(sim::Hello(1)).ok());
  ASSERT_TRUE(host.ReadUntil([&] { return host.codec().samples.size() > 50; }).ok());
  g_rig->emulator->Unplug();
  EXPECT_EQ(host.ReadUntil([] { return false; }, 5000).code(), absl::StatusCode::kUnavailable);
  t.Close();
  EXPECT_EQ(t.Open().code(), absl::StatusCode::kUnavailable);
  g_rig->emulator->Plug();
  EXPECT_TRUE(Eventually([&] { return t.Open().ok(); }, milliseconds(5000)));
}

TEST_F(UsbTransportTest, AnotherSerialIsNotOpened) {
  UsbTransport t(Options("OTHER-SERIAL"));
  const absl::Status s = t.Open();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.message(),
            std::string("waiting for USB device 1209:0001 (serial OTHER-SERIAL) to be plugged in; "
                        "present with other serials: ") +
                kSerial);
  EXPECT_EQ(t.Describe(), "usb:1209:0001 serial OTHER-SERIAL");
  EXPECT_EQ(EmuStats().claimants, 0);
}

TEST_F(UsbTransportTest, AnotherVidPidIsNotFound) {
  UsbTransportOptions o = Options();
  o.device.product_id = 0x0002;
  UsbTransport t(o);
  const absl::Status s = t.Open();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "waiting for USB device 1209:0002 (any serial) to be plugged in");
  EXPECT_EQ(EmuStats().claimants, 0);
}

TEST_F(UsbTransportTest, ASecondClaimantIsToldTheDeviceIsBusy) {
  UsbTransport first(Options());
  ASSERT_TRUE(first.Open().ok());
  UsbTransport second(Options(kSerial));  // its own libusb context
  const absl::Status busy = second.Open();
  EXPECT_EQ(busy.code(), absl::StatusCode::kFailedPrecondition) << busy;
  EXPECT_THAT(
      std::string(busy.message()),
      HasSubstr(std::string("USB device 1209:0001 serial ") + kSerial +
                ": claiming interface 0 failed: the device is busy, claimed by another program"));
  first.Close();
  EXPECT_TRUE(second.Open().ok());
}

TEST_F(UsbTransportTest, CloseFromAnotherThreadEndsABlockedRead) {
  UsbTransport t(Options());
  ASSERT_TRUE(t.Open().ok());
  // No Hello: the device stays silent, so Read() blocks.
  std::atomic<bool> returned{false};
  absl::Status result;
  std::thread reader([&] {
    std::vector<uint8_t> buf(4096);
    for (;;) {
      absl::StatusOr<size_t> got = t.Read(buf.data(), buf.size(), absl::Seconds(30));
      if (!got.ok()) {
        result = got.status();
        break;
      }
    }
    returned = true;
  });
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_FALSE(returned.load());
  const auto closed = steady_clock::now();
  t.Close();
  ASSERT_TRUE(Eventually([&] { return returned.load(); }, milliseconds(3000)));
  EXPECT_LT(MsSince(closed), 3000);
  reader.join();
  EXPECT_EQ(result.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(EmuStats().claimants, 0);
}

TEST_F(UsbTransportTest, ADeviceResetIsALossAndTheSameSerialIsFoundAgain) {
  UsbTransport t(Options(kSerial));
  ASSERT_TRUE(t.Open().ok());
  Host host(&t);
  ASSERT_TRUE(host.Send(sim::Hello(1)).ok());
  ASSERT_TRUE(host.ReadUntil([&] { return host.codec().samples.size() > 20; }).ok());
  g_rig->emulator->Reset();
  EXPECT_EQ(host.ReadUntil([] { return false; }, 5000).code(), absl::StatusCode::kUnavailable);
  t.Close();
  ASSERT_TRUE(Eventually([&] { return t.Open().ok(); }, milliseconds(5000)));
  Host again(&t);
  ASSERT_TRUE(again.Send(sim::Hello(1)).ok());
  EXPECT_TRUE(again.ReadUntil([&] { return again.codec().FindAck(1) != nullptr; }).ok())
      << again.codec().infos.size() << " infos, " << again.codec().acks.size() << " acks, "
      << again.codec().samples.size() << " samples, " << again.codec().unparsable
      << " unparsable, host decoder " << again.codec().decoder_stats().frames << " frames, "
      << again.codec().decoder_stats().crc_errors << " CRC errors, "
      << again.codec().decoder_stats().bytes_dropped << " bytes dropped, "
      << again.codec().decoder_stats().sequence_gaps << " sequence gaps; " << DeviceInputStats();
}

TEST_F(UsbTransportTest, AWriteTheBusCannotCarryInTimeFailsClearly) {
  UsbTransportOptions o = Options(kSerial);
  o.write_timeout = absl::Milliseconds(2);
  UsbTransport t(o);
  ASSERT_TRUE(t.Open().ok());
  // 64 KiB is over a thousand 64-byte packets: dozens of 1 ms frames at full speed.
  const std::vector<uint8_t> big(64 * 1024, 0x55);
  const absl::Status s = t.Write(big.data(), big.size());
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded) << s;
  EXPECT_EQ(s.message(), std::string("USB device 1209:0001 serial ") + kSerial +
                             ": the device did not take 65536 bytes on endpoint 0x01 within 2ms "
                             "(it stopped reading commands: firmware hung?)");
}

TEST_F(UsbTransportTest, FactoryMakesUsbTransports) {
  auto any = MakeTransport("usb");
  ASSERT_TRUE(any.ok()) << any.status();
  EXPECT_EQ((*any)->Describe(), "usb:1209:0001");
  auto one = MakeTransport(std::string("usb:") + kSerial);
  ASSERT_TRUE(one.ok()) << one.status();
  ASSERT_TRUE((*one)->Open().ok());
  (*one)->Close();
  const auto empty = MakeTransport("usb:");
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(empty.status().message()), HasSubstr("'usb:'"));
}

TEST(UsbErrorsTest, LibusbErrorsMapToStatusesABenchEngineerCanActOn) {
  const std::string dev = "USB device 1209:0001 serial X";
  const absl::Status access = UsbErrorToStatus(LIBUSB_ERROR_ACCESS, dev, "opening the device");
  EXPECT_EQ(access.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(access.message()), HasSubstr("packaging/udev/70-rollrig.rules"));
  EXPECT_EQ(UsbErrorToStatus(LIBUSB_ERROR_BUSY, dev, "claiming interface 0").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(UsbErrorToStatus(LIBUSB_ERROR_NO_DEVICE, dev, "x").message(), dev + " was unplugged");
  EXPECT_EQ(UsbErrorToStatus(LIBUSB_ERROR_TIMEOUT, dev, "x").code(),
            absl::StatusCode::kDeadlineExceeded);
  const absl::Status io = UsbErrorToStatus(LIBUSB_ERROR_IO, dev, "reading its serial number");
  EXPECT_EQ(io.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(io.message()), HasSubstr("reading its serial number failed"));
  EXPECT_THAT(std::string(io.message()), HasSubstr("LIBUSB_ERROR_IO"));
  EXPECT_EQ(UsbTransferStatusToStatus(LIBUSB_TRANSFER_NO_DEVICE, dev, 0x81).message(),
            dev + " was unplugged");
  EXPECT_THAT(std::string(UsbTransferStatusToStatus(LIBUSB_TRANSFER_STALL, dev, 0x81).message()),
              HasSubstr("endpoint 0x81 stalls again after clearing the halt"));
}

TEST_F(UsbTransportTest, DeviceClientStreams1kHzWithoutGapsAndSeesUnplugAtOnce) {
  DeviceClientOptions options;
  DeviceClient client(std::make_unique<UsbTransport>(Options(kSerial)), options);
  client.Start();
  ASSERT_TRUE(client.WaitConnected(absl::Seconds(10)).ok());
  EXPECT_EQ(client.Snapshot().transport, std::string("usb:1209:0001 serial ") + kSerial);
  // An earlier test may have left the watchdog fault latched (its host went away).
  rollrig::v1::HostMessage clear;
  clear.mutable_clear_faults();
  ASSERT_TRUE(client.SendCommandAndWait(clear).ok());
  // Command round trips over USB.
  std::vector<double> rtt_ms;
  for (int i = 0; i < 50; ++i) {
    rollrig::v1::HostMessage jog;
    jog.mutable_set_roller_speed()->set_rpm(10 + i % 5);
    const auto t0 = steady_clock::now();
    const absl::Status jogged = client.SendCommandAndWait(jog);
    ASSERT_TRUE(jogged.ok()) << jogged;
    rtt_ms.push_back(MsSince(t0));
  }
  std::sort(rtt_ms.begin(), rtt_ms.end());
  const uint64_t start_samples = client.Snapshot().samples_received;
  const auto start = steady_clock::now();
  std::this_thread::sleep_for(milliseconds(3000));
  const DeviceSnapshot snap = client.Snapshot();
  const double seconds = MsSince(start) / 1000.0;
  const double rate = static_cast<double>(snap.samples_received - start_samples) / seconds;
  EXPECT_EQ(snap.connection, rollrig::v1::CONNECTION_STATE_CONNECTED);
  EXPECT_GT(rate, 900);
  EXPECT_LT(rate, 1100);
  EXPECT_EQ(snap.samples_lost, 0u);
  EXPECT_EQ(snap.frames_dropped, 0u);
  std::printf(
      "[ figures ] DeviceClient over USB: %.0f samples/s, %llu lost; command round trip "
      "p50 %.2f ms, p99 %.2f ms\n",
      rate, static_cast<unsigned long long>(snap.samples_lost), rtt_ms[rtt_ms.size() / 2],
      rtt_ms[rtt_ms.size() * 99 / 100]);

  const auto unplugged = steady_clock::now();
  g_rig->emulator->Unplug();
  ASSERT_TRUE(Eventually(
      [&] { return client.Snapshot().connection != rollrig::v1::CONNECTION_STATE_CONNECTED; }));
  const double lost_ms = MsSince(unplugged);
  EXPECT_LT(lost_ms, 1000) << "seen through the transport, not the 2 s silence timeout";
  std::printf("[ figures ] DeviceClient saw the unplug after %.1f ms\n", lost_ms);
  EXPECT_TRUE(Eventually([&] {
    return client.Snapshot().detail.find("waiting for USB device 1209:0001") != std::string::npos;
  })) << client.Snapshot().detail;
  g_rig->emulator->Plug();
  EXPECT_TRUE(client.WaitConnected(absl::Seconds(10)).ok());
  client.Stop();
}

}  // namespace
}  // namespace rollrig::host
