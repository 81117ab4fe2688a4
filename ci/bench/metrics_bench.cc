// Metrics benchmark (Google Benchmark): what /metrics costs a rig.
// - Scrape: one Collect() and its text exposition, and a whole GET of /metrics over HTTP
//   and over HTTPS (a new connection, and so a TLS handshake, each time, or one kept alive;
//   CPU of the whole process: client and server), on a simulated rig at 1 kHz with a run going and
//   an upload queue reporting (time, and bytes of the page as a counter).
// - Hot path: TelemetryHub::Publish of 10-sample batches to the subscribers a running rig
//   has (the run's, one gRPC stream), without and with the metrics' averager subscribed
//   (its one extra ring push is all metrics add there). The ratio with/without is printed
//   at the end; the averager's own folding per sample (its thread, off the hot path) too.
//
// Usage: metrics_bench [benchmark flags]
#include <curl/curl.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "host/metrics/metrics_server.h"
#include "host/metrics/rig_collector.h"
#include "host/metrics/telemetry_means.h"
#include "prometheus/text_serializer.h"
#include "rig/base/sha256.h"
#include "tests/metrics_text.h"
#include "tests/rig_stack.h"
#include "tests/short_profile.h"
#include "tests/test_pki.h"

namespace rollrig {
namespace {

// A rig at 1 kHz, metrics on, a run of many cycles going, uploads reporting.
class BusyRig {
 public:
  static BusyRig& Get() {
    if (!rig_) rig_ = new BusyRig();
    return *rig_;
  }
  // Stops the rig (and removes its runs directory) if a benchmark made one.
  static void Release() {
    delete rig_;
    rig_ = nullptr;
  }
  testing::RigStack& stack() { return *stack_; }

