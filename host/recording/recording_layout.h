// The layout of a run's recording, shared by everything that writes or reads one (the
// recorder, fixture tools, replay, export): its four channels, its metadata records and
// their keys, the conversion between a host Sample and its TelemetryRecord, and the time
// mapping. See protos/rollrig/v1/recording.proto for what each topic carries.
//
// Times (all Unix-epoch nanoseconds):
//   log_time     = the host receive time (Sample::host_time_ns: a monotonic clock plus an
//                  offset fixed once per process, so samples never reorder);
//   publish_time = the device sample time mapped onto the same epoch with an offset
//                  taken once at run start (DeviceClockOffsetNs);
//   sequence     = the low 32 bits of the device's 64-bit sample counter (the full
//                  counter is in TelemetryRecord.seq).
//
// Free functions are thread-safe; OverviewBuilder is not (one per writer).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "host/recording/mcap_writer.h"
#include "host/recording/sample.h"
#include "rollrig/v1/recording.pb.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::recorder {

// Topics.
inline constexpr char kTelemetryTopic[] = "/telemetry";
inline constexpr char kEventsTopic[] = "/events";
inline constexpr char kCyclesTopic[] = "/cycles";
inline constexpr char kOverviewTopic[] = "/overview";
inline constexpr char kCoarseOverviewTopic[] = "/overview/coarse";

// The chunk groups of /overview and /overview/coarse: their chunks hold nothing else, so a
// whole day's envelope reads without touching the raw samples (nor the fine envelope).
inline constexpr int kOverviewChunkGroup = 1;
inline constexpr int kCoarseOverviewChunkGroup = 2;

// The overview's windows: 10 Hz (fine) and 10 s (coarse, 100 fine windows).
inline constexpr uint64_t kOverviewWindowUs = 100'000;
inline constexpr uint64_t kCoarseOverviewWindowUs = 10'000'000;
// Their chunks close after this much log time, so each holds ~100 (fine) or 6 (coarse)
// records and a day reads in few chunks. The overview is derived from the samples: a crash
// loses at most this much of it, and a reader reads the samples there instead.
inline constexpr int64_t kOverviewChunkSpanNs = 10'000'000'000;
inline constexpr int64_t kCoarseOverviewChunkSpanNs = 60'000'000'000;

// Sets the overview groups' chunk spans (above) in `options`.
void SetOverviewChunkSpans(recording::McapWriterOptions* options);

// Metadata "rollrig.run": what was run.
inline constexpr char kRunMetadata[] = "rollrig.run";
inline constexpr char kRunIdKey[] = "run_id";
inline constexpr char kRunSpecKey[] = "spec";         // RunSpec as JSON
inline constexpr char kProfileTextKey[] = "profile";  // the profile source text
inline constexpr char kProfileNameKey[] = "profile_name";
inline constexpr char kProfileHashKey[] = "profile_hash";
inline constexpr char kStartedUnixNsKey[] = "started_unix_ns";  // run time 0 (decimal)
inline constexpr char kResumedFromKey[] = "resumed_from";
// The identity that started the run, its owner (absent in recordings made before owners).
// Who stopped it is in rollrig.verdict's reason ("stopped by ...") and its /events.
inline constexpr char kStartedByKey[] = "started_by";
// A resumed run's stretch after its (part - 1)th interruption, "2" on (absent: 1).
inline constexpr char kRunPartKey[] = "part";

// Metadata "rollrig.device": what it was run on.
inline constexpr char kDeviceMetadata[] = "rollrig.device";
inline constexpr char kDeviceInfoKey[] = "info";  // DeviceInfo as JSON (calibration included)
inline constexpr char kDeviceSerialKey[] = "serial";
inline constexpr char kFirmwareVersionKey[] = "firmware_version";

// Metadata "rollrig.host": who recorded it, and how to read its times.
inline constexpr char kHostMetadata[] = "rollrig.host";
inline constexpr char kHostVersionKey[] = "host_version";
inline constexpr char kClockOffsetKey[] = "device_clock_offset_ns";  // publish - device time
inline constexpr char kFileIndexKey[] = "file_index";                // 0 = the first file of a run
inline constexpr char kRecordingStartKey[] = "recording_start_unix_ns";

// Metadata "rollrig.verdict": written once a run ends cleanly.
inline constexpr char kVerdictMetadata[] = "rollrig.verdict";
inline constexpr char kVerdictKey[] = "verdict";  // RunVerdict as JSON
inline constexpr char kRunStateKey[] = "state";   // e.g. "RUN_STATE_COMPLETED"
inline constexpr char kStateReasonKey[] = "reason";
inline constexpr char kSamplesKey[] = "samples";  // telemetry messages in the whole run
inline constexpr char kCyclesKey[] = "cycles";

struct RecordingChannels {
  uint16_t telemetry = 0;
  uint16_t events = 0;
  uint16_t cycles = 0;
  uint16_t overview = 0;
  uint16_t coarse_overview = 0;
};

// Adds the protobuf schemas and the five channels to `writer` (after Open()).
absl::StatusOr<RecordingChannels> AddRunChannels(recording::McapWriter& writer);

