#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "host/transport/fault_injecting_transport.h"
#include "host/transport/sim_transport.h"
#include "host/transport/tcp_transport.h"
#include "host/transport/transport_factory.h"
#include "rig/codec/frame_codec.h"
#include "rollrig/v1/device.pb.h"

namespace rollrig::host {
namespace {

using ::testing::HasSubstr;

// ---- A listening socket on a free loopback port, for TCP tests ----
class LoopbackListener {
 public:
  LoopbackListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(fd_, 4), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~LoopbackListener() { Close(); }
  int Accept() { return ::accept(fd_, nullptr, nullptr); }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// A port nobody listens on: bound, then released.
uint16_t UnusedPort() {
  LoopbackListener listener;
  return listener.port();
}

// ---- An in-memory transport under the fault injector ----
class MemoryTransport final : public Transport {
 public:
  absl::Status Open() override {
    open_ = true;
    return absl::OkStatus();
  }
  absl::Status Write(const uint8_t* data, size_t n) override {
    std::lock_guard<std::mutex> lock(mu_);
    written_.insert(written_.end(), data, data + n);
    return absl::OkStatus();
  }
  absl::StatusOr<size_t> Read(uint8_t* buf, size_t cap, absl::Duration) override {
    if (!open_) return absl::UnavailableError("closed");
    std::lock_guard<std::mutex> lock(mu_);
    const size_t n = std::min(cap, to_read_.size());
    for (size_t i = 0; i < n; ++i) {
      buf[i] = to_read_.front();
      to_read_.pop_front();
    }
    return n;
  }
  void Close() override { open_ = false; }
  std::string Describe() const override { return "memory"; }

  void Feed(const std::vector<uint8_t>& bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    to_read_.insert(to_read_.end(), bytes.begin(), bytes.end());
  }

 private:
  std::atomic<bool> open_{false};
  std::mutex mu_;
  std::deque<uint8_t> to_read_;
  std::vector<uint8_t> written_;
};

std::vector<uint8_t> Pattern(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 7 + 3);
  return v;
}

// ---- Factory ----

TEST(TransportFactoryTest, MakesSimAndTcp) {
  auto sim = MakeTransport("sim");
  ASSERT_TRUE(sim.ok()) << sim.status();
  EXPECT_EQ((*sim)->Describe(), "sim");
  auto tcp = MakeTransport("tcp:127.0.0.1:7000");
  ASSERT_TRUE(tcp.ok()) << tcp.status();
  EXPECT_EQ((*tcp)->Describe(), "tcp:127.0.0.1:7000");
  auto v6 = MakeTransport("tcp:[::1]:7001");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ((*v6)->Describe(), "tcp:[::1]:7001");
}

TEST(TransportFactoryTest, UnknownSpecIsInvalidArgumentNamingIt) {
  auto t = MakeTransport("serial");
  ASSERT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(t.status().message(),
            "unknown device 'serial': expected sim, tcp:HOST:PORT, usb, usb:SERIAL, replay:PATH "
            "or replay-fast:PATH");
  EXPECT_EQ(MakeTransport("").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(TransportFactoryTest, ReplayOfAMissingRecordingFailsNamingIt) {
  EXPECT_EQ(MakeTransport("replay:").status().code(), absl::StatusCode::kInvalidArgument);
  auto t = MakeTransport("replay:/nonexistent/run.mcap");
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("/nonexistent/run.mcap"));
}

TEST(TransportFactoryTest, BadPortIsInvalidArgumentNamingIt) {
  for (const char* spec :
       {"tcp:localhost:99999", "tcp:localhost:abc", "tcp:localhost:0", "tcp:localhost:"}) {
    auto t = MakeTransport(spec);
    ASSERT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument) << spec;
    EXPECT_THAT(std::string(t.status().message()), HasSubstr("bad port")) << spec;
  }
  EXPECT_THAT(std::string(MakeTransport("tcp:localhost:99999").status().message()),
              HasSubstr("'99999'"));
  EXPECT_EQ(MakeTransport("tcp:7000").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeTransport("tcp::7000").status().code(), absl::StatusCode::kInvalidArgument);
}

// ---- TCP ----

TEST(TcpTransportTest, ConnectionRefusedNamesTheAddress) {
  const uint16_t port = UnusedPort();
  TcpTransport t("127.0.0.1", port);
  absl::Status s = t.Open();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.message()), HasSubstr(absl::StrCat("127.0.0.1:", port)));
}

