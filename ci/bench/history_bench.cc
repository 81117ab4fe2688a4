// History figures for a long run (a program, not a Google Benchmark: each figure is one
// long run).
//   1. Makes a lock-step-like run of HOURS at 1 kHz (default 72 h) in DIR as rigd lays it
//      out -- the run's record (RunStore) and its hourly files written through the real
//      recorder -- with synthetic but plausible signals: 60 s cycles (ramps, holds, a head
//      sweep), slow drift of torque and temperature, noise, a pause, a limit note and a
//      telemetry gap every 12 h, and each cycle's statistics. Kept in DIR for the next run.
//   2. Starts rigd on DIR and measures over gRPC: the first picture (the whole run, 2000
//      points, every channel) with a cold index and again warm; zooms to single samples at
//      random places (p50/p99); 10-minute windows (p50/p99).
//   3. The baseline in the same run: reading the whole run's raw samples (every file,
//      every /telemetry message decoded) with the MCAP reader.
//
//   history_bench DIR [HOURS=72]
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "host/recorder/recorder.h"
#include "host/recording/mcap_reader.h"
#include "host/recording/recording_layout.h"
#include "host/rigd/rigd_app.h"
#include "host/runs/run_store.h"
#include "rollrig/v1/rig_service.grpc.pb.h"

