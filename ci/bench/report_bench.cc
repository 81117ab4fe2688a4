// Run report figures (a program, not a Google Benchmark: each figure is one long run).
// Writes a synthetic run recording with rigd's layout (host/recording/recording_layout.h):
// 1 kHz telemetry, the 10 Hz overview in its own chunks, a cycle's statistics every 60 s
// and an event every 10 min, rigd's chunking (0.5 s / 1 MiB, zstd level 1, no fdatasync to
// keep the set-up short). Then times `rigctl report`'s work on it (read + render) and, as
// the baseline in the same run, reading every message of the file once.
// Prints run duration / report time (the target: >= 200x real time).
//
//   report_bench [DIR] [RUN_SECONDS=3600]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "host/recording/file_system.h"
#include "host/recording/mcap_reader.h"
#include "host/recording/mcap_writer.h"
#include "host/recording/recording_layout.h"
#include "host/report/file_digest.h"
#include "host/report/run_report.h"

namespace {

namespace rec = rollrig::recorder;
namespace v1 = rollrig::v1;
using Clock = std::chrono::steady_clock;

constexpr int64_t kStartNs = 1'760'000'000'000'000'000;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// One sample of a 60 s cycle: the roller speeds up and down, torque follows, the winding
// warms slowly.
rollrig::host::Sample MakeSample(uint64_t i) {
  rollrig::host::Sample s;
  const double t = static_cast<double>(i) / 1000.0;
  const double phase = std::fmod(t, 60.0) / 60.0;
  s.seq = i;
  s.time_us = i * 1000;
  s.host_time_ns = kStartNs + static_cast<int64_t>(i) * 1'000'000;
  s.roller_rpm_cmd = static_cast<float>(60 * std::sin(2 * M_PI * phase));
  s.roller_rpm = s.roller_rpm_cmd + static_cast<float>(0.3 * std::sin(t * 7));
  s.head_deg_cmd = s.head_deg = static_cast<float>(90 * std::sin(2 * M_PI * phase * 2));
  s.torque_nm =
      static_cast<float>(0.25 + 0.1 * std::sin(2 * M_PI * phase) + 0.01 * std::sin(t * 31));
  s.force_n = static_cast<float>(50 + 10 * std::sin(2 * M_PI * phase));
  s.preload_cmd_n = 50;
  s.current_a = s.torque_nm;
  s.temp_c = static_cast<float>(25 + 10 * (1 - std::exp(-t / 600)));
  s.voltage_v = 12;
  s.segment = static_cast<int32_t>(phase * 3);
  s.cycle = static_cast<uint32_t>(t / 60) + 1;
  return s;
}

v1::CycleStats CycleOf(uint32_t cycle) {
  v1::CycleStats c;
  c.set_cycle(cycle);
  c.set_start_s((cycle - 1) * 60.0);
  c.set_end_s(cycle * 60.0);
  c.set_samples(60000);
  c.set_peak_torque_nm(0.36 + 1e-5 * cycle);
  c.set_mean_torque_nm(0.25);
  c.set_rms_torque_nm(0.26);
  c.set_mean_force_n(50);
  c.set_peak_force_n(60);
  c.set_speed_rms_error_rpm(0.2);
  c.set_max_temperature_c(25 + 10 * (1 - std::exp(-cycle * 60.0 / 600)));
  c.set_length_s(60);
  return c;
}

int Fail(const std::string& what, const absl::Status& s) {
  std::fprintf(stderr, "report_bench: %s: %s\n", what.c_str(), std::string(s.message()).c_str());
  return 1;
}

// Writes RUN_SECONDS of a 1 kHz run to `path`.
int WriteRun(const std::string& path, uint64_t run_seconds) {
  auto file = rollrig::recording::RealFileSystem()->NewWritableFile(path);
  if (!file.ok()) return Fail(path, file.status());
  rollrig::recording::McapWriterOptions options;
  options.sync_each_chunk = false;
  rollrig::recording::McapWriter writer(*std::move(file), options);
  if (absl::Status s = writer.Open(); !s.ok()) return Fail("open", s);
  auto ch = rec::AddRunChannels(writer);
  if (!ch.ok()) return Fail("channels", ch.status());
  const std::string profile =
      "name: \"bench\" limits { name: \"cycle peak torque\" cycle_statistic: "
      "CYCLE_STATISTIC_PEAK_TORQUE_NM max: 2 }";
  (void)writer.WriteMetadata(rec::kRunMetadata, {{rec::kRunIdKey, "bench"},
                                                 {rec::kProfileNameKey, "bench"},
                                                 {rec::kProfileTextKey, profile},
                                                 {rec::kStartedUnixNsKey, absl::StrCat(kStartNs)}});
  rec::OverviewBuilder overview(kStartNs);
  rec::OverviewEntry entry;
  v1::TelemetryRecord record;
  std::string scratch;
  uint32_t overview_seq = 0, event_seq = 0;
  for (uint64_t i = 0; i < run_seconds * 1000; ++i) {
    const rollrig::host::Sample s = MakeSample(i);
    absl::Status st = rec::WriteSample(writer, *ch, s, kStartNs, &record, &scratch);
    if (st.ok() && overview.Add(s, &entry))
      st = rec::WriteOverview(writer, *ch, entry, overview_seq++, &scratch);
    if (st.ok() && i % 60000 == 59999) {
      st = rec::WriteCycle(writer, *ch, CycleOf(static_cast<uint32_t>(i / 60000) + 1),
                           static_cast<uint64_t>(s.host_time_ns), &scratch);
    }
    if (st.ok() && i % 600000 == 300000) {
      v1::RigEvent e;
      e.set_kind(v1::RIG_EVENT_RUN_STATE);
      e.set_run_state(v1::RUN_STATE_PAUSED);
      e.set_host_time_ns(s.host_time_ns);
      e.set_message("paused by bench");
      st = rec::WriteEvent(writer, *ch, e, event_seq++, &scratch);
    }
    if (!st.ok()) return Fail("write", st);
  }
  if (overview.Flush(&entry))
    (void)rec::WriteOverview(writer, *ch, entry, overview_seq++, &scratch);
  (void)writer.WriteMetadata(rec::kVerdictMetadata,
                             {{rec::kVerdictKey, "{\"verdict\":\"VERDICT_PASS\"}"},
                              {rec::kRunStateKey, "RUN_STATE_COMPLETED"}});
  if (absl::Status s = writer.Finish(); !s.ok()) return Fail("finish", s);
  return 0;
}

// The baseline: every message of the file read once.
double ReadEverything(const std::string& path) {
  const Clock::time_point t0 = Clock::now();
  auto file = rollrig::recording::RealFileSystem()->OpenForRead(path);
  if (!file.ok()) return -1;
  auto reader = rollrig::recording::McapReader::Open(file->get());
  if (!reader.ok()) return -1;
  uint64_t n = 0;
  (void)(*reader)->ReadMessages({}, [&](const rollrig::recording::McapMessage&) {
    ++n;
    return true;
  });
  return n > 0 ? Seconds(t0) : -1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : std::filesystem::temp_directory_path().string();
  const uint64_t run_seconds = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 3600;
  const std::string path = dir + "/report-bench.mcap";
  Clock::time_point t0 = Clock::now();
  if (int rc = WriteRun(path, run_seconds); rc != 0) return rc;
  const double write_s = Seconds(t0);
  const uint64_t bytes = std::filesystem::file_size(path);

  t0 = Clock::now();
  absl::StatusOr<std::string> html = rollrig::report::RunReportHtml({path}, std::nullopt);
  const double report_s = Seconds(t0);
  if (!html.ok()) return Fail("report", html.status());
  const double read_all_s = ReadEverything(path);
  t0 = Clock::now();
  auto file = rollrig::recording::RealFileSystem()->OpenForRead(path);
  const bool hashed = file.ok() && rollrig::report::Sha256OfFile(**file).ok();
  const double digest_s = hashed ? Seconds(t0) : -1;
  std::filesystem::remove(path);

  const double run_s = static_cast<double>(run_seconds);
  std::printf("report_bench: %.0f s run at 1 kHz (%.1f MiB, written in %.1f s)\n", run_s,
              static_cast<double>(bytes) / (1 << 20), write_s);
  std::printf(
      "  report (read + render, %.0f KiB of HTML): %.3f s = %.0fx real time (target >= 200x)\n",
      static_cast<double>(html->size()) / 1024, report_s, run_s / report_s);
  std::printf("  of which the file's SHA-256 (listed in the report): about %.3f s\n", digest_s);
  std::printf(
      "  baseline, every message read once: %.3f s = %.0fx real time; the report takes %.2fx of "
      "it\n",
      read_all_s, run_s / read_all_s, report_s / read_all_s);
  if (run_s / report_s < 200) std::printf("  BELOW the 200x target\n");
  return 0;
}
