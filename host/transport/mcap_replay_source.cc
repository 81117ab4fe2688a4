#include "host/transport/mcap_replay_source.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "host/recording/recording_layout.h"
#include "rollrig/v1/recording.pb.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::host {
namespace {

namespace v1 = rollrig::v1;

// Log time read per window: a few chunks' worth.
constexpr uint64_t kWindowNs = 2'000'000'000;

std::string MetadataValue(const recording::McapReader& reader, const std::string& name,
                          const std::string& key) {
  for (const recording::McapMetadata& m : reader.metadata()) {
    if (m.name != name) continue;
    auto it = m.metadata.find(key);
    if (it != m.metadata.end()) return it->second;
  }
  return "";
}

}  // namespace

McapReplaySource::~McapReplaySource() = default;

absl::StatusOr<std::unique_ptr<McapReplaySource>> McapReplaySource::Open(
    const std::string& path, const RecordedProgramLoader& load_program, recording::FileSystem* fs) {
  std::unique_ptr<McapReplaySource> source(new McapReplaySource());
  source->path_ = path;
  absl::StatusOr<std::unique_ptr<recording::RandomAccessFile>> file = fs->OpenForRead(path);
  if (!file.ok()) return file.status();
  source->file_ = std::move(*file);
  absl::StatusOr<std::unique_ptr<recording::McapReader>> reader =
      recording::McapReader::Open(source->file_.get());
  if (!reader.ok()) {
    return absl::Status(reader.status().code(),
                        absl::StrCat(path, ": ", reader.status().message()));
  }
  source->reader_ = std::move(*reader);
  const recording::McapReader& r = *source->reader_;

  google::protobuf::util::JsonParseOptions json;
  json.ignore_unknown_fields = true;
  const std::string info = MetadataValue(r, recorder::kDeviceMetadata, recorder::kDeviceInfoKey);
  if (info.empty() ||
      !google::protobuf::util::JsonStringToMessage(info, &source->info_, json).ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": no readable device information to answer Hello with"));
  }
  // The program the run uploaded, to tell a host that asks for another one.
  v1::RunSpec spec;
  const std::string spec_json = MetadataValue(r, recorder::kRunMetadata, recorder::kRunSpecKey);
  if (!spec_json.empty()) (void)google::protobuf::util::JsonStringToMessage(spec_json, &spec, json);
  source->cycles_ = spec.cycles();
  v1::ProfileSource profile = spec.profile();
  const std::string text = MetadataValue(r, recorder::kRunMetadata, recorder::kProfileTextKey);
  if (!text.empty()) {
    profile.set_text(text);
    profile.clear_preset();
  }
  if (load_program && (!profile.text().empty() || !profile.preset().empty())) {
    source->program_ = load_program(profile, source->info_.capabilities());
  }

  recording::McapReadOptions events_only;
  events_only.topics = {recorder::kEventsTopic};
  std::vector<v1::DeviceEvent> events;
  absl::Status read = r.ReadMessages(events_only, [&](const recording::McapMessage& m) {
    v1::RigEvent e;
    if (e.ParseFromString(m.data) && e.kind() == v1::RIG_EVENT_DEVICE) {
      if (!source->start_seq_ && e.device().kind() == v1::DEVICE_EVENT_PROGRAM_STARTED) {
        source->start_seq_ = e.device().sample_seq();
      }
      events.push_back(e.device());
    }
    return true;
  });
  if (!read.ok()) return read;
  std::stable_sort(events.begin(), events.end(),
                   [](const v1::DeviceEvent& a, const v1::DeviceEvent& b) {
                     return a.sample_seq() < b.sample_seq();
                   });
  for (v1::DeviceEvent& e : events) {
    if (!source->start_seq_ || e.sample_seq() >= *source->start_seq_) {
      source->events_.push_back(std::move(e));
    }
  }

  const recording::McapStatistics& stats = r.statistics();
  source->window_start_ = stats.message_start_time;
  source->end_time_ = stats.message_end_time;
  for (const auto& [id, channel] : r.channels()) {
    if (channel.topic != recorder::kTelemetryTopic) continue;
    auto it = stats.channel_message_counts.find(id);
    if (it != stats.channel_message_counts.end()) source->samples_to_play_ += it->second;
  }
  if (source->start_seq_) {
    // Count what is skipped before the program (the arming) so samples_to_play is exact.
    uint64_t before = 0;
    recording::McapReadOptions telemetry_only;
    telemetry_only.topics = {recorder::kTelemetryTopic};
    v1::TelemetryRecord record;
    const uint64_t start = *source->start_seq_;
    read = r.ReadMessages(telemetry_only, [&](const recording::McapMessage& m) {
      if (!record.ParseFromString(m.data) || record.seq() >= start) return false;
      ++before;
      return true;
    });
    if (!read.ok()) return read;
    source->samples_to_play_ -= std::min(before, source->samples_to_play_);
  }
  return source;
}

absl::StatusOr<bool> McapReplaySource::ReadWindow() {
  v1::TelemetryRecord record;
  absl::Status parse;
  while (samples_.empty() && !telemetry_done_) {
    if (window_start_ > end_time_) {
      telemetry_done_ = true;
      break;
    }
    recording::McapReadOptions options;
    options.topics = {recorder::kTelemetryTopic};
    options.start_time = window_start_;
    options.end_time = window_start_ + kWindowNs;
    window_start_ += kWindowNs;
    absl::Status read = reader_->ReadMessages(options, [&](const recording::McapMessage& m) {
      if (!record.ParseFromString(m.data)) {
        parse = absl::DataLossError(absl::StrCat(path_, ": a /telemetry message at log time ",
                                                 m.log_time, " is no TelemetryRecord"));
        return false;
      }
      if (start_seq_ && record.seq() < *start_seq_) return true;
      firmware::TelemetrySample s;
      recorder::RecordToDeviceSample(record, &s);
      samples_.push_back(s);
      return true;
    });
    if (!read.ok()) return read;
    if (!parse.ok()) return parse;
  }
  return !samples_.empty();
}

absl::StatusOr<bool> McapReplaySource::Next(sim::ReplayItem* item) {
  absl::StatusOr<bool> have_sample = ReadWindow();
  if (!have_sample.ok()) return have_sample.status();
  const bool have_event = next_event_ < events_.size();
  if (have_event && (!*have_sample || events_[next_event_].sample_seq() <= samples_.front().seq)) {
    item->is_event = true;
    item->event = events_[next_event_++];
    return true;
  }
  if (!*have_sample) return false;
  item->is_event = false;
  item->sample = samples_.front();
  samples_.pop_front();
  return true;
}

}  // namespace rollrig::host