namespace {

using namespace rollrig;
using Steady = std::chrono::steady_clock;

constexpr int64_t kStartNs = 1'760'000'000'000'000'000;
constexpr char kRunId[] = "bench-endurance";
constexpr uint64_t kCycleSamples = 60'000;  // 60 s at 1 kHz
constexpr uint64_t kBatch = 1000;

double Seconds(Steady::time_point since) {
  return std::chrono::duration<double>(Steady::now() - since).count();
}

// Cheap deterministic noise in [-1, 1).
struct Noise {
  uint64_t state = 0x9e3779b97f4a7c15ull;
  float Next() {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<float>(static_cast<int64_t>(state >> 11) % 2000000) / 1e6f - 1.0f;
  }
};

// Sample `i` of the run: a 60 s cycle (30 s ramp up and hold, 30 s down), slow drift.
void MakeSample(uint64_t i, double hours, Noise& noise, host::Sample* s) {
  const double t = static_cast<double>(i) / 1000.0;
  const double in_cycle = static_cast<double>(i % kCycleSamples) / 1000.0;
  const double wear = t / (hours * 3600.0);  // 0 .. 1 over the run
  *s = host::Sample{};
  s->seq = i;
  s->time_us = i * 1000;
  s->host_time_ns = kStartNs + static_cast<int64_t>(i) * 1'000'000 + 200'000;
  s->segment = in_cycle < 30 ? 0 : 1;
  s->cycle = static_cast<uint32_t>(i / kCycleSamples) + 1;
  const double rpm = in_cycle < 10 ? 6 * in_cycle : in_cycle < 30 ? 60 : 60 - 2 * (in_cycle - 30);
  s->roller_rpm_cmd = static_cast<float>(rpm);
  s->roller_rpm = static_cast<float>(rpm + 0.7 * noise.Next());
  s->head_deg_cmd = static_cast<float>(20 * std::sin(2 * M_PI * in_cycle / 15));
  s->head_deg = s->head_deg_cmd + 0.2f * noise.Next();
  s->preload_cmd_n = in_cycle < 30 ? 40.0f : 20.0f;
  s->force_n = s->preload_cmd_n + 0.8f * noise.Next();
  s->torque_nm =
      static_cast<float>(0.25 * s->force_n / 40 * (1 + 0.2 * wear) + 0.01 * noise.Next());
  s->current_a = s->torque_nm / 1.0f;
  s->voltage_v = static_cast<float>(rpm * 0.1 + s->current_a * 1.2);
  s->temp_c = static_cast<float>(40 + 6 * wear + 2 * std::sin(2 * M_PI * in_cycle / 60) +
                                 0.05 * noise.Next());
  s->head_current_a = 0.1f + 0.02f * noise.Next();
}

rollrig::v1::RigEvent Event(uint64_t i, rollrig::v1::RigEventKind kind, const std::string& text) {
  rollrig::v1::RigEvent e;
  e.set_kind(kind);
  e.set_host_time_ns(kStartNs + static_cast<int64_t>(i) * 1'000'000);
  e.set_run_id(kRunId);
  e.set_message(text);
  return e;
}

rollrig::v1::CycleStats CycleOf(uint32_t cycle) {
  rollrig::v1::CycleStats c;
  c.set_cycle(cycle);
  c.set_start_s((cycle - 1) * 60.0);
  c.set_end_s(cycle * 60.0 - 0.001);
  c.set_samples(kCycleSamples);
  c.set_peak_torque_nm(0.3);
  c.set_mean_torque_nm(0.2);
  c.set_rms_torque_nm(0.21);
  c.set_mean_force_n(30);
  c.set_peak_force_n(41);
  c.set_max_temperature_c(42);
  c.set_length_s(60);
  return c;
}

// Feeds the recorder without overflowing its queue (it fails rather than block).
void Feed(recorder::RunRecorder& rec, std::atomic<int64_t>& now, uint64_t total, double hours) {
  Noise noise;
  std::vector<host::Sample> batch(kBatch);
  uint64_t pushed = 0;
  const uint64_t gap_every = 12 * 3600 * 1000ull;
  for (uint64_t i = 0; i < total;) {
    size_t n = 0;
    while (n < kBatch && i < total) {
      if (i % gap_every == gap_every / 2) i += 50;  // 50 samples lost
      MakeSample(i++, hours, noise, &batch[n++]);
    }
    while (pushed - rec.stats().samples_written > (uint64_t{1} << 19)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    now.store(batch[n - 1].host_time_ns);
    if (!rec.AddSamples(batch.data(), n).ok()) return;
    pushed += n;
    const uint64_t last = batch[n - 1].seq;
    if (last / kCycleSamples != (last + 1) / kCycleSamples) {
      (void)rec.AddCycle(CycleOf(static_cast<uint32_t>((last + 1) / kCycleSamples)),
                         batch[n - 1].host_time_ns);
    }
    if (last % (6 * 3600 * 1000ull) == 3600 * 1000ull - 1) {
      auto e = Event(last, rollrig::v1::RIG_EVENT_RUN_STATE, "run paused by bench");
      e.set_run_state(rollrig::v1::RUN_STATE_PAUSED);
      (void)rec.AddEvent(e);
      auto l = Event(last, rollrig::v1::RIG_EVENT_LIMIT, "limit temperature: marginal");
      (void)rec.AddEvent(l);
    }
  }
}

// Makes the run in `dir` (see the top); false on failure.
bool MakeRun(const std::string& dir, double hours) {
  absl::StatusOr<std::unique_ptr<host::RunStore>> store = host::RunStore::Open(dir);
  if (!store.ok()) {
    std::fprintf(stderr, "history_bench: %s\n", std::string(store.status().message()).c_str());
    return false;
  }
  rollrig::v1::RunInfo run;
  run.set_id(kRunId);
  run.set_state(rollrig::v1::RUN_STATE_RUNNING);
  run.set_profile_name("endurance");
  run.set_cycle_s(60);
  run.set_started_unix_ns(kStartNs);
  run.mutable_spec()->set_cycles(static_cast<uint32_t>(hours * 60));
  recorder::RecordingStart start;
  start.run = run;
  rollrig::v1::DeviceInfo device;
  device.mutable_capabilities()->set_telemetry_hz(1000);
  start.device = device;
  start.host_version = "bench";
  start.device_clock_offset_ns = kStartNs;
  std::atomic<int64_t> now{kStartNs};
  recorder::RecorderOptions options;
  options.now_ns = [&now] { return now.load(); };
  options.sample_queue_capacity = size_t{1} << 20;
  options.reserve_bytes = 0;
  options.writer.sync_each_chunk = false;  // the figures are about reading
  absl::StatusOr<std::unique_ptr<recorder::RunRecorder>> rec =
      recorder::RunRecorder::Start(recording::RealFileSystem(), dir, start, options);
  if (!rec.ok()) {
    std::fprintf(stderr, "history_bench: %s\n", std::string(rec.status().message()).c_str());
    return false;
  }
  const uint64_t total = static_cast<uint64_t>(hours * 3600 * 1000);
  Feed(**rec, now, total, hours);
  recorder::RecordingEnd end;
  end.state = rollrig::v1::RUN_STATE_COMPLETED;
  end.verdict.set_verdict(rollrig::v1::VERDICT_PASS);
  if (absl::Status s = (*rec)->Finish(end); !s.ok()) {
    std::fprintf(stderr, "history_bench: %s\n", std::string(s.message()).c_str());
    return false;
  }
  run.set_state(rollrig::v1::RUN_STATE_COMPLETED);
  run.set_ended_unix_ns(kStartNs + static_cast<int64_t>(total) * 1'000'000);
  run.mutable_verdict()->set_verdict(rollrig::v1::VERDICT_PASS);
  for (const std::string& f : (*rec)->files()) run.add_recordings(f);
  return (*store)->Save(run).ok();
}

struct Fetch {
  double seconds = 0;
  rollrig::v1::RunHistory history;
  bool ok = false;
};

Fetch History(rollrig::v1::RigService::Stub& stub, double t0, double t1, uint32_t points,
              std::initializer_list<const char*> channels = {}) {
  rollrig::v1::GetRunHistoryRequest req;
  req.set_run_id(kRunId);
  req.set_t0_s(t0);
  req.set_t1_s(t1);
  req.set_max_points(points);
  for (const char* c : channels) req.add_channels(c);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  Fetch f;
  const auto t = Steady::now();
  grpc::Status s = stub.GetRunHistory(&ctx, req, &f.history);
  f.seconds = Seconds(t);
  f.ok = s.ok();
  if (!s.ok())
    std::fprintf(stderr, "history_bench: GetRunHistory: %s\n", s.error_message().c_str());
  return f;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

// Random windows of `width_s` across the run: p50 and p99 in ms, and whether all were raw.
void Zooms(rollrig::v1::RigService::Stub& stub, double end_s, double width_s, int n,
           const char* what) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> at(0, std::max(0.0, end_s - width_s));
  std::vector<double> ms;
  int raw = 0;
  for (int i = 0; i < n; ++i) {
    const double t0 = at(rng);
    Fetch f = History(stub, t0, t0 + width_s, 2000);
    if (!f.ok) return;
    ms.push_back(f.seconds * 1e3);
    raw += f.history.raw() ? 1 : 0;
  }
  std::printf("  %-34s p50 %7.1f ms  p99 %7.1f ms  (%d fetches, %d raw)\n", what,
              Percentile(ms, 0.5), Percentile(ms, 0.99), n, raw);
}

// This process's resident memory (rigd runs in it), from /proc.
double ResidentMb() {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return 0;
  char line[256];
  double kb = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::sscanf(line, "VmRSS: %lf kB", &kb) == 1) break;
  }
  std::fclose(f);
  return kb / 1024;
}

