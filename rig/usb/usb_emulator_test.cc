// The emulated USB device seen through unmodified libusb, in this process (the test
// binary runs under umockdev's preload, see usb_test_main.cc). One emulator serves the
// whole process; its device is a scripted byte pipe or the simulated massager.
#include "rig/usb/usb_emulator.h"

#include <libusb.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "rig/base/clock.h"
#include "rig/sim/sim_runner.h"
#include "rig/sim/sim_test_host.h"
#include "rig/usb/usb_descriptors.h"

namespace rollrig::usb {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

constexpr char kSerial[] = "SIM-USB-7";

// A device whose output the test scripts, recording what the host sent.
class ScriptedDevice final : public sim::DevicePipe {
 public:
  void WriteFromHost(const uint8_t* data, size_t n) override {
    std::lock_guard<std::mutex> lock(mu_);
    received_.insert(received_.end(), data, data + n);
  }
  size_t ReadToHost(uint8_t* buf, size_t cap, int64_t timeout_ns) override {
    std::unique_lock<std::mutex> lock(mu_);
    ready_.wait_for(lock, std::chrono::nanoseconds(timeout_ns), [&] { return !output_.empty(); });
    const size_t n = std::min(cap, output_.size());
    std::copy(output_.begin(), output_.begin() + static_cast<long>(n), buf);
    output_.erase(output_.begin(), output_.begin() + static_cast<long>(n));
    return n;
  }
  void DiscardPipes() override {
    std::lock_guard<std::mutex> lock(mu_);
    output_.clear();
    received_.clear();
  }
  void Send(const std::vector<uint8_t>& bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    output_.insert(output_.end(), bytes.begin(), bytes.end());
    ready_.notify_all();
  }
  std::vector<uint8_t> received() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }

 private:
  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<uint8_t> output_;
  std::vector<uint8_t> received_;
};

// Forwards to the scripted device or to the simulated massager.
class SwitchedPipe final : public sim::DevicePipe {
 public:
  void Use(sim::DevicePipe* target) { target_.store(target); }
  void WriteFromHost(const uint8_t* data, size_t n) override {
    target_.load()->WriteFromHost(data, n);
  }
  size_t ReadToHost(uint8_t* buf, size_t cap, int64_t timeout_ns) override {
    return target_.load()->ReadToHost(buf, cap, timeout_ns);
  }
  void DiscardPipes() override { target_.load()->DiscardPipes(); }

 private:
  std::atomic<sim::DevicePipe*> target_{nullptr};
};

struct Rig {
  ScriptedDevice scripted;
  std::unique_ptr<sim::SimRunner> massager;
  SwitchedPipe pipe;
  std::unique_ptr<UsbEmulator> emulator;
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
    g_rig->pipe.Use(&g_rig->scripted);
    UsbEmulatorOptions emulator_options;
    emulator_options.identity.serial = kSerial;
    auto emulator = UsbEmulator::Create(&g_rig->pipe, emulator_options);
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
bool Eventually(Predicate done, milliseconds limit = milliseconds(5000)) {
  const auto deadline = steady_clock::now() + limit;
  while (!done()) {
    if (steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(2));
  }
  return true;
}

class UsbEmulatorTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(g_rig, nullptr);
    g_rig->pipe.Use(&g_rig->scripted);
    g_rig->emulator->Plug();
    ASSERT_EQ(libusb_init(&ctx_), 0);
  }
  void TearDown() override {
    for (libusb_device_handle* h : handles_) libusb_close(h);
    libusb_exit(ctx_);
  }

  libusb_device_handle* Open() {
    libusb_device_handle* h = libusb_open_device_with_vid_pid(ctx_, kVendorId, kProductId);
    if (h != nullptr) handles_.push_back(h);
    return h;
  }
  void Close(libusb_device_handle* h) {
    handles_.erase(std::remove(handles_.begin(), handles_.end(), h), handles_.end());
    libusb_close(h);
  }
  libusb_device_handle* OpenAndClaim() {
    libusb_device_handle* h = Open();
    if (h == nullptr) return nullptr;
    EXPECT_EQ(libusb_claim_interface(h, kInterfaceNumber), 0);
    return h;
  }
  // One bulk IN transfer of `size` bytes; the bytes received (empty on error or timeout).
  static std::vector<uint8_t> ReadIn(libusb_device_handle* h, int size, int* result = nullptr,
                                     unsigned timeout_ms = 3000) {
    std::vector<uint8_t> buf(static_cast<size_t>(size));
    int got = 0;
    const int r = libusb_bulk_transfer(h, kBulkInEndpoint, buf.data(), size, &got, timeout_ms);
    if (result != nullptr) *result = r;
    buf.resize(r == 0 ? static_cast<size_t>(got) : 0);
    return buf;
  }

  libusb_context* ctx_ = nullptr;
  std::vector<libusb_device_handle*> handles_;
};

