// What one recording file of a run says, for reading the run's history (run_history.h):
// its run, stretch and time mapping, its sample range, its coarse envelope (10 s windows,
// from /overview/coarse or, in recordings made before that topic, merged from /overview),
// its events and cycles. Built once per file by IndexHistoryFile; a finished file never
// changes, so its index may be kept (a file still being written, NAME.mcap.part, is indexed
// as far as its last durable chunk).
//
// Also the readers of a window of one file: the fine envelope (/overview) and the raw
// samples, each through the chunk index, reading only the chunks that may hold the window.
//
// Plain data plus free functions; no shared state. The functions are safe to call from any
// thread on distinct data.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "host/recording/file_system.h"
#include "host/recording/mcap_reader.h"
#include "host/recording/sample.h"
#include "rig/base/telemetry_channels.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::recording {

// An envelope over the samples [first, last] of one stream: per channel of the channel
// table, min, max and sum over the samples that carried it (count). A raw sample is an
// envelope of one.
struct Envelope {
  uint64_t first_time_us = 0, last_time_us = 0;  // device time
  uint64_t first_seq = 0, last_seq = 0;
  uint32_t samples = 0;
  std::array<float, kTelemetryChannelCount> min{}, max{};
  std::array<double, kTelemetryChannelCount> sum{};
  std::array<uint32_t, kTelemetryChannelCount> count{};

  static Envelope OfSample(const host::Sample& s);
};

struct HistoryFileIndex {
  std::string path;
  std::string run_id;
  uint32_t part = 1;                       // the run's stretch (1 = before any interruption)
  uint32_t file_index = 0;                 // within its stretch (0 = the stretch's first file)
  std::optional<int64_t> clock_offset_ns;  // publish - device time
  uint32_t sample_rate_hz = 0;             // from the device's capabilities; 0 unknown
  int64_t started_unix_ns = 0;             // the run's start request

  bool has_samples = false;
  uint64_t first_time_us = 0, last_time_us = 0;  // device time of the first and last sample
  uint64_t first_log_ns = 0, last_log_ns = 0;
  uint64_t samples = 0;  // /telemetry messages
  // The first sample of a running program (segment >= 0) in the file's first minute:
  // run time 0 of a stretch that starts in this file.
  std::optional<uint64_t> program_start_time_us;
  uint64_t program_start_log_ns = 0;

  // Whether /overview carries every channel (recordings before that: read raw instead).
  bool has_channel_envelopes = false;
  std::vector<Envelope> coarse;  // in order
  // (log time, device time) pairs, from the overview: maps host times onto device time.
  std::vector<std::pair<uint64_t, uint64_t>> anchors;

  std::vector<rollrig::v1::RigEvent> events;  // host_time_ns as recorded
  std::vector<rollrig::v1::CycleStats> cycles;
  // Non-empty when part of the file could not be read (what, where): what precedes it is
  // indexed.
  std::string damage;

  // Device time of a host time (Unix-epoch ns), and back, through the anchors.
  uint64_t DeviceTimeUs(uint64_t log_ns) const;
  uint64_t LogTimeNs(uint64_t device_time_us) const;
};

// A recording file open for reading, its summary read (or its data scanned).
struct OpenRecording {
  std::unique_ptr<RandomAccessFile> file;
  std::unique_ptr<McapReader> reader;
};
// DATA_LOSS naming the file when it is not a readable MCAP file.
absl::StatusOr<std::shared_ptr<OpenRecording>> OpenRecordingFile(FileSystem* fs,
                                                                 const std::string& path);

// Indexes the open file at `path` (see above). DATA_LOSS naming the file when nothing of it
// can be read.
absl::StatusOr<HistoryFileIndex> IndexHistoryFile(const OpenRecording& open,
                                                  const std::string& path);

// Calls `on` for each fine envelope (/overview) of the file that overlaps device times
// [from_us, to_us], or each raw sample inside them, in order. Errors (DATA_LOSS) name the file;
// what was passed to `on` before stays valid.
absl::Status ReadFineEnvelopes(const OpenRecording& open, const HistoryFileIndex& file,
                               uint64_t from_us, uint64_t to_us,
                               const std::function<void(const Envelope&)>& on);
absl::Status ReadRawSamples(const OpenRecording& open, const HistoryFileIndex& file,
                            uint64_t from_us, uint64_t to_us,
                            const std::function<void(const host::Sample&)>& on);

}  // namespace rollrig::recording
