// rigd's /metrics as a scraper sees it: a simulated rig in this process serving the text
// exposition over HTTP (with and without basic auth), its names, labels and values against
// what the rig did (a run, an e-stop, uploads reported by the queue); the address and
// problems in GetStatus; the errors of bad metrics flags, a taken port and a non-loopback
// address without TLS; HTTPS with basic auth beyond loopback.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "host/rigd/rigd_options.h"
#include "rig/base/sha256.h"
#include "tests/metrics_text.h"
#include "tests/rig_stack.h"
#include "tests/short_profile.h"
#include "tests/test_pki.h"
#include "tests/test_process.h"

namespace rollrig::testing {
namespace {

using ::testing::HasSubstr;

HttpReply Get(const std::string& url, const std::string& user_password = "") {
  return HttpGet(url, user_password);
}

std::vector<MetricSample> Scrape(const std::string& url) {
  const HttpReply reply = Get(url);
  EXPECT_EQ(reply.code, 200) << url << ": " << reply.error;
  return ParseExposition(reply.body);
}

void Configure(host::RigdConfig& c) { c.metrics_listen = "127.0.0.1:0"; }

// Polls `url` until `done` holds for the scrape (up to `seconds`); returns the last scrape.
std::vector<MetricSample> ScrapeUntil(
    const std::string& url, const std::function<bool(const std::vector<MetricSample>&)>& done,
    double seconds) {
  const absl::Time deadline = absl::Now() + absl::Seconds(seconds);
  std::vector<MetricSample> samples = Scrape(url);
  while (!done(samples) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
    samples = Scrape(url);
  }
  return samples;
}

TEST(MetricsTest, EverySeriesIsARollrigNameWithTheSerial) {
  RigStack stack("sim", absl::Seconds(10), 1.0, "", false, absl::Hours(1), Configure);
  ASSERT_TRUE(stack.connected().ok()) << stack.connected();
  const std::string url = stack.app().metrics_url();
  ASSERT_TRUE(absl::StartsWith(url, "http://127.0.0.1:")) << url;
  EXPECT_EQ(stack.Status().metrics_address(), url);
  EXPECT_TRUE(stack.Status().lab_problems().empty());

  // A second of telemetry makes the first 1 s means.
  const std::vector<MetricSample> m = ScrapeUntil(
      url,
      [](const auto& s) {
        return FindSample(s, "rollrig_winding_temperature_celsius").has_value();
      },
      5);
  ASSERT_FALSE(m.empty());
  for (const MetricSample& s : m) {
    EXPECT_TRUE(absl::StartsWith(s.name, "rollrig_")) << s.name;
    EXPECT_EQ(s.labels.count("serial") ? s.labels.at("serial") : "", "SIM-0001") << s.name;
  }
  EXPECT_EQ(FindSample(m, "rollrig_device_connected"), 1);
  EXPECT_EQ(FindSample(m, "rollrig_device_state", {{"state", "idle"}}), 1);
  EXPECT_EQ(FindSample(m, "rollrig_device_state", {{"state", "active"}}), 0);
  EXPECT_EQ(FindSample(m, "rollrig_device_faults_active"), 0);
  EXPECT_EQ(FindSample(m, "rollrig_device_fault_active", {{"fault", "stall"}}), 0);
  EXPECT_EQ(FindSample(m, "rollrig_run_state", {{"state", "idle"}}), 1);
  EXPECT_EQ(FindSample(m, "rollrig_samples_lost_total"), 0);
  EXPECT_EQ(FindSample(m, "rollrig_estops_total", {{"source", "software"}}), 0);
  EXPECT_EQ(FindSample(m, "rollrig_telemetry_subscribers"), 1) << "the averager's own";
  EXPECT_EQ(FindSample(m, "rollrig_winding_temperature_limit_celsius"), 100);
  EXPECT_GT(FindSample(m, "rollrig_winding_temperature_celsius").value_or(0), 20);
  EXPECT_LT(FindSample(m, "rollrig_winding_temperature_celsius").value_or(1000), 30);
  EXPECT_NEAR(FindSample(m, "rollrig_roller_speed_rpm").value_or(99), 0, 1);
  EXPECT_GT(FindSample(m, "rollrig_runs_disk_free_bytes").value_or(0), 0);
  EXPECT_EQ(FindSample(m, "rollrig_runs_disk_reserve_bytes"), 64 << 20);
  EXPECT_EQ(FindSample(m, "rollrig_build_info", {{"version", "0.1.0"}}), 1);
  EXPECT_FALSE(FindSample(m, "rollrig_upload_backlog_files").has_value()) << "uploads are off";

  const double before = FindSample(m, "rollrig_samples_received_total").value_or(0);
  EXPECT_GT(before, 500) << "a second at 1 kHz";
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_GT(FindSample(Scrape(url), "rollrig_samples_received_total").value_or(0), before + 100);
}

TEST(MetricsTest, ARunItsCyclesAndAnEStopShowUp) {
  RigStack stack("sim", absl::Seconds(10), 1.0, "", false, absl::Hours(1), Configure);
  ASSERT_TRUE(stack.connected().ok()) << stack.connected();
  const std::string url = stack.app().metrics_url();
  absl::StatusOr<rollrig::v1::RunInfo> run = stack.StartRun(ShortRunRequest(1));
  ASSERT_TRUE(run.ok()) << run.status();
  std::vector<MetricSample> m = ScrapeUntil(
      url,
      [](const auto& s) {
        return FindSample(s, "rollrig_run_state", {{"state", "running"}}) == 1;
      },
      10);
  EXPECT_EQ(FindSample(m, "rollrig_run_state", {{"state", "running"}}), 1);
  EXPECT_EQ(FindSample(m, "rollrig_run_info", {{"run_id", run->id()}, {"profile", "short"}}), 1);
  EXPECT_EQ(FindSample(m, "rollrig_run_cycle_seconds"), 4);
  EXPECT_EQ(FindSample(m, "rollrig_run_cycles_completed"), 0);
  const double started_s = static_cast<double>(stack.GetRun(run->id()).started_unix_ns()) / 1e9;
  const double since = FindSample(m, "rollrig_run_last_cycle_timestamp_seconds").value_or(0);
  EXPECT_GE(since, started_s) << "before its first cycle: when it started running";
  EXPECT_LT(since, started_s + 3);

  m = ScrapeUntil(
      url,
      [](const auto& s) {
        return FindSample(s, "rollrig_run_state", {{"state", "completed"}}) == 1;
      },
      20);
  EXPECT_EQ(FindSample(m, "rollrig_run_state", {{"state", "completed"}}), 1);
  EXPECT_EQ(FindSample(m, "rollrig_run_state", {{"state", "running"}}), 0);
  EXPECT_EQ(FindSample(m, "rollrig_run_cycles_completed"), 1);
  EXPECT_EQ(FindSample(m, "rollrig_cycles_completed_total"), 1);
  EXPECT_GT(FindSample(m, "rollrig_run_last_cycle_timestamp_seconds").value_or(0), started_s + 3);
  EXPECT_GT(FindSample(m, "rollrig_recorder_written_bytes_total").value_or(0), 4000 * 20)
      << "4 s of 1 kHz samples recorded";
  EXPECT_EQ(FindSample(m, "rollrig_recorder_backlog_samples"), 0);

  ASSERT_TRUE(stack.EStop().ok());
  m = ScrapeUntil(
      url,
      [](const auto& s) {
        return FindSample(s, "rollrig_estops_total", {{"source", "software"}}) == 1;
      },
      5);
  EXPECT_EQ(FindSample(m, "rollrig_estops_total", {{"source", "software"}}), 1);
  EXPECT_EQ(FindSample(m, "rollrig_device_state", {{"state", "faulted"}}), 1);
  EXPECT_EQ(FindSample(m, "rollrig_device_fault_active", {{"fault", "estop-software"}}), 1);
  EXPECT_EQ(FindSample(m, "rollrig_device_faults_active"), 1);
  EXPECT_TRUE(stack.Clear().ok());
}

TEST(MetricsTest, TheUploadQueueIsReadThroughItsFunction) {
  std::atomic<int> calls_with_items{0};
  RigStack stack("sim", absl::Seconds(10), 1.0, "", false, absl::Hours(1),
                 [&](host::RigdConfig& c) {
                   Configure(c);
                   c.uploads = [&](bool with_items) {
                     rollrig::v1::UploadStatus u;
                     u.set_enabled(true);
                     u.set_files_pending(2);
                     u.set_bytes_pending(123456);
                     u.set_failures_total(3);
                     u.set_files_uploaded_total(7);
                     u.set_last_error("s3://rollrig/lab: connection refused");
                     if (with_items) {
                       ++calls_with_items;
                       u.add_items()->set_file("a.mcap");
                     }
                     return u;
                   };
                 });
  ASSERT_TRUE(stack.connected().ok()) << stack.connected();
  const std::vector<MetricSample> m = Scrape(stack.app().metrics_url());
  EXPECT_EQ(FindSample(m, "rollrig_upload_backlog_files"), 2);
  EXPECT_EQ(FindSample(m, "rollrig_upload_backlog_bytes"), 123456);
  EXPECT_EQ(FindSample(m, "rollrig_upload_failures_total"), 3);
  EXPECT_EQ(FindSample(m, "rollrig_uploaded_files_total"), 7);
  EXPECT_EQ(calls_with_items.load(), 0) << "metrics read the counts only";

  const rollrig::v1::RigStatus status = stack.Status();
  EXPECT_EQ(status.uploads().files_pending(), 2u);
  EXPECT_EQ(status.uploads().items_size(), 0);
  EXPECT_THAT(status.lab_problems(),
              ::testing::Contains("uploads failing: s3://rollrig/lab: connection refused"));
  rollrig::v1::UploadStatus uploads;
  ASSERT_TRUE(stack.stub()->GetUploads(stack.Context().get(), {}, &uploads).ok());
  EXPECT_EQ(uploads.items_size(), 1);
}

TEST(MetricsTest, AProblemReadingASourceIsALabProblemAndAnEvent) {
  RigStack stack("sim", absl::Seconds(10), 1.0, "", false, absl::Hours(1), Configure);
  ASSERT_TRUE(stack.connected().ok()) << stack.connected();
  auto events = stack.app().device().events().Subscribe();
  RemoveTree(stack.runs_dir());  // its free space can no longer be read
  const std::vector<MetricSample> m = Scrape(stack.app().metrics_url());
  EXPECT_FALSE(FindSample(m, "rollrig_runs_disk_free_bytes").has_value());
  EXPECT_EQ(FindSample(m, "rollrig_device_connected"), 1) << "the rest is still served";
  const std::string problem =
      "metrics: cannot read the free space of the runs directory " + stack.runs_dir();
  const rollrig::v1::RigStatus status = stack.Status();
  ASSERT_EQ(status.lab_problems_size(), 1);
  EXPECT_THAT(status.lab_problems(0), HasSubstr(problem));
  std::vector<rollrig::v1::RigEvent> got;
  events->Drain(&got);
  int lab_events = 0;
  for (const auto& e : got) {
    if (e.kind() != rollrig::v1::RIG_EVENT_LAB) continue;
    ++lab_events;
    EXPECT_THAT(e.message(), HasSubstr(problem));
  }
  EXPECT_EQ(lab_events, 1);
  Scrape(stack.app().metrics_url());
  std::vector<rollrig::v1::RigEvent> later;
  events->Drain(&later);
  for (const auto& e : later) {
    EXPECT_NE(e.kind(), rollrig::v1::RIG_EVENT_LAB) << "the same problem is announced once";
  }
  EXPECT_EQ(stack.Status().lab_problems_size(), 1);
  stack.app().device().events().Unsubscribe(events);
}

// A listener on a free loopback port, held while it lives.
class TakenPort {
 public:
  TakenPort() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    EXPECT_EQ(listen(fd_, 1), 0);
    socklen_t len = sizeof(a);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~TakenPort() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

absl::Status StartWith(const std::function<void(host::RigdConfig&)>& adjust) {
  const std::string dir = MakeTempDir();
  host::RigdConfig config;
  config.listen = "127.0.0.1:0";
  config.runs_dir = dir;
  adjust(config);
  absl::Status status;
  {
    host::RigdApp app(config);
    status = app.Start();
  }
  RemoveTree(dir);
  return status;
}

TEST(MetricsTest, AMetricsPortAlreadyTakenStopsRigdWithTheAddress) {
  TakenPort taken;
  const std::string address = absl::StrCat("127.0.0.1:", taken.port());
  const absl::Status s = StartWith([&](host::RigdConfig& c) { c.metrics_listen = address; });
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(address));
  EXPECT_THAT(std::string(s.message()), HasSubstr("already in use"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("/metrics"));
}

TEST(MetricsTest, BeyondLoopbackRigdNeedsTlsAndAuthAndThenServesHttps) {
  const std::string dir = MakeTempDir();
  const std::string auth = dir + "/auth";
  std::ofstream(auth) << "prometheus:sha256:" << Sha256Hex("pw") << "\n";
  absl::Status s = StartWith([&](host::RigdConfig& c) {
    c.metrics_listen = "0.0.0.0:0";
    c.metrics_auth_file = auth;
  });
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("refusing to serve /metrics on 0.0.0.0:0: beyond loopback the metrics "
                        "(serials, runs, state) need TLS and basic auth; give "
                        "--metrics-tls-cert and --metrics-tls-key, or listen on 127.0.0.1"));
  s = StartWith([&](host::RigdConfig& c) {
    c.metrics_listen = "127.0.0.1:0";
    c.metrics_tls_cert = dir + "/cert.pem";
    c.metrics_tls_key = dir + "/key.pem";
  });
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("--metrics-tls-cert: cannot read " + dir));
  s = StartWith([&](host::RigdConfig& c) {
    c.metrics_listen = "127.0.0.1:0";
    c.metrics_auth_file = dir + "/missing";
  });
  EXPECT_THAT(std::string(s.message()), HasSubstr("--metrics-auth: cannot read metrics auth file"));
  s = StartWith([](host::RigdConfig& c) { c.metrics_listen = "127.0.0.1:http"; });
  EXPECT_THAT(std::string(s.message()), HasSubstr("--metrics-listen: invalid port 'http'"));

