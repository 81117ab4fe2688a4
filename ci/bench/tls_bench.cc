// TLS benchmark: what TLS on rigd's port costs. The same telemetry stream (every sample,
// a token on every call, credentials on) over plaintext and over TLS on loopback:
// - CPU per sample of the whole process (simulator, rigd, client) at 10 kHz in real time,
//   and TLS's share of it as a ratio;
// - the rate delivered to one subscriber with the simulator 32x faster than real time
//   (on a small machine the simulator, not the stream, is then the limit), and the CPU
//   per sample there;
// - the e-stop round trip as the client sees it (send -> reply, the device's
//   acknowledgement included), p50/p99, over TLS and over plaintext.
//
// Usage: tls_bench [--seconds S] [--rounds N] [--estops N]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "tests/tls_stack.h"

namespace rollrig {
namespace {

namespace v1 = rollrig::v1;
using testing::TlsStack;

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

struct StreamResult {
  double rows_per_s = 0;
  double cpu_us_per_row = 0;
  uint64_t missing = 0;
};

// One subscriber takes every sample for `seconds` (after a second to settle).
StreamResult MeasureStream(bool tls, double speedup, double seconds) {
  testing::TlsStackOptions options;
  options.tls = tls;
  options.tick_hz = 10000;
  options.speedup = speedup;
  TlsStack stack(options);
  if (!stack.started().ok()) {
    std::fprintf(stderr, "tls_bench: %s\n", std::string(stack.started().message()).c_str());
    std::exit(1);
  }
  auto stub = stack.NewStub();
  auto ctx = TlsStack::Context(TlsStack::Bearer(testing::kObserverToken), 3600);
  v1::StreamTelemetryRequest req;
  req.set_rate_hz(0);
  auto reader = stub->StreamTelemetry(ctx.get(), req);
  v1::TelemetryChunk chunk;
  const auto settle = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (std::chrono::steady_clock::now() < settle && reader->Read(&chunk)) {
  }
  StreamResult r;
  uint64_t rows = 0, last = 0;
  const double cpu0 = CpuSeconds();
  const auto t0 = std::chrono::steady_clock::now();
  const auto until = t0 + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until && reader->Read(&chunk)) {
    for (const v1::TelemetryRow& row : chunk.rows()) {
      if (last != 0 && row.seq() > last + 1) r.missing += row.seq() - last - 1;
      last = row.seq();
      ++rows;
    }
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = CpuSeconds() - cpu0;
  ctx->TryCancel();
  while (reader->Read(&chunk)) {
  }
  (void)reader->Finish();
  r.rows_per_s = rows / elapsed;
  r.cpu_us_per_row = rows ? cpu * 1e6 / rows : NAN;
  return r;
}

double Median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// The same stream over plaintext and over TLS, `rounds` times, alternating: whole-process
// CPU over a few seconds varies with the scheduler from one window to the next, so each
// ratio is of a round's pair, and the median ratio and its range are printed.
void CompareStreams(const char* what, double speedup, double seconds, int rounds) {
  std::vector<double> rate_ratio, cpu_ratio, plain_cpu, tls_cpu, plain_rate, tls_rate;
  uint64_t plain_lost = 0, tls_lost = 0;
  // A first pair, not counted, warms the process up (the test PKI, gRPC's thread pools).
  (void)MeasureStream(false, speedup, 1);
  (void)MeasureStream(true, speedup, 1);
  for (int i = 0; i < rounds; ++i) {
    const StreamResult plain = MeasureStream(false, speedup, seconds);
    const StreamResult tls = MeasureStream(true, speedup, seconds);
    plain_rate.push_back(plain.rows_per_s);
    tls_rate.push_back(tls.rows_per_s);
    plain_cpu.push_back(plain.cpu_us_per_row);
    tls_cpu.push_back(tls.cpu_us_per_row);
    rate_ratio.push_back(tls.rows_per_s / plain.rows_per_s);
    cpu_ratio.push_back(tls.cpu_us_per_row / plain.cpu_us_per_row);
    plain_lost += plain.missing;
    tls_lost += tls.missing;
  }
  const auto [cpu_lo, cpu_hi] = std::minmax_element(cpu_ratio.begin(), cpu_ratio.end());
  const auto [rate_lo, rate_hi] = std::minmax_element(rate_ratio.begin(), rate_ratio.end());
  std::printf(
      "  %s, %d rounds: received plaintext %.0f/s, TLS %.0f/s: ratio %.2f (%.2f-%.2f); CPU "
      "per sample (whole process) %.2f vs %.2f us: ratio %.2f (%.2f-%.2f); lost %llu / %llu\n",
      what, rounds, Median(plain_rate), Median(tls_rate), Median(rate_ratio), *rate_lo, *rate_hi,
      Median(plain_cpu), Median(tls_cpu), Median(cpu_ratio), *cpu_lo, *cpu_hi,
      static_cast<unsigned long long>(plain_lost), static_cast<unsigned long long>(tls_lost));
  std::fflush(stdout);
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(std::ceil(p * v.size())) - 1);
  return v[i];
}

// `count` e-stops, each cleared before the next; the round trip of each as the client
// sees it, in ms.
std::vector<double> MeasureEStops(bool tls, int count) {
  testing::TlsStackOptions options;
  options.tls = tls;
  TlsStack stack(options);
  if (!stack.started().ok()) std::exit(1);
  auto lease = stack.app().lease().Acquire("bench@localhost", "tls_bench", false, absl::Hours(1));
  if (!lease.ok()) std::exit(1);
  auto stub = stack.NewStub();
  const std::string bearer = TlsStack::Bearer(testing::kAdminToken);
  v1::RigStatus status;
  (void)stub->GetStatus(TlsStack::Context(bearer).get(), {}, &status);  // connect first
  std::vector<double> round_trip_ms;
  for (int i = 0; i < count; ++i) {
    v1::EStopResponse stopped;
    auto ctx = TlsStack::Context(bearer);
    const auto t0 = std::chrono::steady_clock::now();
    const grpc::Status s = stub->EStop(ctx.get(), {}, &stopped);
    const auto t1 = std::chrono::steady_clock::now();
    if (!s.ok()) {
      std::fprintf(stderr, "tls_bench: e-stop failed: %s\n", s.error_message().c_str());
      std::exit(1);
    }
    round_trip_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    for (int attempt = 0; attempt < 100; ++attempt) {  // BUSY while the device brakes
      auto clear = TlsStack::Context(bearer);
      clear->AddMetadata("rollrig-lease", lease->token());
      v1::ClearFaultResponse cleared;
      if (stub->ClearFault(clear.get(), {}, &cleared).ok()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  return round_trip_ms;
}

}  // namespace
}  // namespace rollrig

int main(int argc, char** argv) {
  double seconds = 4;
  int estops = 200;
  int rounds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--seconds")) seconds = std::atof(argv[i + 1]);
    if (!std::strcmp(argv[i], "--estops")) estops = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--rounds")) rounds = std::max(1, std::atoi(argv[i + 1]));
  }
  std::printf("TLS vs plaintext: one subscriber taking every sample, token on the call\n");
  rollrig::CompareStreams("simulator at 10 kHz", 1.0, seconds, rounds);
  rollrig::CompareStreams("simulator 32x real time (up to 320000 samples/s)", 32.0, seconds,
                          rounds);
  for (bool use_tls : {true, false}) {
    const std::vector<double> rtt = rollrig::MeasureEStops(use_tls, estops);
    std::printf(
        "e-stop round trip (client send -> reply) over %s, %d times: p50 %.3f ms p99 "
        "%.3f ms max %.3f ms\n",
        use_tls ? "TLS" : "plaintext", estops, rollrig::Percentile(rtt, 0.5),
        rollrig::Percentile(rtt, 0.99), rollrig::Percentile(rtt, 1.0));
  }
  return 0;
}
