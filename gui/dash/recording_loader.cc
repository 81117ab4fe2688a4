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

// What carries over from one file of a run to the next.
struct Reading {
  LoadedRecording* rec = nullptr;
  bool keep_points = false;
  TelemetryIngestor ingest;
  std::vector<TelemetryPoint> batch;
  uint32_t last_cycle = 0;
  RunLimits profile_limits;
  bool first_sample = true;

  void Flush() {
    rec->series->Append(batch);
    if (keep_points) rec->points.insert(rec->points.end(), batch.begin(), batch.end());
    batch.clear();
  }
};

void ReadMetadata(const recording::McapReader& reader, Reading* r) {
  LoadedRecording* rec = r->rec;
  for (const recording::McapMetadata& m : reader.metadata()) {
    if (m.name == kRunMetadata) {
      if (rec->run_id.empty()) rec->run_id = Get(m.metadata, recorder::kRunIdKey);
      if (rec->profile_name.empty()) rec->profile_name = Get(m.metadata, recorder::kProfileNameKey);
      if (rec->profile_text.empty()) rec->profile_text = Get(m.metadata, recorder::kProfileTextKey);
      r->profile_limits = LimitsFromProfileText(Get(m.metadata, recorder::kProfileTextKey));
    } else if (m.name == kVerdictMetadata) {  // the last file's verdict is the run's
      rec->state = rollrig::v1::RunStateDisplayNameOf(Get(m.metadata, recorder::kRunStateKey));
      rec->state_reason = Get(m.metadata, recorder::kStateReasonKey);
      rec->has_verdict = google::protobuf::util::JsonStringToMessage(
                             Get(m.metadata, recorder::kVerdictKey), &rec->verdict)
                             .ok();
    }
  }
}

absl::Status ReadFile(const std::string& path, Reading* r) {
  auto file = recording::RealFileSystem()->OpenForRead(path);
  if (!file.ok()) {
    return absl::NotFoundError(absl::StrCat("cannot open ", path, ": ", file.status().message()));
  }
  auto reader = recording::McapReader::Open(file->get());
  if (!reader.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not a readable recording: ", reader.status().message()));
  }
  std::map<uint16_t, std::string> topic_of;
  for (const auto& [id, ch] : (*reader)->channels()) topic_of[id] = ch.topic;
  bool has_telemetry = false;
  for (const auto& [id, topic] : topic_of) has_telemetry |= topic == kTelemetryTopic;
  if (!has_telemetry) {
    return absl::InvalidArgumentError(absl::StrCat(path, " has no ", kTelemetryTopic, " channel"));
  }
  ReadMetadata(**reader, r);
  if (!(*reader)->has_summary()) {
    r->rec->problem = absl::StrCat(path,
                                   " has no summary (still being written, or cut short): showing "
                                   "the complete chunks it holds");
  }
  LoadedRecording* rec = r->rec;
  rollrig::v1::TelemetryRecord record;
  absl::Status decode_error;
  absl::Status read = (*reader)->ReadMessages({}, [&](const recording::McapMessage& msg) {
    const std::string& topic = topic_of[msg.channel_id];
    if (topic == kTelemetryTopic) {
      if (!record.ParseFromString(msg.data)) {
        decode_error = absl::DataLossError(absl::StrCat(
            path, ": a /telemetry message (sequence ", msg.sequence, ") is not a TelemetryRecord"));
        return false;
      }
      if (r->first_sample) {
        r->first_sample = false;
        rec->device_time_zero_s = static_cast<double>(record.device_time_us()) * 1e-6;
        rec->host_time_zero_ns = static_cast<int64_t>(msg.log_time);
      }
      r->ingest.AddRecord(record, &r->batch);
      if (record.cycle() > r->last_cycle) {
        rec->cycle_starts.resize(record.cycle(), r->batch.back().t);
        r->last_cycle = record.cycle();
      }
      if (r->batch.size() >= 4096) r->Flush();
    } else if (topic == kEventsTopic) {
      rollrig::v1::RigEvent e;
      if (e.ParseFromString(msg.data)) rec->events.push_back(std::move(e));
    } else if (topic == kCyclesTopic) {
      rollrig::v1::CycleStats c;
      if (c.ParseFromString(msg.data)) rec->cycles.push_back(std::move(c));
    }
    return true;
  });
  if (!read.ok()) return absl::Status(read.code(), absl::StrCat(path, ": ", read.message()));
  return decode_error;
}

}  // namespace

absl::StatusOr<std::unique_ptr<LoadedRecording>> LoadRecording(const std::string& path,
                                                               bool keep_points) {
  return LoadRecording(std::vector<std::string>{path}, keep_points);
}

absl::StatusOr<std::unique_ptr<LoadedRecording>> LoadRecording(
    const std::vector<std::string>& paths, bool keep_points) {
  if (paths.empty()) return absl::InvalidArgumentError("no recording file given");
  auto rec = std::make_unique<LoadedRecording>();
  rec->path = paths.front();
  rec->files = paths;
  rec->series = std::make_unique<SeriesSet>();
  Reading r;
  r.rec = rec.get();
  r.keep_points = keep_points;
  r.batch.reserve(4096);
  for (const std::string& path : paths) {
    absl::Status s = ReadFile(path, &r);
    if (s.ok()) continue;
    if (r.first_sample) return s;  // nothing to show
    // Damaged or still being written: show what came before the damage, and say so.
    rec->problem = absl::StrCat("showing the samples before the damage: ", s.message());
    break;
  }
  r.Flush();
  {
    std::lock_guard<std::mutex> lock(rec->series->mutex());
    rec->samples = rec->series->points();
    rec->dropped = rec->series->dropped_total();
  }
  if (rec->samples == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(paths.size() == 1 ? paths.front()
                                       : absl::StrCat(paths.size(), " files from ", paths.front()),
                     " holds no telemetry samples"));
  }
  rec->limits = rec->has_verdict ? LimitsFromVerdict(rec->verdict) : RunLimits{};
  rec->limits.FillFrom(r.profile_limits);
  return rec;
}

}  // namespace rollrig::gui
