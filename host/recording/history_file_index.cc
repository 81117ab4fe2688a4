#include "host/recording/history_file_index.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "host/recording/mcap_reader.h"
#include "host/recording/recording_layout.h"
#include "rollrig/v1/recording.pb.h"

namespace rollrig::recording {
namespace {

namespace rec = rollrig::recorder;

// How far into a stretch its program's first sample is looked for.
constexpr uint64_t kProgramSearchNs = 60'000'000'000;
// Host receive times trail device times by up to the device's buffer (and rigd's stalls):
// a window in device time is read from this much wider a window of log times.
constexpr uint64_t kLogMarginNs = 1'500'000'000;
// Fine envelopes merged into one coarse one, for recordings without /overview/coarse.
constexpr size_t kFinePerCoarse = rec::kCoarseOverviewWindowUs / rec::kOverviewWindowUs;

std::string FileName(const std::string& path) { return path.substr(path.rfind('/') + 1); }

absl::Status NameFile(const absl::Status& s, const std::string& path) {
  return absl::Status(s.code(), absl::StrCat("recording ", FileName(path), ": ", s.message()));
}

std::string MetadataValue(const McapReader& reader, const char* name, const char* key) {
  for (const McapMetadata& m : reader.metadata()) {
    if (m.name != name) continue;
    if (auto it = m.metadata.find(key); it != m.metadata.end()) return it->second;
  }
  return "";
}

void ReadMetadata(const McapReader& reader, HistoryFileIndex* index) {
  index->run_id = MetadataValue(reader, rec::kRunMetadata, rec::kRunIdKey);
  uint32_t u = 0;
  int64_t i = 0;
  if (absl::SimpleAtoi(MetadataValue(reader, rec::kRunMetadata, rec::kRunPartKey), &u)) {
    index->part = u;
  }
  if (absl::SimpleAtoi(MetadataValue(reader, rec::kHostMetadata, rec::kFileIndexKey), &u)) {
    index->file_index = u;
  }
  if (absl::SimpleAtoi(MetadataValue(reader, rec::kHostMetadata, rec::kClockOffsetKey), &i)) {
    index->clock_offset_ns = i;
  }
  if (absl::SimpleAtoi(MetadataValue(reader, rec::kRunMetadata, rec::kStartedUnixNsKey), &i)) {
    index->started_unix_ns = i;
  }
  rollrig::v1::DeviceInfo device;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (google::protobuf::util::JsonStringToMessage(
          MetadataValue(reader, rec::kDeviceMetadata, rec::kDeviceInfoKey), &device, options)
          .ok()) {
    index->sample_rate_hz = device.capabilities().telemetry_hz();
  }
}

bool ParseSample(const McapMessage& m, host::Sample* s) {
  rollrig::v1::TelemetryRecord record;
  if (!record.ParseFromString(m.data)) return false;
  rec::RecordToSample(record, s);
  s->host_time_ns = static_cast<int64_t>(m.log_time);
  return true;
}

void NoteDamage(const absl::Status& s, HistoryFileIndex* index) {
  if (!s.ok() && index->damage.empty())
    index->damage = std::string(NameFile(s, index->path).message());
}

// The first sample, the first of a running program, and the last sample.
void ReadSampleRange(const McapReader& reader, HistoryFileIndex* index) {
  McapReadOptions options;
  options.topics = {rec::kTelemetryTopic};
  host::Sample s;
  NoteDamage(reader.ReadMessages(options,
                                 [&](const McapMessage& m) {
                                   if (!ParseSample(m, &s)) return true;
                                   if (!index->has_samples) {
                                     index->has_samples = true;
                                     index->first_time_us = s.time_us;
                                     index->first_log_ns = m.log_time;
                                   }
                                   if (s.segment >= 0) {
                                     index->program_start_time_us = s.time_us;
                                     index->program_start_log_ns = m.log_time;
                                     return false;
                                   }
                                   return m.log_time < index->first_log_ns + kProgramSearchNs;
                                 }),
             index);
  // The last sample: in the file's last seconds, unless the file ended long after it (a
  // hold, a late end event); then from further back.
  const McapStatistics& stats = reader.statistics();
  bool found = false;
  for (uint64_t back = kLogMarginNs; !found && index->has_samples; back *= 40) {
    options.start_time = stats.message_end_time > back ? stats.message_end_time - back : 0;
    NoteDamage(reader.ReadMessages(options,
                                   [&](const McapMessage& m) {
                                     if (ParseSample(m, &s) && s.time_us >= index->last_time_us) {
                                       index->last_time_us = s.time_us;
                                       index->last_log_ns = m.log_time;
                                       found = true;
                                     }
                                     return true;
                                   }),
               index);
    if (options.start_time == 0) break;
  }
  for (const auto& [id, channel] : reader.channels()) {
    if (channel.topic != rec::kTelemetryTopic) continue;
    if (auto it = stats.channel_message_counts.find(id); it != stats.channel_message_counts.end()) {
      index->samples = it->second;
    }
  }
  if (index->has_samples && index->last_time_us < index->first_time_us) {
    index->last_time_us = index->first_time_us;  // the tail could not be read
    index->last_log_ns = index->first_log_ns;
  }
}

// An overview record as an envelope; false for a record without the per-channel arrays.
bool EnvelopeOf(const rollrig::v1::OverviewRecord& r, Envelope* e) {
  if (r.channel_min_size() == 0 || r.samples() == 0) return false;
  *e = Envelope{};
  e->first_time_us = r.first_time_us();
  e->last_time_us = r.last_time_us();
  e->first_seq = r.first_seq();
  e->last_seq = r.last_seq();
  e->samples = r.samples();
  const size_t n = std::min<size_t>(kTelemetryChannelCount, r.channel_min_size());
  for (size_t c = 0; c < n && c < static_cast<size_t>(r.channel_max_size()) &&
                     c < static_cast<size_t>(r.channel_mean_size());
       ++c) {
    if (std::isnan(r.channel_mean(static_cast<int>(c)))) continue;
    e->min[c] = r.channel_min(static_cast<int>(c));
    e->max[c] = r.channel_max(static_cast<int>(c));
    e->sum[c] = static_cast<double>(r.channel_mean(static_cast<int>(c))) * r.samples();
    e->count[c] = r.samples();
  }
  return true;
}

void Merge(const Envelope& later, Envelope* into) {
  if (later.samples == 0) return;
  if (into->samples == 0) {
    *into = later;
    return;
  }
  into->last_time_us = later.last_time_us;
  into->last_seq = later.last_seq;
  into->samples += later.samples;
  for (size_t c = 0; c < kTelemetryChannelCount; ++c) {
    if (later.count[c] == 0) continue;
    into->min[c] = into->count[c] == 0 ? later.min[c] : std::min(into->min[c], later.min[c]);
    into->max[c] = into->count[c] == 0 ? later.max[c] : std::max(into->max[c], later.max[c]);
    into->sum[c] += later.sum[c];
    into->count[c] += later.count[c];
  }
}

// Reads one overview topic: its envelopes (when it has the arrays) and its time anchors.
absl::Status ReadOverviewTopic(const McapReader& reader, const char* topic, HistoryFileIndex* index,
                               std::vector<Envelope>* envelopes, bool* has_arrays) {
  McapReadOptions options;
  options.topics = {topic};
  rollrig::v1::OverviewRecord r;
  Envelope e;
  return reader.ReadMessages(options, [&](const McapMessage& m) {
    if (!r.ParseFromString(m.data)) return true;
    if (EnvelopeOf(r, &e)) {
      *has_arrays = true;
      envelopes->push_back(e);
      index->anchors.emplace_back(m.log_time, e.last_time_us);
    } else if (index->clock_offset_ns) {
      const int64_t device_ns = static_cast<int64_t>(m.publish_time) - *index->clock_offset_ns;
      index->anchors.emplace_back(m.log_time,
                                  static_cast<uint64_t>(std::max<int64_t>(0, device_ns)) / 1000);
    }
    return true;
  });
}

// The coarse envelope, from /overview/coarse, or else merged from /overview.
void ReadCoarse(const McapReader& reader, HistoryFileIndex* index) {
  bool arrays = false;
  NoteDamage(ReadOverviewTopic(reader, rec::kCoarseOverviewTopic, index, &index->coarse, &arrays),
             index);
  if (!index->coarse.empty()) {
    index->has_channel_envelopes = arrays;
    return;
  }
  index->anchors.clear();
  std::vector<Envelope> fine;
  NoteDamage(ReadOverviewTopic(reader, rec::kOverviewTopic, index, &fine, &arrays), index);
  index->has_channel_envelopes = arrays;
  for (size_t i = 0; i < fine.size(); ++i) {
    if (i % kFinePerCoarse == 0) index->coarse.emplace_back();
    Merge(fine[i], &index->coarse.back());
  }
}

void ReadEventsAndCycles(const McapReader& reader, HistoryFileIndex* index) {
  McapReadOptions options;
  options.topics = {rec::kEventsTopic, rec::kCyclesTopic};
  std::map<uint16_t, std::string> topics;
  for (const auto& [id, channel] : reader.channels()) topics[id] = channel.topic;
  NoteDamage(reader.ReadMessages(options,
                                 [&](const McapMessage& m) {
                                   if (topics[m.channel_id] == rec::kEventsTopic) {
                                     rollrig::v1::RigEvent e;
                                     if (e.ParseFromString(m.data)) {
                                       index->events.push_back(std::move(e));
                                     }
                                   } else {
                                     rollrig::v1::CycleStats c;
                                     if (c.ParseFromString(m.data)) {
                                       index->cycles.push_back(std::move(c));
                                     }
                                   }
                                   return true;
                                 }),
             index);
}

// Reads the messages of `topic` whose log times may hold device times [from_us, to_us].
absl::Status ReadWindow(const OpenRecording& open, const HistoryFileIndex& file, const char* topic,
                        uint64_t from_us, uint64_t to_us,
                        const std::function<void(const McapMessage&)>& on) {
  McapReadOptions options;
  options.topics = {topic};
  const uint64_t from_log = file.LogTimeNs(from_us);
  options.start_time = from_log > kLogMarginNs ? from_log - kLogMarginNs : 0;
  options.end_time = file.LogTimeNs(to_us) + kLogMarginNs;
  absl::Status s = open.reader->ReadMessages(options, [&](const McapMessage& message) {
    on(message);
    return true;
  });
  return s.ok() ? s : NameFile(s, file.path);
}

}  // namespace

Envelope Envelope::OfSample(const host::Sample& s) {
  Envelope e;
  e.first_time_us = e.last_time_us = s.time_us;
  e.first_seq = e.last_seq = s.seq;
  e.samples = 1;
  for (size_t c = 0; c < kTelemetryChannelCount; ++c) {
    if (!ChannelPresent(s, c)) continue;
    const float v = s.*kTelemetryChannels[c].member;
    e.min[c] = e.max[c] = v;
    e.sum[c] = v;
    e.count[c] = 1;
  }
  return e;
}

uint64_t HistoryFileIndex::DeviceTimeUs(uint64_t log_ns) const {
  if (anchors.empty()) {
    if (clock_offset_ns) {
      return static_cast<uint64_t>(
                 std::max<int64_t>(0, static_cast<int64_t>(log_ns) - *clock_offset_ns)) /
             1000;
    }
    const int64_t d = (static_cast<int64_t>(log_ns) - static_cast<int64_t>(first_log_ns)) / 1000;
    return static_cast<uint64_t>(std::max<int64_t>(0, static_cast<int64_t>(first_time_us) + d));
  }
  auto it = std::upper_bound(anchors.begin(), anchors.end(), log_ns,
                             [](uint64_t t, const auto& a) { return t < a.first; });
  const auto& a = it == anchors.begin() ? anchors.front() : *(it - 1);
  const int64_t d = (static_cast<int64_t>(log_ns) - static_cast<int64_t>(a.first)) / 1000;
  return static_cast<uint64_t>(std::max<int64_t>(0, static_cast<int64_t>(a.second) + d));
}

uint64_t HistoryFileIndex::LogTimeNs(uint64_t device_time_us) const {
  if (anchors.empty()) {
    if (clock_offset_ns) {
      return static_cast<uint64_t>(
          std::max<int64_t>(0, static_cast<int64_t>(device_time_us) * 1000 + *clock_offset_ns));
    }
    const int64_t d =
        (static_cast<int64_t>(device_time_us) - static_cast<int64_t>(first_time_us)) * 1000;
    return static_cast<uint64_t>(std::max<int64_t>(0, static_cast<int64_t>(first_log_ns) + d));
  }
  auto it = std::upper_bound(anchors.begin(), anchors.end(), device_time_us,
                             [](uint64_t t, const auto& a) { return t < a.second; });
  const auto& a = it == anchors.begin() ? anchors.front() : *(it - 1);
  const int64_t d = (static_cast<int64_t>(device_time_us) - static_cast<int64_t>(a.second)) * 1000;
  return static_cast<uint64_t>(std::max<int64_t>(0, static_cast<int64_t>(a.first) + d));
}

absl::StatusOr<std::shared_ptr<OpenRecording>> OpenRecordingFile(FileSystem* fs,
                                                                 const std::string& path) {
  auto m = std::make_shared<OpenRecording>();
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> file = fs->OpenForRead(path);
  if (!file.ok()) return NameFile(file.status(), path);
  m->file = *std::move(file);
  absl::StatusOr<std::unique_ptr<McapReader>> reader = McapReader::Open(m->file.get());
  if (!reader.ok()) return NameFile(absl::DataLossError(reader.status().message()), path);
  m->reader = *std::move(reader);
  return m;
}

absl::StatusOr<HistoryFileIndex> IndexHistoryFile(const OpenRecording& open,
                                                  const std::string& path) {
  HistoryFileIndex index;
  index.path = path;
  ReadMetadata(*open.reader, &index);
  ReadSampleRange(*open.reader, &index);
  ReadCoarse(*open.reader, &index);
  ReadEventsAndCycles(*open.reader, &index);
  if (!index.has_samples && !index.damage.empty()) {
    return absl::DataLossError(index.damage);
  }
  return index;
}

absl::Status ReadFineEnvelopes(const OpenRecording& open, const HistoryFileIndex& file,
                               uint64_t from_us, uint64_t to_us,
                               const std::function<void(const Envelope&)>& on) {
  rollrig::v1::OverviewRecord r;
  Envelope e;
  return ReadWindow(open, file, rec::kOverviewTopic, from_us, to_us, [&](const McapMessage& m) {
    if (r.ParseFromString(m.data) && EnvelopeOf(r, &e) && e.last_time_us >= from_us &&
        e.first_time_us <= to_us) {
      on(e);
    }
  });
}

absl::Status ReadRawSamples(const OpenRecording& open, const HistoryFileIndex& file,
                            uint64_t from_us, uint64_t to_us,
                            const std::function<void(const host::Sample&)>& on) {
  host::Sample s;
  return ReadWindow(open, file, rec::kTelemetryTopic, from_us, to_us, [&](const McapMessage& m) {
    if (ParseSample(m, &s) && s.time_us >= from_us && s.time_us <= to_us) on(s);
  });
}

}  // namespace rollrig::recording