  const TestCa ca("lab CA");
  const Issued cert = ca.IssueServer();
  std::ofstream(dir + "/cert.pem") << cert.cert_pem;
  std::ofstream(dir + "/key.pem") << cert.key_pem;
  RigStack stack("sim", absl::Seconds(10), 1.0, "", false, absl::Hours(1),
                 [&](host::RigdConfig& c) {
                   c.metrics_listen = "0.0.0.0:0";
                   c.metrics_auth_file = auth;
                   c.metrics_tls_cert = dir + "/cert.pem";
                   c.metrics_tls_key = dir + "/key.pem";
                 });
  ASSERT_TRUE(stack.started().ok()) << stack.started();
  const std::string url = stack.app().metrics_url();
  ASSERT_THAT(url, ::testing::StartsWith("https://0.0.0.0:"));
  HttpRequestOptions scraper;
  scraper.ca_pem = ca.cert_pem();
  scraper.user_password = "prometheus:pw";
  const HttpReply ok = HttpFetch("https://127.0.0.1:" + url.substr(url.rfind(':') + 1), scraper);
  EXPECT_EQ(ok.code, 200) << ok.error;
  EXPECT_THAT(ok.body, HasSubstr("rollrig_samples_received_total{serial=\"SIM-0001\"}"));
  RemoveTree(dir);
}

TEST(MetricsTest, BasicAuthServesOnlyTheRightPassword) {
  const std::string dir = MakeTempDir();
  std::ofstream(dir + "/auth") << "prometheus:sha256:" << Sha256Hex("s3cret") << "\n";
  RigStack stack("sim", absl::Seconds(10), 1.0, "", false, absl::Hours(1),
                 [&](host::RigdConfig& c) {
                   Configure(c);
                   c.metrics_auth_file = dir + "/auth";
                 });
  ASSERT_TRUE(stack.started().ok()) << stack.started();
  const std::string url = stack.app().metrics_url();
  EXPECT_EQ(Get(url).code, 401);
  EXPECT_EQ(Get(url, "prometheus:wrong").code, 401);
  EXPECT_EQ(Get(url, "grafana:s3cret").code, 401);
  const HttpReply ok = Get(url, "prometheus:s3cret");
  EXPECT_EQ(ok.code, 200) << ok.error;
  EXPECT_THAT(ok.body, HasSubstr("rollrig_samples_received_total{serial=\"SIM-0001\"}"));
  RemoveTree(dir);
}

TEST(MetricsTest, RigdFlagsForMetrics) {
  using host::ParseRigdOptions;
  absl::StatusOr<host::RigdOptions> o =
      ParseRigdOptions({"--metrics-listen", "127.0.0.1:9464", "--metrics-auth", "a",
                        "--metrics-tls-cert", "c", "--metrics-tls-key", "k"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->metrics_listen, "127.0.0.1:9464");
  EXPECT_EQ(o->metrics_auth, "a");
  EXPECT_EQ(o->metrics_tls_cert, "c");
  EXPECT_EQ(o->metrics_tls_key, "k");
  EXPECT_TRUE(ParseRigdOptions({})->metrics_listen.empty()) << "off by default";
  EXPECT_THAT(
      std::string(ParseRigdOptions({"--metrics-listen", "127.0.0.1:1", "--metrics-tls-cert", "c"})
                      .status()
                      .message()),
      HasSubstr("--metrics-tls-cert and --metrics-tls-key go together"));
  EXPECT_THAT(std::string(ParseRigdOptions({"--metrics-auth", "a"}).status().message()),
              HasSubstr("need --metrics-listen"));
  EXPECT_FALSE(ParseRigdOptions({"--metrics-listen"}).ok());
}

}  // namespace
}  // namespace rollrig::testing