TEST(TcpTransportTest, RoundTripTimeoutAndPeerClose) {
  LoopbackListener listener;
  TcpTransport t("127.0.0.1", listener.port());
  ASSERT_TRUE(t.Open().ok());
  const int peer = listener.Accept();
  ASSERT_GE(peer, 0);

  // Write sends everything, even more than a socket buffer holds at once.
  const std::vector<uint8_t> big = Pattern(1 << 20);
  std::vector<uint8_t> echoed;
  std::thread reader([&] {
    std::vector<uint8_t> buf(65536);
    while (echoed.size() < big.size()) {
      const ssize_t r = ::recv(peer, buf.data(), buf.size(), 0);
      if (r <= 0) break;
      echoed.insert(echoed.end(), buf.begin(), buf.begin() + r);
    }
  });
  ASSERT_TRUE(t.Write(big.data(), big.size()).ok());
  reader.join();
  EXPECT_EQ(echoed, big);

  // Read: nothing there -> 0 after the timeout; then bytes arrive.
  uint8_t buf[64];
  auto got = t.Read(buf, sizeof(buf), absl::Milliseconds(20));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, 0u);
  const uint8_t hello[] = {1, 2, 3};
  ASSERT_EQ(::send(peer, hello, 3, 0), 3);
  got = t.Read(buf, sizeof(buf), absl::Seconds(5));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, 3u);

  // The peer goes away: UNAVAILABLE, naming it, and writes fail too (no SIGPIPE).
  ::close(peer);
  got = t.Read(buf, sizeof(buf), absl::Seconds(5));
  ASSERT_EQ(got.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(
      std::string(got.status().message()),
      HasSubstr(absl::StrCat("rig-sim at 127.0.0.1:", listener.port(), " closed the connection")));
  absl::Status w;
  for (int i = 0; i < 100 && w.ok(); ++i) w = t.Write(big.data(), 1024);
  EXPECT_EQ(w.code(), absl::StatusCode::kUnavailable);
}