std::vector<uint8_t> Pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i * 7);
  return v;
}

TEST_F(UsbEmulatorTest, EnumeratesByVidPidWithTheDescriptorsOfTheUsbFace) {
  libusb_device** list = nullptr;
  const ssize_t n = libusb_get_device_list(ctx_, &list);
  ASSERT_GE(n, 1);
  int found = 0;
  for (ssize_t i = 0; i < n; ++i) {
    libusb_device_descriptor d{};
    ASSERT_EQ(libusb_get_device_descriptor(list[i], &d), 0);
    if (d.idVendor != kVendorId || d.idProduct != kProductId) continue;
    ++found;
    EXPECT_EQ(d.iSerialNumber, kSerialStringIndex);
    EXPECT_EQ(libusb_get_device_speed(list[i]), LIBUSB_SPEED_FULL);
    libusb_config_descriptor* config = nullptr;
    ASSERT_EQ(libusb_get_active_config_descriptor(list[i], &config), 0);
    ASSERT_EQ(config->bNumInterfaces, 1);
    const libusb_interface_descriptor& alt = config->interface[0].altsetting[0];
    EXPECT_EQ(alt.bInterfaceClass, LIBUSB_CLASS_VENDOR_SPEC);
    ASSERT_EQ(alt.bNumEndpoints, 2);
    EXPECT_EQ(alt.endpoint[0].bEndpointAddress, kBulkOutEndpoint);
    EXPECT_EQ(alt.endpoint[1].bEndpointAddress, kBulkInEndpoint);
    EXPECT_EQ(alt.endpoint[1].wMaxPacketSize, kMaxPacketSize);
    EXPECT_EQ(alt.endpoint[1].bmAttributes & 3, LIBUSB_TRANSFER_TYPE_BULK);
    libusb_free_config_descriptor(config);
  }
  libusb_free_device_list(list, 1);
  EXPECT_EQ(found, 1);
}

TEST_F(UsbEmulatorTest, AWrongVidPidIsNotFound) {
  EXPECT_EQ(libusb_open_device_with_vid_pid(ctx_, kVendorId, kProductId + 1), nullptr);
  EXPECT_EQ(libusb_open_device_with_vid_pid(ctx_, 0x16c0, kProductId), nullptr);
  EXPECT_NE(Open(), nullptr);
}

TEST_F(UsbEmulatorTest, ReadsTheStringDescriptors) {
  libusb_device_handle* h = Open();
  ASSERT_NE(h, nullptr);
  unsigned char text[256];
  int n = libusb_get_string_descriptor_ascii(h, kSerialStringIndex, text, sizeof text);
  ASSERT_GT(n, 0) << libusb_error_name(n);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(text), static_cast<size_t>(n)), kSerial);
  n = libusb_get_string_descriptor_ascii(h, kManufacturerStringIndex, text, sizeof text);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(text), static_cast<size_t>(n)), "rollrig");
  // A string that does not exist stalls.
  EXPECT_EQ(libusb_get_string_descriptor_ascii(h, 9, text, sizeof text), LIBUSB_ERROR_PIPE);
}

TEST_F(UsbEmulatorTest, BulkOutReachesTheDevice) {
  libusb_device_handle* h = OpenAndClaim();
  ASSERT_NE(h, nullptr);
  std::vector<uint8_t> sent;
  for (const size_t size : {1u, 64u, 100u, 4000u}) {
    std::vector<uint8_t> chunk = Pattern(size, static_cast<uint8_t>(size));
    int done = 0;
    ASSERT_EQ(libusb_bulk_transfer(h, kBulkOutEndpoint, chunk.data(), static_cast<int>(size), &done,
                                   3000),
              0);
    EXPECT_EQ(done, static_cast<int>(size));
    sent.insert(sent.end(), chunk.begin(), chunk.end());
  }
  EXPECT_EQ(g_rig->scripted.received(), sent);
}

