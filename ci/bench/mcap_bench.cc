// Recording figures (a program, not a Google Benchmark: each figure is one long run).
//   1. McapWriter at 10 kHz of ~100-byte telemetry-like messages, zstd level 1, chunks of
//      0.5 s / 1 MiB with an fdatasync each: times faster than real time, bytes per sample.
//   2. FinalizeRecording of that recording cut mid-chunk as a crash leaves it.
//   3. A 1-hour recording (plus a 10 Hz overview in its own chunks): open it and read a
//      1-second window of telemetry; and the whole hour of the overview.
//
//   mcap_bench [DIR] [WRITE_SECONDS=600] [HOUR_SECONDS=3600]
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <string>

#include "host/recording/file_system.h"
#include "host/recording/mcap_reader.h"
#include "host/recording/mcap_recovery.h"
#include "host/recording/mcap_writer.h"

namespace {

using namespace rollrig::recording;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kStartNs = 1'760'000'000'000'000'000;
constexpr uint64_t kSamplePeriodNs = 100'000;  // 10 kHz

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// A telemetry-like protobuf wire payload of ~100 bytes: a counter, a device time and
// twelve doubles that change smoothly, as a real sample's do.
size_t MakeSample(uint64_t i, uint8_t* out) {
  size_t n = 0;
  auto varint = [&](uint64_t v) {
    while (v >= 0x80) {
      out[n++] = static_cast<uint8_t>(v | 0x80);
      v >>= 7;
    }
    out[n++] = static_cast<uint8_t>(v);
  };
  out[n++] = 0x08;
  varint(i);
  out[n++] = 0x10;
  varint(i * 100);
  for (int field = 3; field <= 12; ++field) {
    out[n++] = static_cast<uint8_t>(field << 3 | 1);
    double v = std::round((40.0 * std::sin(i * 1e-4 * field) + field) * 100.0) / 100.0;
    std::memcpy(out + n, &v, 8);
    n += 8;
  }
  return n;
}

struct Written {
  uint64_t bytes = 0;
  double seconds = 0;
  uint64_t samples = 0;
  double cpu_seconds = 0;  // of this process: the writer's own cost, without waiting on disk
};

// Writes `seconds` of 10 kHz samples (and a 10 Hz overview in group 1).
Written WriteRecording(const std::string& path, uint64_t seconds, bool finish, bool sync) {
  auto file = RealFileSystem()->NewWritableFile(path);
  if (!file.ok()) {
    std::fprintf(stderr, "%s\n", std::string(file.status().message()).c_str());
    std::exit(1);
  }
  McapWriterOptions options;
  options.sync_each_chunk = sync;
  McapWriter writer(*std::move(file), options);
  auto check = [](const absl::Status& s) {
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
      std::exit(1);
    }
  };
  check(writer.Open());
  auto schema = writer.AddSchema("bench.Sample", "protobuf", "");
  auto telemetry = writer.AddChannel("/telemetry", *schema, "protobuf", 0);
  auto overview = writer.AddChannel("/overview", *schema, "protobuf", 1);
  check(writer.WriteMetadata("rollrig.run", {{"run_id", "bench"}}));
  uint8_t sample[160];
  const uint64_t samples = seconds * 10'000;
  auto start = Clock::now();
  std::clock_t cpu_start = std::clock();
  for (uint64_t i = 0; i < samples; ++i) {
    const uint64_t t = kStartNs + i * kSamplePeriodNs;
    size_t n = MakeSample(i, sample);
    check(writer.WriteMessage(*telemetry, static_cast<uint32_t>(i), t, t, sample, n));
    if (i % 1000 == 999)
      check(writer.WriteMessage(*overview, static_cast<uint32_t>(i / 1000), t, t, sample, n));
  }
  check(finish ? writer.Finish() : writer.Flush());
  double cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  return {writer.bytes_written(), Seconds(start), samples, cpu};
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir =
      argc > 1 ? argv[1] : (std::filesystem::temp_directory_path() / "rollrig_mcap_bench").string();
  const uint64_t write_seconds = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 600;
  const uint64_t hour_seconds = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 3600;
  std::filesystem::create_directories(dir);

  // 1. Writer throughput with an fdatasync per chunk.
  const std::string crashed = dir + "/crashed.mcap.part";
  Written w = WriteRecording(crashed, write_seconds, /*finish=*/false, /*sync=*/true);
  std::printf(
      "writer: %llu s of 10 kHz samples in %.2f s = %.0fx real time (fdatasync per chunk; "
      "%.2f s CPU = %.0fx); %.1f bytes per sample on disk (%.1f MB)\n",
      static_cast<unsigned long long>(write_seconds), w.seconds, write_seconds / w.seconds,
      w.cpu_seconds, write_seconds / w.cpu_seconds, static_cast<double>(w.bytes) / w.samples,
      w.bytes / 1e6);

  // 2. Finalize it after a crash mid-chunk.
  std::filesystem::resize_file(crashed, w.bytes - 100'000);
  auto start = Clock::now();
  auto report = FinalizeRecording(RealFileSystem(), crashed, dir + "/crashed.mcap");
  double finalize_s = Seconds(start);
  if (!report.ok()) {
    std::fprintf(stderr, "finalize: %s\n", std::string(report.status().message()).c_str());
    return 1;
  }
  std::printf("finalize: %.1f MB crashed file in %.3f s (%s)\n", w.bytes / 1e6, finalize_s,
              report->ToString().c_str());

  // 3. A long recording: open it, read one second in the middle, read the overview.
  const std::string hour = dir + "/hour.mcap";
  Written h = WriteRecording(hour, hour_seconds, /*finish=*/true, /*sync=*/false);
  std::printf("long recording: %llu s written in %.1f s (%.1f MB)\n",
              static_cast<unsigned long long>(hour_seconds), h.seconds, h.bytes / 1e6);
  // Drop the file from the page cache so the open is not served from memory only.
  ::sync();
  start = Clock::now();
  auto file = RealFileSystem()->OpenForRead(hour);
  auto reader = McapReader::Open(file->get());
  if (!reader.ok()) return 1;
  double open_s = Seconds(start);
  McapReadOptions window;
  window.topics = {"/telemetry"};
  window.start_time = kStartNs + hour_seconds / 2 * 1'000'000'000;
  window.end_time = window.start_time + 1'000'000'000;
  uint64_t count = 0;
  start = Clock::now();
  if (!(*reader)->ReadMessages(window, [&](const McapMessage&) { return ++count > 0; }).ok())
    return 1;
  double window_s = Seconds(start);
  std::printf("open: %.3f s (%llu chunks); read a 1 s window: %llu messages in %.3f s\n", open_s,
              static_cast<unsigned long long>((*reader)->statistics().chunk_count),
              static_cast<unsigned long long>(count), window_s);
  McapReadOptions overview;
  overview.topics = {"/overview"};
  count = 0;
  start = Clock::now();
  if (!(*reader)->ReadMessages(overview, [&](const McapMessage&) { return ++count > 0; }).ok())
    return 1;
  std::printf("overview: all %llu messages of the whole recording in %.3f s\n",
              static_cast<unsigned long long>(count), Seconds(start));
  std::filesystem::remove_all(dir);
  return 0;
}