 private:
  BusyRig() {
    stack_ = std::make_unique<testing::RigStack>("sim", absl::Seconds(10), 1.0, "", false,
                                                 absl::Hours(1), [](host::RigdConfig& c) {
                                                   c.metrics_listen = "127.0.0.1:0";
                                                   c.uploads = [](bool) {
                                                     rollrig::v1::UploadStatus u;
                                                     u.set_enabled(true);
                                                     u.set_files_pending(3);
                                                     u.set_bytes_pending(1 << 30);
                                                     return u;
                                                   };
                                                 });
    if (!stack_->connected().ok() || !stack_->StartRun(testing::ShortRunRequest(1000)).ok()) {
      std::fprintf(stderr, "metrics_bench: the rig did not start a run\n");
      std::exit(1);
    }
    absl::SleepFor(absl::Seconds(2));  // a run going, the averager's first windows
  }
  std::unique_ptr<testing::RigStack> stack_;
  static inline BusyRig* rig_ = nullptr;
};

// A collector of its own on the busy rig's device and runs.
std::shared_ptr<host::RigCollector> CollectorOf(testing::RigStack& stack) {
  host::RigMetricsSources sources;
  sources.device = &stack.app().device();
  sources.runs = &stack.app().runs();
  sources.runs_dir = stack.runs_dir();
  sources.uploads = [] {
    rollrig::v1::UploadStatus u;
    u.set_enabled(true);
    return u;
  };
  sources.build = {"0.1.0", "1.51.1", "3.21.12"};
  return std::make_shared<host::RigCollector>(sources);
}

// Collect() and the text exposition, as the server does them for a GET.
void BM_CollectAndSerialize(benchmark::State& state) {
  std::shared_ptr<host::RigCollector> collector = CollectorOf(BusyRig::Get().stack());
  host::RigCollector& collector_ref = *collector;
  prometheus::TextSerializer serializer;
  size_t bytes = 0;
  for (auto _ : state) {
    const std::string page = serializer.Serialize(collector_ref.Collect());
    bytes = page.size();
    benchmark::DoNotOptimize(page.data());
  }
  state.counters["page_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_CollectAndSerialize)->Unit(benchmark::kMicrosecond);

// A whole scrape: HTTP GET of rigd's /metrics on loopback.
void BM_ScrapeOverHttp(benchmark::State& state) {
  testing::RigStack& stack = BusyRig::Get().stack();
  const std::string url = stack.app().metrics_url();
  size_t bytes = 0;
  for (auto _ : state) {
    const testing::HttpReply r = testing::HttpGet(url);
    bytes = r.body.size();
    benchmark::DoNotOptimize(bytes);
  }
  state.counters["page_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_ScrapeOverHttp)->Unit(benchmark::kMicrosecond)->MeasureProcessCPUTime();

size_t AppendTo(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// The same over HTTPS with basic auth, as a remote rig serves it: a server of its own with
// a test CA's certificate and the busy rig's collector; a new connection (and handshake)
// per scrape, or one kept alive as Prometheus keeps it.
void BM_ScrapeOverHttps(benchmark::State& state) {
  const testing::TestCa ca("bench CA");
  const testing::Issued cert = ca.IssueServer();
  const std::string dir = testing::MakeTempDir();
  std::ofstream(dir + "/cert.pem") << cert.cert_pem;
  std::ofstream(dir + "/key.pem") << cert.key_pem;
  std::ofstream(dir + "/auth") << "prometheus:sha256:" << Sha256Hex("pw") << "\n";
  auto server = host::MetricsServer::Start(
      {"127.0.0.1:0", dir + "/cert.pem", dir + "/key.pem", dir + "/auth"},
      CollectorOf(BusyRig::Get().stack()));
  if (!server.ok()) {
    state.SkipWithError(std::string(server.status().message()).c_str());
    return;
  }
  const bool kept_alive = state.range(0) != 0;
  CURL* curl = curl_easy_init();  // one handle: its connection is kept alive between scrapes
  std::string body;
  curl_easy_setopt(curl, CURLOPT_URL, (*server)->url().c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendTo);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_blob ca_blob{const_cast<char*>(ca.cert_pem().data()), ca.cert_pem().size(), CURL_BLOB_COPY};
  curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &ca_blob);
  curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
  curl_easy_setopt(curl, CURLOPT_USERPWD, "prometheus:pw");
  curl_easy_setopt(curl, CURLOPT_FORBID_REUSE, kept_alive ? 0L : 1L);
  size_t bytes = 0;
  for (auto _ : state) {
    body.clear();
    long code = 0;
    if (curl_easy_perform(curl) != CURLE_OK ||
        (curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code), code != 200)) {
      state.SkipWithError("HTTPS scrape failed");
      break;
    }
    bytes = body.size();
    benchmark::DoNotOptimize(bytes);
  }
  curl_easy_cleanup(curl);
  state.counters["page_bytes"] = static_cast<double>(bytes);
  server->reset();
  testing::RemoveTree(dir);
}
BENCHMARK(BM_ScrapeOverHttps)
    ->Arg(0)
    ->Arg(1)
    ->ArgName("kept_alive")
    ->Unit(benchmark::kMicrosecond)
    ->MeasureProcessCPUTime();

// Publish to the subscribers a running rig has (the run's, one gRPC stream) and, with
// `metrics`, the averager's, all rings drained every 1000 batches with the clock paused
// (draining is the consumers' work, on their threads in rigd), so every push is a real copy
// into a ring, never the cheaper full-ring drop.
void BM_PublishHotPath(benchmark::State& state) {
  host::TelemetryHub hub;
  std::vector<std::shared_ptr<host::TelemetrySubscription>> subs = {hub.Subscribe(1 << 16),
                                                                    hub.Subscribe(1 << 16)};
  std::unique_ptr<host::TelemetryAverager> means;
  if (state.range(0) != 0) means = std::make_unique<host::TelemetryAverager>(&hub);
  std::vector<host::Sample> batch(10), out;
  out.reserve(1 << 16);
  int64_t t = 1'700'000'000'000'000'000;
  int64_t batches = 0;
  for (auto _ : state) {
    for (auto& s : batch) s.host_time_ns = (t += 100'000);  // 10 kHz
    hub.Publish(batch.data(), batch.size());
    if (++batches % 1000 == 0) {
      state.PauseTiming();
      for (auto& sub : subs) {
        out.clear();
        sub->Drain(&out);
      }
      if (means) benchmark::DoNotOptimize(means->Means());
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(batch.size()));
  state.counters["dropped"] = static_cast<double>(hub.dropped_total());
  for (auto& sub : subs) hub.Unsubscribe(sub);
}
BENCHMARK(BM_PublishHotPath)->Arg(0)->Arg(1)->ArgName("metrics")->MinTime(1.0);

// The averager's own thread: folding samples into the 1 s means, per sample (off the hot
// path; at 10 kHz this is its CPU share).
void BM_AveragerFold(benchmark::State& state) {
  host::TelemetryHub hub;
  host::TelemetryAverager means(&hub);
  std::vector<host::Sample> batch(10000);
  int64_t t = 1'700'000'000'000'000'000;
  for (auto _ : state) {
    state.PauseTiming();
    for (auto& s : batch) s.host_time_ns = (t += 100'000);
    hub.Publish(batch.data(), batch.size());
    state.ResumeTiming();
    benchmark::DoNotOptimize(means.Means());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(batch.size()));
}
BENCHMARK(BM_AveragerFold)->Unit(benchmark::kMicrosecond);

// Remembers each run's time per iteration to print the hot path's ratio.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      if (r.run_type != Run::RT_Iteration) continue;
      const std::string name = r.benchmark_name();
      for (const char* key : {"metrics:0", "metrics:1"}) {
        if (name.find(key) != std::string::npos) ns_[key].push_back(r.GetAdjustedCPUTime());
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  std::map<std::string, std::vector<double>> ns_;  // hot path CPU per batch, each run
};

}  // namespace
}  // namespace rollrig

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  rollrig::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  rollrig::BusyRig::Release();
  const auto& ns = reporter.ns_;
  const auto off = ns.find("metrics:0");
  const auto on = ns.find("metrics:1");
  if (off != ns.end() && on != ns.end()) {
    // Repetitions pair up in the order they ran.
    for (size_t i = 0; i < std::min(off->second.size(), on->second.size()); ++i) {
      std::printf(
          "telemetry hot path with metrics / without: %.3fx (CPU per 10-sample batch "
          "%.1f ns vs %.1f ns)\n",
          on->second[i] / off->second[i], on->second[i], off->second[i]);
    }
  }
  benchmark::Shutdown();
  return 0;
}
