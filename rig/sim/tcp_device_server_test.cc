#include "rig/sim/tcp_device_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

#include "rig/base/clock.h"
#include "rig/sim/sim_test_host.h"

namespace rollrig::sim {
namespace {

int Connect(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Reads from `fd` into `host` until `done` holds, the peer closes, or 10 s pass.
// Returns false if the peer closed.
template <typename Done>
bool ReadUntil(int fd, TestHost* host, Done done) {
  std::vector<uint8_t> buf(8192);
  const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done() && std::chrono::steady_clock::now() < limit) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = recv(fd, buf.data(), buf.size(), 0);
    if (n <= 0) return false;
    host->Decode(std::vector<uint8_t>(buf.begin(), buf.begin() + n));
  }
  return true;
}

void SendMessage(int fd, TestHost* host, const rollrig::v1::HostMessage& m) {
  std::vector<uint8_t> bytes;
  host->Encode(m, &bytes);
  ASSERT_EQ(send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
}

TEST(TcpDeviceServerTest, ServesOneHostAtATimeAndTheNextAfterIt) {
  SimRunner runner(SimOptions(), RealClock());
  auto server = TcpDeviceServer::Listen("127.0.0.1:0", &runner);
  ASSERT_TRUE(server.ok()) << server.status();
  runner.Start();
  std::thread serving([&] { EXPECT_TRUE((*server)->Serve().ok()); });
  struct JoinOnExit {
    TcpDeviceServer* server;
    std::thread* thread;
    ~JoinOnExit() {
      server->RequestStop();
      thread->join();
    }
  } join_on_exit{server->get(), &serving};

  const int first = Connect((*server)->port());
  ASSERT_GE(first, 0);
  TestHost host;
  SendMessage(first, &host, Hello(1));
  ASSERT_TRUE(ReadUntil(first, &host, [&] { return !host.infos.empty(); }));
  EXPECT_EQ(host.infos[0].serial(), "SIM-0001");

  // A second host is refused: its connection is closed without a byte.
  const int second = Connect((*server)->port());
  ASSERT_GE(second, 0);
  TestHost intruder;
  EXPECT_FALSE(ReadUntil(second, &intruder, [] { return false; }));
  EXPECT_TRUE(intruder.infos.empty());
  close(second);

  // The first host is still served.
  const size_t samples = host.samples.size();
  ASSERT_TRUE(ReadUntil(first, &host, [&] { return host.samples.size() > samples + 50; }));
  close(first);

  // The next host is accepted once the server has seen the first one go, and gets a clean
  // stream: its first frame is whole, nothing is dropped.
  bool accepted = false;
  for (int attempt = 0; attempt < 100 && !accepted; ++attempt) {
    const int fd = Connect((*server)->port());
    ASSERT_GE(fd, 0);
    TestHost next;
    SendMessage(fd, &next, Hello(2));
    if (ReadUntil(fd, &next, [&] { return next.FindAck(2) != nullptr; })) {
      accepted = true;
      EXPECT_EQ(next.decoder_stats().bytes_dropped, 0u);
      EXPECT_EQ(next.infos.size(), 1u);
    }
    close(fd);
    if (!accepted) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(accepted);
}

TEST(TcpDeviceServerTest, ATakenPortIsAClearError) {
  SimRunner runner(SimOptions(), RealClock());
  auto first = TcpDeviceServer::Listen("127.0.0.1:0", &runner);
  ASSERT_TRUE(first.ok());
  const std::string taken = "127.0.0.1:" + std::to_string((*first)->port());
  auto second = TcpDeviceServer::Listen(taken, &runner);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find(taken), absl::string_view::npos);
  EXPECT_EQ(TcpDeviceServer::Listen("nonsense", &runner).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace rollrig::sim