// The baseline: every raw sample of every file read and decoded.
void ReadAllRaw(const rollrig::v1::RunInfo& run) {
  const auto t = Steady::now();
  uint64_t samples = 0;
  for (const std::string& path : run.recordings()) {
    auto file = recording::RealFileSystem()->OpenForRead(path);
    if (!file.ok()) continue;
    auto reader = recording::McapReader::Open(file->get());
    if (!reader.ok()) continue;
    recording::McapReadOptions options;
    options.topics = {recorder::kTelemetryTopic};
    rollrig::v1::TelemetryRecord r;
    (void)(*reader)->ReadMessages(options, [&](const recording::McapMessage& m) {
      samples += r.ParseFromString(m.data) ? 1 : 0;
      return true;
    });
  }
  std::printf("  baseline: whole run's raw samples   %.1f s (%llu samples)\n", Seconds(t),
              static_cast<unsigned long long>(samples));
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "history_bench_run";
  const double hours = argc > 2 ? std::atof(argv[2]) : 72;
  std::filesystem::create_directories(dir);
  const bool exists = std::filesystem::exists(dir + "/" + kRunId + ".run.json");
  if (!exists) {
    const auto t = Steady::now();
    if (!MakeRun(dir, hours)) return 1;
    std::printf("history_bench: made a %.0f h 1 kHz run in %s in %.0f s\n", hours, dir.c_str(),
                Seconds(t));
  }
  uint64_t bytes = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".mcap") bytes += e.file_size();
  }
  host::RigdConfig config;
  config.runs_dir = dir;
  config.listen = "127.0.0.1:0";
  host::RigdApp app(config);
  if (absl::Status s = app.Start(); !s.ok()) {
    std::fprintf(stderr, "history_bench: rigd: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  auto channel = grpc::CreateChannel(app.address(), grpc::InsecureChannelCredentials());
  auto stub = rollrig::v1::RigService::NewStub(channel);
  Fetch cold = History(*stub, 0, 0, 2000);
  if (!cold.ok) return 1;
  const rollrig::v1::RunHistory& h = cold.history;
  std::printf("history_bench: %.1f h run, %d files, %.2f GB, %llu samples at %u Hz\n",
              h.recorded_end_s() / 3600, h.files_size(), static_cast<double>(bytes) / 1e9,
              static_cast<unsigned long long>(h.samples()), h.sample_rate_hz());
  std::printf("  first picture, cold index (2000 pts, %d channels)  %.3f s\n", h.series_size(),
              cold.seconds);
  Fetch warm = History(*stub, 0, 0, 2000);
  std::printf("  first picture, warm                 %.3f s\n", warm.seconds);
  Zooms(*stub, h.recorded_end_s(), 1.0, 200, "zoom to samples (1 s windows)");
  Zooms(*stub, h.recorded_end_s(), 600.0, 50, "10-minute windows");
  Zooms(*stub, h.recorded_end_s(), 4 * 3600.0, 20, "4-hour windows");
  std::printf("  rigd's resident memory after these   %.0f MB\n", ResidentMb());
  absl::StatusOr<rollrig::v1::RunInfo> run = app.runs().Get(kRunId);
  if (run.ok()) ReadAllRaw(*run);
  app.Shutdown("bench done");
  return 0;
}