TEST(TcpTransportTest, CloseWakesABlockedRead) {
  LoopbackListener listener;
  TcpTransport t("127.0.0.1", listener.port());
  ASSERT_TRUE(t.Open().ok());
  const int peer = listener.Accept();
  absl::StatusOr<size_t> got;
  const auto start = std::chrono::steady_clock::now();
  std::thread reader([&] {
    uint8_t buf[16];
    got = t.Read(buf, sizeof(buf), absl::Seconds(30));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  t.Close();
  reader.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable);
  // And it can be opened again.
  ASSERT_TRUE(t.Open().ok());
  ::close(peer);
}

// ---- Fault injection ----

TEST(FaultInjectingTransportTest, CleanByDefault) {
  auto inner = std::make_unique<MemoryTransport>();
  MemoryTransport* mem = inner.get();
  FaultInjectingTransport t(std::move(inner));
  ASSERT_TRUE(t.Open().ok());
  mem->Feed(Pattern(100));
  uint8_t buf[256];
  auto got = t.Read(buf, sizeof(buf), absl::ZeroDuration());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(std::vector<uint8_t>(buf, buf + *got), Pattern(100));
  EXPECT_EQ(t.Describe(), "memory");
}

TEST(FaultInjectingTransportTest, CorruptsDropsAndInsertsGarbageDeterministically) {
  auto run = [](const FaultInjectionOptions& options, FaultInjectionStats* stats) {
    auto inner = std::make_unique<MemoryTransport>();
    MemoryTransport* mem = inner.get();
    FaultInjectingTransport t(std::move(inner), options);
    EXPECT_TRUE(t.Open().ok());
    std::vector<uint8_t> out;
    for (int i = 0; i < 50; ++i) {
      mem->Feed(Pattern(100));
      uint8_t buf[512];
      auto got = t.Read(buf, sizeof(buf), absl::ZeroDuration());
      EXPECT_TRUE(got.ok());
      out.insert(out.end(), buf, buf + *got);
    }
    *stats = t.stats();
    return out;
  };
  FaultInjectionOptions options;
  options.seed = 42;
  options.corrupt_byte_probability = 0.01;
  options.drop_read_probability = 0.2;
  options.garbage_probability = 0.3;
  FaultInjectionStats a_stats, b_stats;
  const auto a = run(options, &a_stats);
  const auto b = run(options, &b_stats);
  EXPECT_EQ(a, b);  // same seed, same damage
  EXPECT_GT(a_stats.bytes_corrupted, 0u);
  EXPECT_GT(a_stats.reads_dropped, 0u);
  EXPECT_GT(a_stats.garbage_bytes, 0u);
  EXPECT_EQ(a.size(), 50 * 100 - a_stats.bytes_dropped + a_stats.garbage_bytes);
}

TEST(FaultInjectingTransportTest, DisconnectAndReconnect) {
  auto inner = std::make_unique<MemoryTransport>();
  FaultInjectingTransport t(std::move(inner));
  ASSERT_TRUE(t.Open().ok());
  t.SetDisconnected(true);
  uint8_t buf[8];
  EXPECT_EQ(t.Read(buf, sizeof(buf), absl::ZeroDuration()).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(t.Write(buf, 1).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(t.Open().code(), absl::StatusCode::kUnavailable);
  t.SetDisconnected(false);
  ASSERT_TRUE(t.Open().ok());
  EXPECT_TRUE(t.Read(buf, sizeof(buf), absl::ZeroDuration()).ok());
  EXPECT_TRUE(t.Write(buf, 1).ok());
}

TEST(FaultInjectingTransportTest, StalledReadsReturnNothingAndCloseEndsThem) {
  auto inner = std::make_unique<MemoryTransport>();
  MemoryTransport* mem = inner.get();
  FaultInjectingTransport t(std::move(inner));
  ASSERT_TRUE(t.Open().ok());
  mem->Feed(Pattern(10));
  t.SetReadsStalled(true);
  uint8_t buf[16];
  auto got = t.Read(buf, sizeof(buf), absl::Milliseconds(10));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, 0u);
  t.SetReadsStalled(false);
  got = t.Read(buf, sizeof(buf), absl::Milliseconds(10));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, 10u);
}

// ---- Sim ----

TEST(SimTransportTest, AnswersHelloAndCloseWakesRead) {
  sim::SimOptions options;
  SimTransport t(options);
  ASSERT_TRUE(t.Open().ok());
  rollrig::v1::HostMessage hello;
  hello.set_command_id(1);
  hello.mutable_hello()->set_protocol_version(1);
  const std::string payload = hello.SerializeAsString();
  std::vector<uint8_t> frame;
  ASSERT_TRUE(codec::AppendFrame(0, reinterpret_cast<const uint8_t*>(payload.data()),
                                 payload.size(), &frame));
  ASSERT_TRUE(t.Write(frame.data(), frame.size()).ok());

  codec::FrameDecoder decoder;
  bool got_info = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::vector<uint8_t> buf(4096);
  while (!got_info && std::chrono::steady_clock::now() < deadline) {
    auto got = t.Read(buf.data(), buf.size(), absl::Milliseconds(50));
    ASSERT_TRUE(got.ok()) << got.status();
    decoder.Feed(buf.data(), *got);
    codec::Frame f;
    while (decoder.Next(&f)) {
      rollrig::v1::DeviceMessage m;
      ASSERT_TRUE(m.ParseFromArray(f.payload, static_cast<int>(f.size)));
      if (m.has_device_info()) got_info = true;
    }
  }
  EXPECT_TRUE(got_info);

  absl::StatusOr<size_t> blocked;
  std::thread reader([&] { blocked = t.Read(buf.data(), 1, absl::Seconds(30)); });
  // Reads may return data first; the loop above left the pipe busy, so read until closed.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  t.Close();
  reader.join();
  uint8_t one;
  EXPECT_EQ(t.Read(&one, 1, absl::Seconds(30)).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(t.Write(&one, 1).code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace rollrig::host
