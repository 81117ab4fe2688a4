// Upload figures (a program, not a Google Benchmark; ci/bench/upload_bench.sh starts the
// store and compares with s3cmd):
//   1. Upload throughput: a recording of FILE_MB through the upload queue (SHA-256 and MD5s
//      of the file, multipart PUTs of 8 MiB, HEAD verification) to the store at ENDPOINT.
//   2. Recorder throughput (the McapWriter at 10 kHz with an fdatasync per chunk, as
//      mcap_bench measures it) alone, then while the queue uploads without a cap and with
//      --upload-max-rate 4M: times faster than real time, and the ratios.
//
//   upload_bench ENDPOINT DIR [FILE_MB=64] [WRITE_SECONDS=300]
// Prints "upload_seconds=S" for the script, then the figures.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "host/recording/file_system.h"
#include "host/recording/mcap_writer.h"
#include "host/upload/curl_object_store.h"
#include "host/upload/upload_journal.h"
#include "host/upload/upload_queue.h"

namespace {

using namespace rollrig;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kStartNs = 1'760'000'000'000'000'000;
constexpr uint64_t kSamplePeriodNs = 100'000;  // 10 kHz

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

void Check(const absl::Status& s) {
  if (!s.ok()) {
    std::fprintf(stderr, "upload_bench: %s\n", std::string(s.message()).c_str());
    std::exit(1);
  }
}

// A telemetry-like payload of ~100 bytes (as mcap_bench's).
size_t MakeSample(uint64_t i, uint8_t* out) {
  size_t n = 0;
  out[n++] = 0x08;
  for (uint64_t v = i;; v >>= 7) {
    out[n++] = static_cast<uint8_t>(v >= 0x80 ? (v | 0x80) : v);
    if (v < 0x80) break;
  }
  for (int field = 3; field <= 12; ++field) {
    out[n++] = static_cast<uint8_t>(field << 3 | 1);
    double v = std::round((40.0 * std::sin(i * 1e-4 * field) + field) * 100.0) / 100.0;
    std::memcpy(out + n, &v, 8);
    n += 8;
  }
  return n;
}

// Writes `seconds` of 10 kHz samples with an fdatasync per chunk; returns the wall seconds.
double WriteRecording(const std::string& path, uint64_t seconds) {
  auto file = recording::RealFileSystem()->NewWritableFile(path);
  Check(file.status());
  recording::McapWriterOptions options;
  options.sync_each_chunk = true;
  recording::McapWriter writer(*std::move(file), options);
  Check(writer.Open());
  auto schema = writer.AddSchema("bench.Sample", "protobuf", "");
  auto telemetry = writer.AddChannel("/telemetry", *schema, "protobuf", 0);
  uint8_t sample[160];
  const auto start = Clock::now();
  for (uint64_t i = 0; i < seconds * 10'000; ++i) {
    const uint64_t t = kStartNs + i * kSamplePeriodNs;
    const size_t n = MakeSample(i, sample);
    Check(writer.WriteMessage(*telemetry, static_cast<uint32_t>(i), t, t, sample, n));
  }
  Check(writer.Finish());
  return Seconds(start);
}

// A file of `mb` MiB of recording-like bytes (an MCAP of enough samples).
void MakeFile(const std::string& path, uint64_t mb) {
  // About 40 bytes per sample on disk compressed: write samples until big enough.
  uint64_t seconds = mb * 3;
  while (true) {
    WriteRecording(path, seconds);
    if (std::filesystem::file_size(path) >= mb << 20) return;
    seconds *= 2;
  }
}

struct Bench {
  std::string endpoint, dir;
  std::vector<rollrig::v1::RunInfo> runs;

