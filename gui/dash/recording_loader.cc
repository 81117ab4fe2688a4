#include "gui/dash/recording_loader.h"

#include "absl/strings/str_cat.h"
#include "enum_names.h"
#include "google/protobuf/util/json_util.h"
#include "host/recording/file_system.h"
#include "host/recording/mcap_reader.h"
#include "host/recording/recording_layout.h"
#include "rollrig/v1/recording.pb.h"

namespace rollrig::gui {
namespace {

using recorder::kCyclesTopic;
using recorder::kEventsTopic;
using recorder::kRunMetadata;
using recorder::kTelemetryTopic;
using recorder::kVerdictMetadata;

std::string Get(const std::map<std::string, std::string>& m, const char* key) {
  auto it = m.find(key);
  return it == m.end() ? std::string() : it->second;
}

}  // namespace

absl::StatusOr<std::unique_ptr<LoadedRecording>> LoadRecording(const std::string& path,
                                                               bool keep_points) {
  auto file = recording::RealFileSystem()->OpenForRead(path);
  if (!file.ok()) {
    return absl::NotFoundError(absl::StrCat("cannot open ", path, ": ", file.status().message()));
  }
  auto reader = recording::McapReader::Open(file->get());
  if (!reader.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not a readable recording: ", reader.status().message()));
  }
  auto rec = std::make_unique<LoadedRecording>();
  rec->path = path;
  rec->series = std::make_unique<SeriesSet>();

  std::map<uint16_t, std::string> topic_of;
  for (const auto& [id, ch] : (*reader)->channels()) topic_of[id] = ch.topic;
  bool has_telemetry = false;
  for (const auto& [id, topic] : topic_of) has_telemetry |= topic == kTelemetryTopic;
  if (!has_telemetry) {
    return absl::InvalidArgumentError(absl::StrCat(path, " has no ", kTelemetryTopic, " channel"));
  }

  RunLimits profile_limits;
  for (const recording::McapMetadata& m : (*reader)->metadata()) {
    if (m.name == kRunMetadata) {
      rec->run_id = Get(m.metadata, recorder::kRunIdKey);
      rec->profile_name = Get(m.metadata, recorder::kProfileNameKey);
      profile_limits = LimitsFromProfileText(Get(m.metadata, recorder::kProfileTextKey));
    } else if (m.name == kVerdictMetadata) {
      rec->state = rollrig::v1::RunStateDisplayNameOf(Get(m.metadata, recorder::kRunStateKey));
      rec->state_reason = Get(m.metadata, recorder::kStateReasonKey);
      rec->has_verdict = google::protobuf::util::JsonStringToMessage(
                             Get(m.metadata, recorder::kVerdictKey), &rec->verdict)
                             .ok();
    }
  }

  TelemetryIngestor ingest;
  std::vector<TelemetryPoint> batch;
  batch.reserve(4096);
  rollrig::v1::TelemetryRecord record;
  uint32_t last_cycle = 0;
  absl::Status decode_error;
  absl::Status read = (*reader)->ReadMessages({}, [&](const recording::McapMessage& msg) {
    const std::string& topic = topic_of[msg.channel_id];
    if (topic == kTelemetryTopic) {
      if (!record.ParseFromString(msg.data)) {
        decode_error = absl::DataLossError(absl::StrCat(
            path, ": a /telemetry message (sequence ", msg.sequence, ") is not a TelemetryRecord"));
        return false;
      }
      ingest.AddRecord(record, &batch);
      if (record.cycle() > last_cycle) {
        rec->cycle_starts.resize(record.cycle(), batch.back().t);
        last_cycle = record.cycle();
      }
      if (batch.size() >= 4096) {
        rec->series->Append(batch);
        if (keep_points) rec->points.insert(rec->points.end(), batch.begin(), batch.end());
        batch.clear();
      }
    } else if (topic == kEventsTopic) {
      rollrig::v1::RigEvent e;
      if (e.ParseFromString(msg.data)) rec->events.push_back(std::move(e));
    } else if (topic == kCyclesTopic) {
      rollrig::v1::CycleStats c;
      if (c.ParseFromString(msg.data)) rec->cycles.push_back(std::move(c));
    }
    return true;
  });
  if (!read.ok()) return read;
  if (!decode_error.ok()) return decode_error;
  rec->series->Append(batch);
  if (keep_points) rec->points.insert(rec->points.end(), batch.begin(), batch.end());
  {
    std::lock_guard<std::mutex> lock(rec->series->mutex());
    rec->samples = rec->series->points();
    rec->dropped = rec->series->dropped_total();
  }
  if (rec->samples == 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, " holds no telemetry samples"));
  }
  rec->limits = rec->has_verdict ? LimitsFromVerdict(rec->verdict) : RunLimits{};
  rec->limits.FillFrom(profile_limits);
  return rec;
}

}  // namespace rollrig::gui
