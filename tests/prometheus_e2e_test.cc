// A real Prometheus (Debian's) scraping two simulated rigds, as a lab runs them: the shipped
// scrape config (HTTPS against the lab CA, basic auth), the rig list (file_sd JSON) and the
// shipped alert rules; both rigs up, their sample counters growing under their own serials
// and rig names, and every rule loaded and healthy, all read through Prometheus's HTTP API.
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "rig/base/sha256.h"
#include "tests/metrics_text.h"
#include "tests/rig_stack.h"
#include "tests/test_pki.h"
#include "tests/test_process.h"

namespace rollrig::testing {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

// A rigd process serving gRPC and /metrics on free loopback ports.
struct Rig {
  explicit Rig(std::string serial) : serial(std::move(serial)) {}
  std::string serial;
  int grpc_port = 0;
  int metrics_port = 0;
  std::unique_ptr<ChildProcess> process;
};

// rigd with /metrics over TLS (`dir`/cert.pem, key.pem) and basic auth (`dir`/auth).
std::unique_ptr<ChildProcess> StartRigd(Rig& rig, const std::string& dir,
                                        const std::string& runs_dir) {
  rig.grpc_port = FreePort();
  rig.metrics_port = FreePort();
  return std::make_unique<ChildProcess>(
      RIGD_PATH,
      std::vector<std::string>{"--device", "sim", "--serial", rig.serial, "--listen",
                               absl::StrCat("127.0.0.1:", rig.grpc_port), "--metrics-listen",
                               absl::StrCat("127.0.0.1:", rig.metrics_port), "--metrics-tls-cert",
                               dir + "/cert.pem", "--metrics-tls-key", dir + "/key.pem",
                               "--metrics-auth", dir + "/auth", "--runs-dir", runs_dir});
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The shipped prometheus.yml with its files' paths made absolute and 1 s intervals.
std::string ShippedConfig(const std::string& dir) {
  std::string config = ReadFile(ROLLRIG_SOURCE_DIR "/packaging/prometheus/prometheus.yml");
  const std::vector<std::pair<std::string, std::string>> changes = {
      {"- rollrig-rules.yml",
       absl::StrCat("- ", ROLLRIG_SOURCE_DIR, "/packaging/prometheus/rollrig-rules.yml")},
      {"[rigs.json]", absl::StrCat("[", dir, "/rigs.json]")},
      {"ca_file: lab-ca.pem", absl::StrCat("ca_file: ", dir, "/lab-ca.pem")},
      {"password_file: rollrig-metrics.password",
       absl::StrCat("password_file: ", dir, "/rollrig-metrics.password")},
      {"scrape_interval: 15s", "scrape_interval: 1s"},
      {"evaluation_interval: 15s", "evaluation_interval: 1s"},
      {"refresh_interval: 1m", "refresh_interval: 1s"}};
  for (const auto& [from, to] : changes) {
    const size_t at = config.find(from);
    EXPECT_NE(at, std::string::npos) << "the shipped prometheus.yml has no '" << from << "'";
    if (at != std::string::npos) config.replace(at, from.size(), to);
  }
  return config;
}

// `program` as found in $PATH ("" if not).
std::string FindInPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path ? path : "/usr/bin", ':')) {
    const std::string candidate = absl::StrCat(dir, "/", program);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

bool WaitFor(const std::function<bool()>& done, double seconds) {
  const absl::Time deadline = absl::Now() + absl::Seconds(seconds);
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(200));
  }
  return true;
}

// GET api/v1/ENDPOINT, its "data" member (null Value on any failure).
Value ApiData(int port, const std::string& endpoint_and_query) {
  const HttpReply reply =
      HttpGet(absl::StrCat("http://127.0.0.1:", port, "/api/v1/", endpoint_and_query));
  Struct json;
  if (reply.code != 200 || !google::protobuf::util::JsonStringToMessage(reply.body, &json).ok()) {
    return Value();
  }
  const auto it = json.fields().find("data");
  return it == json.fields().end() ? Value() : it->second;
}

// An instant query's result: the value of each series by its `label`'s value.
std::map<std::string, double> Query(int port, const std::string& promql, const std::string& label) {
  std::string q;  // URL-encoded
  for (char c : promql) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
      q += c;
    } else {
      q += absl::StrCat("%", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
    }
  }
  const Value data = ApiData(port, "query?query=" + q);
  std::map<std::string, double> values;
  if (!data.has_struct_value()) return values;
  for (const Value& series : data.struct_value().fields().at("result").list_value().values()) {
    const auto& fields = series.struct_value().fields();
    const auto& metric = fields.at("metric").struct_value().fields();
    const auto it = metric.find(label);
    const std::string key = it == metric.end() ? "" : it->second.string_value();
    values[key] = std::stod(fields.at("value").list_value().values(1).string_value());
  }
  return values;
}