  upload::UploadQueue* NewQueue(uint64_t rate, upload::UploadJournal* journal,
                                std::unique_ptr<upload::CurlObjectStore>* store) {
    upload::CurlStoreOptions s;
    s.endpoint = endpoint;
    s.bucket = "rollrig";
    s.credentials.access_key_id = "S3RVER";
    s.credentials.secret_access_key = "S3RVER";
    s.max_send_bytes_per_s = rate;
    *store = std::make_unique<upload::CurlObjectStore>(s);
    upload::UploadOptions o;
    o.location = {"rollrig", "bench"};
    o.endpoint = endpoint;
    o.runs_dir = dir;
    o.keep_local = absl::Hours(1000);
    return new upload::UploadQueue(store->get(), journal, {[this] { return runs; }, nullptr}, o);
  }
  void AddRun(const std::string& id) {
    rollrig::v1::RunInfo run;
    run.set_id(id);
    run.set_state(rollrig::v1::RUN_STATE_COMPLETED);
    run.set_device_serial("BENCH");
    run.add_recordings(dir + "/bench.mcap");
    runs.push_back(run);
  }
};

// Recorder speed (x real time) while the queue keeps uploading copies at `rate` (0 = none
// running at all when `uploads` is false).
double RecorderWhileUploading(Bench& bench, bool uploads, uint64_t rate, uint64_t seconds) {
  std::atomic<bool> stop{false};
  std::thread uploader;
  upload::MemoryJournal journal;
  std::unique_ptr<upload::CurlObjectStore> store;
  std::unique_ptr<upload::UploadQueue> queue;
  if (uploads) {
    bench.runs.clear();
    for (int i = 0; i < 200; ++i) bench.AddRun(absl::StrCat("r", rate, "-", i));
    queue.reset(bench.NewQueue(rate, &journal, &store));
    uploader = std::thread([&] {
      while (!stop) {
        if (!queue->Step()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    });
    std::this_thread::sleep_for(std::chrono::seconds(1));  // uploads under way
  }
  const double wall = WriteRecording(bench.dir + "/recorder.mcap", seconds);
  stop = true;
  if (store) store->Cancel();
  if (uploader.joinable()) uploader.join();
  return static_cast<double>(seconds) / wall;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: upload_bench ENDPOINT DIR [FILE_MB=64] [WRITE_SECONDS=300]\n");
    return 2;
  }
  Bench bench{argv[1], argv[2], {}};
  const uint64_t file_mb = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 64;
  const uint64_t write_seconds = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 300;
  std::filesystem::create_directories(bench.dir);
  const std::string file = bench.dir + "/bench.mcap";
  MakeFile(file, file_mb);
  const double mb = std::filesystem::file_size(file) / 1048576.0;

  // 1. One upload of the file, end to end (digests, parts, verification).
  bench.AddRun("throughput");
  upload::MemoryJournal journal;
  std::unique_ptr<upload::CurlObjectStore> store;
  std::unique_ptr<upload::UploadQueue> queue(bench.NewQueue(0, &journal, &store));
  const auto start = Clock::now();
  if (!queue->Step()) Check(absl::InternalError("nothing to upload"));
  const double upload_s = Seconds(start);
  const rollrig::v1::UploadStatus status = queue->Status(false);
  if (status.files_uploaded_total() != 1) Check(absl::InternalError(status.last_error()));
  std::printf("upload_seconds=%.3f\n", upload_s);
  std::printf(
      "upload: %.1f MiB recording in %.2f s = %.1f MiB/s (SHA-256 + MD5s, 8 MiB parts, "
      "HEAD verified)\n",
      mb, upload_s, mb / upload_s);

  // 2. The recorder alone and with uploads running, interleaved three times (the disk's
  // fdatasync times vary with whatever else the machine does): medians and ranges.
  std::vector<double> alone, uncapped, capped;
  for (int round = 0; round < 3; ++round) {
    alone.push_back(RecorderWhileUploading(bench, false, 0, write_seconds));
    uncapped.push_back(RecorderWhileUploading(bench, true, 0, write_seconds));
    capped.push_back(RecorderWhileUploading(bench, true, 4u << 20, write_seconds));
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  auto range = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return absl::StrFormat("%.0f-%.0fx", v.front(), v.back());
  };
  std::printf(
      "recorder (medians of 3): %.0fx real time alone (%s); %.0fx with uploads running "
      "(%s, ratio %.2f); %.0fx with uploads at --upload-max-rate 4M (%s, ratio %.2f); "
      "store on this machine\n",
      median(alone), range(alone).c_str(), median(uncapped), range(uncapped).c_str(),
      median(uncapped) / median(alone), median(capped), range(capped).c_str(),
      median(capped) / median(alone));
  return 0;
}