TEST_F(UsbEmulatorTest, BulkInEndsAtAShortPacketOrAFullBuffer) {
  libusb_device_handle* h = OpenAndClaim();
  ASSERT_NE(h, nullptr);
  // 100 bytes: one full packet and a short one end the transfer.
  const std::vector<uint8_t> a = Pattern(100, 1);
  g_rig->scripted.Send(a);
  EXPECT_EQ(ReadIn(h, 512), a);
  // 128 bytes end on a packet boundary: the device ends the transfer with a ZLP.
  const std::vector<uint8_t> b = Pattern(128, 2);
  g_rig->scripted.Send(b);
  EXPECT_EQ(ReadIn(h, 512), b);
  // 600 bytes into 512-byte transfers: a full buffer, then the rest.
  const std::vector<uint8_t> c = Pattern(600, 3);
  g_rig->scripted.Send(c);
  std::vector<uint8_t> got = ReadIn(h, 512);
  EXPECT_EQ(got.size(), 512u);
  const std::vector<uint8_t> rest = ReadIn(h, 512);
  got.insert(got.end(), rest.begin(), rest.end());
  EXPECT_EQ(got, c);
  // No data: the transfer times out.
  int r = 0;
  ReadIn(h, 64, &r, 100);
  EXPECT_EQ(r, LIBUSB_ERROR_TIMEOUT);
}

TEST_F(UsbEmulatorTest, TheBusCarriesAtMostTheFramePacketBudget) {
  libusb_device_handle* h = OpenAndClaim();
  ASSERT_NE(h, nullptr);
  const UsbEmulatorStats before = g_rig->emulator->stats();
  constexpr size_t kTotal = 600 * 1024;
  const std::vector<uint8_t> data = Pattern(kTotal, 9);
  g_rig->scripted.Send(data);
  std::vector<uint8_t> got;
  const auto start = steady_clock::now();
  while (got.size() < kTotal) {
    int r = 0;
    const std::vector<uint8_t> part = ReadIn(h, 16384, &r);
    ASSERT_EQ(r, 0) << libusb_error_name(r);
    got.insert(got.end(), part.begin(), part.end());
  }
  const double elapsed = std::chrono::duration<double>(steady_clock::now() - start).count();
  EXPECT_EQ(got, data);
  const UsbEmulatorStats after = g_rig->emulator->stats();
  EXPECT_LE(after.max_packets_in_a_frame, kMaxBulkPacketsPerFrame);
  EXPECT_GT(after.frames_at_packet_budget, before.frames_at_packet_budget);
  // 19 x 64 bytes per ms is 1.216 MB/s at most, whatever the machine's speed.
  const double rate = static_cast<double>(kTotal) / elapsed;
  EXPECT_LT(rate, 1.3e6);
  std::printf("bulk IN at the frame cap: %.0f kB/s, %llu frames at the packet budget\n", rate / 1e3,
              static_cast<unsigned long long>(after.frames_at_packet_budget -
                                              before.frames_at_packet_budget));
}

TEST_F(UsbEmulatorTest, ASecondClaimantIsBusyUntilTheFirstLetsGo) {
  libusb_device_handle* first = OpenAndClaim();
  ASSERT_NE(first, nullptr);
  libusb_device_handle* second = Open();
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(libusb_claim_interface(second, kInterfaceNumber), LIBUSB_ERROR_BUSY);
  EXPECT_EQ(g_rig->emulator->stats().claimants, 1);
  // Closing the first handle ends its claim (its usbfs connection goes away).
  Close(first);
  EXPECT_TRUE(Eventually([&] { return libusb_claim_interface(second, kInterfaceNumber) == 0; }));
}

// libusb events on a thread of their own, as a transport runs them.
class EventThread {
 public:
  explicit EventThread(libusb_context* ctx)
      : ctx_(ctx), thread_([this] {
          while (!stop_) {
            timeval tv{0, 50000};
            libusb_handle_events_timeout_completed(ctx_, &tv, nullptr);
          }
        }) {}
  ~EventThread() {
    stop_ = true;
    thread_.join();
  }