TEST(PrometheusE2eTest, ARealPrometheusScrapesTwoRigdsAndLoadsTheRules) {
  const std::string dir = MakeTempDir();
  // The lab's PKI and scrape password: rigds serve with a certificate of the lab CA and
  // the password's hash; Prometheus trusts the CA and sends the password.
  const TestCa ca("lab CA");
  const Issued server = ca.IssueServer();
  std::ofstream(dir + "/lab-ca.pem") << ca.cert_pem();
  std::ofstream(dir + "/cert.pem") << server.cert_pem;
  std::ofstream(dir + "/key.pem") << server.key_pem;
  std::ofstream(dir + "/rollrig-metrics.password") << "scrape-pw\n";
  std::ofstream(dir + "/auth") << "prometheus:sha256:" << Sha256Hex("scrape-pw") << "\n";
  Rig a("SIM-A"), b("SIM-B");
  a.process = StartRigd(a, dir, dir + "/runsA");
  b.process = StartRigd(b, dir, dir + "/runsB");
  HttpRequestOptions scraper;
  scraper.ca_pem = ca.cert_pem();
  scraper.user_password = "prometheus:scrape-pw";
  for (Rig* rig : {&a, &b}) {
    const std::string url = absl::StrCat("https://127.0.0.1:", rig->metrics_port, "/metrics");
    ASSERT_TRUE(WaitFor([&] { return HttpFetch(url, scraper).code == 200; }, 20))
        << rig->serial << " serves no /metrics: " << rig->process->Output();
  }

  std::ofstream(dir + "/rigs.json") << absl::StrCat(
      "[{\"targets\": [\"127.0.0.1:", a.metrics_port,
      "\"], \"labels\": {\"rig\": \"A\", \"grpc\": "
      "\"127.0.0.1:",
      a.grpc_port, "\"}},\n {\"targets\": [\"127.0.0.1:", b.metrics_port,
      "\"], \"labels\": {\"rig\": \"B\", \"grpc\": \"127.0.0.1:", b.grpc_port, "\"}}]\n");
  std::ofstream(dir + "/prometheus.yml") << ShippedConfig(dir);
  const int port = FreePort();
  const std::string prometheus_path = FindInPath("prometheus");
  ASSERT_FALSE(prometheus_path.empty()) << "Debian's prometheus is not installed (ci/setup.sh)";
  ChildProcess prometheus(prometheus_path, {"--config.file=" + dir + "/prometheus.yml",
                                            "--storage.tsdb.path=" + dir + "/tsdb",
                                            absl::StrCat("--web.listen-address=127.0.0.1:", port)});

  std::map<std::string, double> up;
  EXPECT_TRUE(WaitFor(
      [&] {
        up = Query(port, "up{job=\"rollrig\"}", "rig");
        return up["A"] == 1 && up["B"] == 1;
      },
      25))
      << "up: " << up.size() << " series; prometheus: " << prometheus.Output().substr(0, 2000);

  std::map<std::string, double> first = Query(port, "rollrig_samples_received_total", "serial");
  EXPECT_EQ(first.size(), 2u);
  std::map<std::string, double> later;
  EXPECT_TRUE(WaitFor(
      [&] {
        later = Query(port, "rollrig_samples_received_total", "serial");
        return later["SIM-A"] > first["SIM-A"] && later["SIM-B"] > first["SIM-B"];
      },
      10))
      << "SIM-A " << first["SIM-A"] << " -> " << later["SIM-A"] << ", SIM-B " << first["SIM-B"]
      << " -> " << later["SIM-B"];
  // The rig list's labels reach the series: rig A's device is SIM-A.
  EXPECT_EQ(Query(port, "rollrig_device_connected{rig=\"A\"}", "serial").count("SIM-A"), 1u);

  const Value rules = ApiData(port, "rules");
  std::set<std::string> loaded;
  ASSERT_TRUE(rules.has_struct_value());
  for (const Value& group : rules.struct_value().fields().at("groups").list_value().values()) {
    for (const Value& rule : group.struct_value().fields().at("rules").list_value().values()) {
      const auto& f = rule.struct_value().fields();
      EXPECT_EQ(f.at("health").string_value(), "ok") << f.at("name").string_value();
      loaded.insert(f.at("name").string_value());
    }
  }
  const std::set<std::string> expected = {"RigDown",
                                          "DeviceDisconnected",
                                          "RunStalled",
                                          "SamplesLost",
                                          "TemperatureNearLimit",
                                          "DiskBelowReserve",
                                          "UploadBacklogGrowing"};
  EXPECT_EQ(loaded, expected) << absl::StrJoin(loaded, ", ");

  prometheus.Stop(5);
  a.process->Stop(10);
  b.process->Stop(10);
  RemoveTree(dir);
}

}  // namespace
}  // namespace rollrig::testing
