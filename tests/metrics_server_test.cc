// The /metrics server as scrapers and strangers see it, on loopback sockets: plain HTTP on
// loopback; HTTPS with basic auth beyond it (a client trusting the test CA is served, one that
// does not is refused, and plain HTTP on the TLS port gets nothing); what is refused and why
// (no TLS or auth beyond loopback, certificate files that are missing, not PEM, or not a
// pair); paths and methods; and that silent, oversized or too many connections never cost
// the scrape of a well-behaved client more than its slot.
#include "host/metrics/metrics_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/counter.h"
#include "prometheus/registry.h"
#include "rig/base/sha256.h"
#include "rig/base/user_identity.h"
#include "tests/metrics_text.h"
#include "tests/rig_stack.h"
#include "tests/test_pki.h"

namespace rollrig::testing {
namespace {

using host::MetricsServer;
using host::MetricsServerOptions;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::shared_ptr<prometheus::Registry> ARegistry() {
  auto registry = std::make_shared<prometheus::Registry>();
  prometheus::BuildCounter()
      .Name("rollrig_test_total")
      .Help("a test counter")
      .Register(*registry)
      .Add({{"serial", "SIM-0001"}})
      .Increment(3);
  return registry;
}

void Write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

int PortOf(const MetricsServer& server) {
  const std::string& a = server.address();
  return std::stoi(a.substr(a.rfind(':') + 1));
}

// A TCP connection to 127.0.0.1:port that sends what it is told and otherwise stays silent.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  }
  ~RawClient() { close(fd_); }
  bool connected() const { return connected_; }
  bool Send(const std::string& bytes) const {
    return send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  // What the server sent until it closed or `seconds` passed.
  std::string ReadAll(int seconds) const {
    timeval tv{seconds, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    std::string got;
    char buf[4096];
    for (ssize_t n; (n = recv(fd_, buf, sizeof(buf), 0)) > 0;) got.append(buf, n);
    return got;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

// A CA, a server certificate for 127.0.0.1 and an auth file, in a directory of their own.
struct TlsFiles {
  TlsFiles() : ca("metrics test CA"), dir(MakeTempDir()) {
    const Issued server = ca.IssueServer();
    Write(cert, server.cert_pem);
    Write(key, server.key_pem);
    Write(auth, absl::StrCat("prometheus:sha256:", Sha256Hex("s3cret"), "\n"));
  }
  ~TlsFiles() { RemoveTree(dir); }
  MetricsServerOptions Options(const std::string& listen) const {
    return MetricsServerOptions{listen, cert, key, auth};
  }
  HttpRequestOptions Trusting(const std::string& user_password = "prometheus:s3cret") const {
    HttpRequestOptions o;
    o.ca_pem = ca.cert_pem();
    o.user_password = user_password;
    return o;
  }

  TestCa ca;
  std::string dir;
  std::string cert = dir + "/cert.pem", key = dir + "/key.pem", auth = dir + "/auth";
};

std::string Message(const absl::Status& s) { return std::string(s.message()); }

TEST(MetricsServer, ServesThePageOverPlainHttpOnLoopback) {
  auto server = MetricsServer::Start({"127.0.0.1:0", "", "", ""}, ARegistry());
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_THAT((*server)->url(), StartsWith("http://127.0.0.1:"));
  EXPECT_EQ((*server)->public_url(), (*server)->url());  // a loopback address is kept
  const HttpReply r = HttpGet((*server)->url());
  EXPECT_EQ(r.code, 200) << r.error;
  EXPECT_THAT(r.body, HasSubstr("rollrig_test_total{serial=\"SIM-0001\"} 3"));
  EXPECT_THAT(r.headers, HasSubstr("text/plain; version=0.0.4"));
}

TEST(MetricsServer, OnlyGetAndHeadOfMetrics) {
  auto server = MetricsServer::Start({"127.0.0.1:0", "", "", ""}, ARegistry());
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string base = absl::StrCat("http://", (*server)->address());
  EXPECT_EQ(HttpGet(base + "/").code, 404);
  EXPECT_EQ(HttpGet(base + "/metrics/x").code, 404);
  EXPECT_EQ(HttpGet(base + "/metrics?name[]=x").code, 200) << "a query is allowed";
  HttpRequestOptions post;
  post.method = "DELETE";
  const HttpReply refused = HttpFetch(base + "/metrics", post);
  EXPECT_EQ(refused.code, 405);
  EXPECT_THAT(refused.headers, HasSubstr("Allow: GET, HEAD"));
  HttpRequestOptions head;
  head.method = "HEAD";
  const HttpReply headers = HttpFetch(base + "/metrics", head);
  EXPECT_EQ(headers.code, 200) << headers.error;
  EXPECT_TRUE(headers.body.empty());
}

TEST(MetricsServer, BeyondLoopbackItServesHttpsWithBasicAuth) {
  TlsFiles files;
  auto server = MetricsServer::Start(files.Options("0.0.0.0:0"), ARegistry());
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_THAT((*server)->url(), StartsWith("https://0.0.0.0:"));
  // Shown to readers elsewhere by this machine's name: 0.0.0.0 names no machine.
  EXPECT_EQ((*server)->public_url(),
            absl::StrCat("https://", HostName(), ":", PortOf(**server), "/metrics"));
  const std::string url = absl::StrCat("https://127.0.0.1:", PortOf(**server), "/metrics");
  const HttpReply anonymous = HttpFetch(url, files.Trusting(""));
  EXPECT_EQ(anonymous.code, 401) << anonymous.error;
  EXPECT_THAT(anonymous.headers, HasSubstr("WWW-Authenticate: Basic realm=\"rollrig metrics\""));
  EXPECT_EQ(HttpFetch(url, files.Trusting("prometheus:wrong")).code, 401);
  EXPECT_EQ(HttpFetch(url, files.Trusting("grafana:s3cret")).code, 401);
  EXPECT_EQ(HttpGet(url, "prometheus:s3cret").code, 0) << "no answer without trusting the CA";
  const HttpReply ok = HttpFetch(url, files.Trusting());
  EXPECT_EQ(ok.code, 200) << ok.error;
  EXPECT_THAT(ok.body, HasSubstr("rollrig_test_total{serial=\"SIM-0001\"} 3"));
}

TEST(MetricsServer, AClientThatDoesNotTrustTheCertificateOrSpeaksPlainHttpGetsNothing) {
  TlsFiles files;
  auto server = MetricsServer::Start(files.Options("127.0.0.1:0"), ARegistry());
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string url = (*server)->url();
  ASSERT_THAT(url, StartsWith("https://127.0.0.1:"));
  HttpRequestOptions other_ca;
  other_ca.ca_pem = TestCa("another CA").cert_pem();
  other_ca.user_password = "prometheus:s3cret";
  const HttpReply untrusted = HttpFetch(url, other_ca);
  EXPECT_EQ(untrusted.code, 0);
  EXPECT_THAT(untrusted.error, HasSubstr("certificate"));
  const HttpReply plain =
      HttpGet(absl::StrCat("http://", (*server)->address(), "/metrics"), "prometheus:s3cret");
  EXPECT_NE(plain.code, 200);
  EXPECT_TRUE(plain.body.find("rollrig_") == std::string::npos);
  EXPECT_EQ(HttpFetch(url, files.Trusting()).code, 200) << "and it still serves those who trust it";
}

TEST(MetricsServer, BeyondLoopbackWithoutTlsOrAuthIsRefusedNamingWhatIsMissing) {
  TlsFiles files;
  absl::StatusOr<std::unique_ptr<MetricsServer>> s =
      MetricsServer::Start({"0.0.0.0:0", "", "", ""}, ARegistry());
  EXPECT_TRUE(absl::IsInvalidArgument(s.status())) << s.status();
  EXPECT_THAT(Message(s.status()),
              HasSubstr("refusing to serve /metrics on 0.0.0.0:0: beyond loopback the metrics "
                        "(serials, runs, state) need TLS and basic auth; give --metrics-tls-cert "
                        "and --metrics-tls-key and --metrics-auth FILE, or listen on 127.0.0.1"));
  s = MetricsServer::Start({"0.0.0.0:0", files.cert, files.key, ""}, ARegistry());
  EXPECT_THAT(Message(s.status()), HasSubstr("need TLS and basic auth; give --metrics-auth FILE,"));
  s = MetricsServer::Start({"0.0.0.0:0", "", "", files.auth}, ARegistry());
  EXPECT_THAT(Message(s.status()),
              HasSubstr("give --metrics-tls-cert and --metrics-tls-key, or listen"));
  s = MetricsServer::Start({"127.0.0.1:0", files.cert, "", ""}, ARegistry());
  EXPECT_THAT(Message(s.status()),
              HasSubstr("--metrics-tls-cert and --metrics-tls-key go together"));
  s = MetricsServer::Start({"rig7.lab:9464", files.cert, files.key, files.auth}, ARegistry());
  EXPECT_THAT(Message(s.status()), HasSubstr("--metrics-listen: 'rig7.lab' is not an IP address"));
}

TEST(MetricsServer, CertificateFilesThatAreMissingNotPemOrNotAPairAreNamed) {
  TlsFiles files;
  const std::string missing = files.dir + "/missing.pem";
  auto s = MetricsServer::Start({"127.0.0.1:0", missing, files.key, ""}, ARegistry());
  EXPECT_TRUE(absl::IsInvalidArgument(s.status())) << s.status();
  EXPECT_THAT(Message(s.status()),
              HasSubstr("--metrics-tls-cert: cannot read " + missing + ": No such file"));
  s = MetricsServer::Start({"127.0.0.1:0", files.cert, missing, ""}, ARegistry());
  EXPECT_THAT(Message(s.status()), HasSubstr("--metrics-tls-key: cannot read " + missing));
  Write(files.dir + "/garbage.pem", "not a certificate\n");
  s = MetricsServer::Start({"127.0.0.1:0", files.dir + "/garbage.pem", files.key, ""}, ARegistry());
  EXPECT_THAT(Message(s.status()), HasSubstr("--metrics-tls-cert: " + files.dir +
                                             "/garbage.pem is not a PEM certificate chain"));
  Write(files.dir + "/other-key.pem", files.ca.IssueServer().key_pem);
  s = MetricsServer::Start({"127.0.0.1:0", files.cert, files.dir + "/other-key.pem", ""},
                           ARegistry());
  EXPECT_TRUE(absl::IsInvalidArgument(s.status())) << s.status();
  EXPECT_THAT(Message(s.status()), HasSubstr("--metrics-tls-key: " + files.dir + "/other-key.pem"));
  EXPECT_THAT(Message(s.status()), HasSubstr("mismatch"));
}

TEST(MetricsServer, APortAlreadyTakenIsUnavailableNamingTheAddress) {
  auto first = MetricsServer::Start({"127.0.0.1:0", "", "", ""}, ARegistry());
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = MetricsServer::Start({(*first)->address(), "", "", ""}, ARegistry());
  EXPECT_TRUE(absl::IsUnavailable(second.status())) << second.status();
  EXPECT_THAT(Message(second.status()), HasSubstr((*first)->address()));
  EXPECT_THAT(Message(second.status()), HasSubstr("already in use"));
}

TEST(MetricsServer, SilentAndOversizedRequestsDoNotHoldUpAScrape) {
  TlsFiles files;
  auto server = MetricsServer::Start(files.Options("127.0.0.1:0"), ARegistry());
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = PortOf(**server);
  RawClient silent(port);  // connects, never says hello
  RawClient half(port);
  ASSERT_TRUE(silent.connected() && half.connected());
  ASSERT_TRUE(half.Send("\x16\x03\x01"));  // the start of a TLS record, then nothing
  EXPECT_EQ(HttpFetch((*server)->url(), files.Trusting()).code, 200);
  HttpRequestOptions huge = files.Trusting();
  huge.extra_header = "X-Padding: " + std::string(16 * 1024, 'x');
  const HttpReply oversized = HttpFetch((*server)->url(), huge);
  EXPECT_NE(oversized.code, 200) << "a header beyond 8 KiB is not read";
  EXPECT_EQ(HttpFetch((*server)->url(), files.Trusting()).code, 200);
}

TEST(MetricsServer, ConnectionsBeyondTheLimitAreClosedAndTheSlotsComeBack) {
  auto server = MetricsServer::Start({"127.0.0.1:0", "", "", ""}, ARegistry());
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = PortOf(**server);
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < MetricsServer::kMaxConnections; ++i) {
    idle.push_back(std::make_unique<RawClient>(port));
    ASSERT_TRUE(idle.back()->connected());
  }
  // Once the server has taken all of them, one more is closed at once, unanswered.
  bool refused = false;
  for (int attempt = 0; attempt < 100 && !refused; ++attempt) {
    RawClient extra(port);
    extra.Send("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    refused = extra.ReadAll(5).empty();
    if (!refused) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(refused);
  idle.clear();  // their slots are given back when the server sees them close
  bool served = false;
  for (int attempt = 0; attempt < 100 && !served; ++attempt) {
    served = HttpGet((*server)->url()).code == 200;
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(served);
}

TEST(MetricsServer, StoppingWithOpenConnectionsReturns) {
  auto server = MetricsServer::Start({"127.0.0.1:0", "", "", ""}, ARegistry());
  ASSERT_TRUE(server.ok()) << server.status();
  RawClient open(PortOf(**server));
  ASSERT_TRUE(open.Send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_THAT(open.ReadAll(1), HasSubstr("HTTP/1.1 200 OK"));  // kept alive, still open
  server->reset();
  EXPECT_EQ(open.ReadAll(5), "") << "closed by the server's stop";
}

}  // namespace
}  // namespace rollrig::testing