 private:
  libusb_context* ctx_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST_F(UsbEmulatorTest, UnplugFailsInFlightTransfersAndHotplugSeesLeaveAndArrival) {
  ASSERT_NE(libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG), 0);
  std::atomic<int> arrived{0};
  std::atomic<int> left{0};
  struct Counters {
    std::atomic<int>* arrived;
    std::atomic<int>* left;
  } counters{&arrived, &left};
  libusb_hotplug_callback_handle hotplug = 0;
  ASSERT_EQ(libusb_hotplug_register_callback(
                ctx_,
                static_cast<libusb_hotplug_event>(LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED |
                                                  LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT),
                LIBUSB_HOTPLUG_NO_FLAGS, kVendorId, kProductId, LIBUSB_HOTPLUG_MATCH_ANY,
                [](libusb_context*, libusb_device*, libusb_hotplug_event event, void* data) {
                  auto* c = static_cast<Counters*>(data);
                  (event == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED ? *c->arrived : *c->left) += 1;
                  return 0;
                },
                &counters, &hotplug),
            0);
  libusb_device_handle* h = OpenAndClaim();
  ASSERT_NE(h, nullptr);
  struct InFlight {
    std::atomic<int> status{-1};
    std::atomic<bool> done{false};
  } in_flight;
  std::vector<uint8_t> buf(4096);
  libusb_transfer* t = libusb_alloc_transfer(0);
  libusb_fill_bulk_transfer(
      t, h, kBulkInEndpoint, buf.data(), static_cast<int>(buf.size()),
      [](libusb_transfer* x) {
        auto* f = static_cast<InFlight*>(x->user_data);
        f->status = x->status;
        f->done = true;
      },
      &in_flight, 0);
  ASSERT_EQ(libusb_submit_transfer(t), 0);
  {
    EventThread events(ctx_);
    std::this_thread::sleep_for(milliseconds(50));
    EXPECT_FALSE(in_flight.done);  // nothing to read: it stays in flight
    g_rig->emulator->Unplug();
    EXPECT_TRUE(Eventually([&] { return in_flight.done.load(); }));
    EXPECT_EQ(in_flight.status, LIBUSB_TRANSFER_NO_DEVICE);
    EXPECT_TRUE(Eventually([&] { return left.load() >= 1; }));
    // Everything on the old handle fails with NO_DEVICE now.
    int got = 0;
    EXPECT_EQ(libusb_bulk_transfer(h, kBulkOutEndpoint, buf.data(), 8, &got, 500),
              LIBUSB_ERROR_NO_DEVICE);
    EXPECT_EQ(libusb_open_device_with_vid_pid(ctx_, kVendorId, kProductId), nullptr);
    g_rig->emulator->Plug();
    EXPECT_TRUE(Eventually([&] { return arrived.load() >= 1; }));
  }
  libusb_free_transfer(t);
  libusb_hotplug_deregister_callback(ctx_, hotplug);
  // The new device works.
  libusb_device_handle* again = OpenAndClaim();
  ASSERT_NE(again, nullptr);
  g_rig->scripted.Send(Pattern(10, 4));
  EXPECT_EQ(ReadIn(again, 64), Pattern(10, 4));
}

TEST_F(UsbEmulatorTest, TheSimulatedMassagerAnswersAndStreamsTelemetryOverBulk) {
  g_rig->pipe.Use(g_rig->massager.get());
  g_rig->emulator->Reset();  // a clean start with the massager behind the bus
  libusb_device_handle* h = OpenAndClaim();
  ASSERT_NE(h, nullptr);
  sim::TestHost host;
  std::vector<uint8_t> hello;
  host.Encode(sim::Hello(1), &hello);
  int done = 0;
  ASSERT_EQ(libusb_bulk_transfer(h, kBulkOutEndpoint, hello.data(), static_cast<int>(hello.size()),
                                 &done, 3000),
            0);
  const UsbEmulatorStats before = g_rig->emulator->stats();
  const auto start = steady_clock::now();
  while (steady_clock::now() - start < seconds(1)) {
    host.Decode(ReadIn(h, 4096));
  }
  const UsbEmulatorStats after = g_rig->emulator->stats();
  ASSERT_EQ(host.infos.size(), 1u);
  EXPECT_EQ(host.infos[0].serial(), kSerial);
  EXPECT_NE(host.FindAck(1), nullptr);
  EXPECT_EQ(host.unparsable, 0);
  EXPECT_GE(host.samples.size(), 300u);  // ~1000 in a second at 1 kHz
  const uint64_t transfers = after.bulk_in_urbs - before.bulk_in_urbs;
  std::printf("1 s of telemetry: %zu samples in %llu IN transfers, %llu bytes\n",
              host.samples.size(), static_cast<unsigned long long>(transfers),
              static_cast<unsigned long long>(after.bytes_in - before.bytes_in));
  // Batched: far fewer transfers than samples.
  EXPECT_LT(transfers, host.samples.size() / 2);
}

}  // namespace
}  // namespace rollrig::usb