// Conversions between the host's sample and its recorded form, channel by channel from
// the channel table: a channel the sample lacks is left unset in the record, and a record
// without a channel (a file from before it existed) gives a sample lacking it.
// RecordToSample leaves host_time_ns 0: the caller restores it from the message's
// log_time. RecordToDeviceSample is the device's level of it (a replay playing the device).
void SampleToRecord(const host::Sample& sample, rollrig::v1::TelemetryRecord* record);
void RecordToSample(const rollrig::v1::TelemetryRecord& record, host::Sample* sample);
void RecordToDeviceSample(const rollrig::v1::TelemetryRecord& record, TelemetrySample* sample);

// The time mapping (see the top of this file).
inline uint64_t LogTimeNs(const host::Sample& s) {
  return s.host_time_ns > 0 ? static_cast<uint64_t>(s.host_time_ns) : 0;
}
// The offset that maps device time onto the host epoch, from one sample seen at run start.
inline int64_t DeviceClockOffsetNs(int64_t host_time_ns, uint64_t device_time_us) {
  return host_time_ns - static_cast<int64_t>(device_time_us * 1000);
}
inline uint64_t PublishTimeNs(uint64_t device_time_us, int64_t clock_offset_ns) {
  const int64_t t = static_cast<int64_t>(device_time_us * 1000) + clock_offset_ns;
  return t > 0 ? static_cast<uint64_t>(t) : 0;
}
inline uint32_t SequenceOf(uint64_t seq) { return static_cast<uint32_t>(seq & 0xffffffffu); }

// Writers for one message of each topic; `scratch` is reused to avoid an allocation per
// message. Events and cycles carry their own log time (the event's host_time_ns, the
// host time the cycle closed).
absl::Status WriteSample(recording::McapWriter& writer, const RecordingChannels& channels,
                         const host::Sample& sample, int64_t clock_offset_ns,
                         rollrig::v1::TelemetryRecord* record, std::string* scratch);
absl::Status WriteEvent(recording::McapWriter& writer, const RecordingChannels& channels,
                        const rollrig::v1::RigEvent& event, uint32_t sequence,
                        std::string* scratch);
absl::Status WriteCycle(recording::McapWriter& writer, const RecordingChannels& channels,
                        const rollrig::v1::CycleStats& cycle, uint64_t log_time_ns,
                        std::string* scratch);

// One overview message ready to write.
struct OverviewEntry {
  rollrig::v1::OverviewRecord record;
  uint64_t log_time = 0;      // host time of the last sample in the window
  uint64_t publish_time = 0;  // its device time on the host epoch
};

absl::Status WriteOverview(recording::McapWriter& writer, const RecordingChannels& channels,
                           const OverviewEntry& entry, uint32_t sequence, std::string* scratch);
// The same on /overview/coarse.
absl::Status WriteCoarseOverview(recording::McapWriter& writer, const RecordingChannels& channels,
                                 const OverviewEntry& entry, uint32_t sequence,
                                 std::string* scratch);

// One overview window being filled: its samples' counters and times, and per channel of
// the channel table the running min, max and sum. Plain data: adding a sample allocates
// nothing.
struct OverviewWindow {
  uint64_t index = 0;  // window number since the first sample
  uint32_t samples = 0;
  uint64_t first_seq = 0, last_seq = 0;
  uint64_t first_time_us = 0, last_time_us = 0;
  int64_t last_host_ns = 0;
  uint32_t cycle = 0;
  std::array<float, kTelemetryChannelCount> min{}, max{};
  std::array<double, kTelemetryChannelCount> sum{};
  std::array<uint32_t, kTelemetryChannelCount> count{};

  void Start(uint64_t window_index);
  void Add(const host::Sample& s);
  // Folds a later window of the same stream in.
  void Merge(const OverviewWindow& later);
  // Its record: t_start_s/t_end_s from the window's bounds, `window_us` long.
  void ToEntry(uint64_t window_us, int64_t clock_offset_ns, OverviewEntry* out) const;
};

// Turns samples into min/max/mean envelopes over fixed windows of device time, 0 being
// the first sample's device time: fine windows (10 Hz by default) and coarse ones (10 s: a
// whole number of fine windows, each the merge of its fine windows, so per sample the cost
// is one fine window's update). Not thread-safe.
class OverviewBuilder {
 public:
  explicit OverviewBuilder(int64_t clock_offset_ns, uint64_t window_us = kOverviewWindowUs,
                           uint64_t coarse_window_us = kCoarseOverviewWindowUs);

  // Adds a sample (in counter order). Returns true and fills `out` when the sample
  // starts a new fine window and the previous one is complete; a coarse window completed
  // with it is then ready for TakeCoarse.
  bool Add(const host::Sample& sample, OverviewEntry* out);
  // The fine window in progress, if it has samples (at the end of a recording); the coarse
  // one in progress is then ready for TakeCoarse.
  bool Flush(OverviewEntry* out);
  // A completed coarse window, once.
  bool TakeCoarse(OverviewEntry* out);

 private:
  void CloseFine(OverviewEntry* out);

  int64_t clock_offset_ns_;
  uint64_t window_us_;
  uint64_t fine_per_coarse_;
  bool have_first_ = false;
  uint64_t first_time_us_ = 0;
  OverviewWindow fine_;
  OverviewWindow coarse_;
  bool coarse_ready_ = false;
  OverviewEntry coarse_entry_;
};

}  // namespace rollrig::recorder
