#include "host/check/recording_replay.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/json_util.h"
#include "host/analysis/run_analyzer.h"
#include "host/profile_loader/profile_loader.h"
#include "host/recording/mcap_reader.h"
#include "host/recording/recording_layout.h"
#include "host/recording/sample.h"
#include "host/run_model/profile_analyzer.h"
#include "host/run_model/run_model.h"
#include "host/run_model/run_so_far.h"
#include "rollrig/v1/recording.pb.h"

namespace rollrig::check {
namespace {

namespace v1 = rollrig::v1;

const recording::McapMetadata* FindMetadata(const recording::McapReader& reader,
                                            const std::string& name) {
  for (const recording::McapMetadata& m : reader.metadata()) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

std::string ValueOf(const recording::McapMetadata* m, const std::string& key) {
  if (m == nullptr) return "";
  auto it = m->metadata.find(key);
  return it == m->metadata.end() ? "" : it->second;
}

absl::Status FromJson(const std::string& json, google::protobuf::Message* message,
                      const std::string& what) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // a newer recorder may know more fields
  const auto status = google::protobuf::util::JsonStringToMessage(json, message, options);
  if (!status.ok()) {
    return absl::DataLossError(absl::StrCat(what, " is not valid JSON for ",
                                            message->GetDescriptor()->full_name(), ": ",
                                            std::string(status.message())));
  }
  return absl::OkStatus();
}

// The profile as the run had it: its text, or the preset the spec named.
absl::StatusOr<v1::ProfileSource> RecordedProfile(const recording::McapMetadata* run,
                                                  const std::string& path, v1::RunSpec* spec_out) {
  if (run == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": no \"", recorder::kRunMetadata, "\" metadata: not a run recording"));
  }
  v1::RunSpec spec;
  if (const std::string json = ValueOf(run, recorder::kRunSpecKey); !json.empty()) {
    if (absl::Status s = FromJson(json, &spec, absl::StrCat(path, ": the run's spec")); !s.ok()) {
      return s;
    }
  }
  *spec_out = spec;
  v1::ProfileSource source = spec.profile();
  if (const std::string text = ValueOf(run, recorder::kProfileTextKey); !text.empty()) {
    source.set_text(text);
    source.clear_preset();
  }
  if (source.text().empty() && source.preset().empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": the recording does not hold the run's profile"));
  }
  if (source.file_name().empty()) {
    source.set_file_name(absl::StrCat(path, " (recorded profile)"));
  }
  return source;
}

// One recorded event and where it belongs in the sample stream.
struct PendingEvent {
  v1::RigEvent event;
  uint64_t log_time = 0;
  uint64_t seq = 0;  // placed by sample counter: the sample it goes before
  int rank = 0;      // among events at one seq: device events, gaps, requests
};

// Feeds the recording to the run model as rigd fed it live: each event when it is due --
// by its sample counter (device events, gaps, stamped requests) or by its log time (the
// rest) -- the earlier in log time first, then the sample. The model holds the rules.
class Replay {
 public:
  Replay(run_model::RunModel* model, std::vector<PendingEvent> by_seq,
         std::deque<PendingEvent> by_time, ReplayedRun* out)
      : model_(model), by_seq_(std::move(by_seq)), by_time_(std::move(by_time)), out_(out) {}

  void Feed(const host::Sample& s, uint64_t log_time) {
    ApplyBefore(s.seq, log_time);
    model_->Time(static_cast<int64_t>(log_time));
    model_->Sample(s);
  }

  // Samples are skipped while the run is HELD (they may repeat counters: a device coming
  // back resends what it still had buffered).
  bool held() const { return model_->held(); }

  void Finish() {
    ApplyBefore(UINT64_MAX, UINT64_MAX);  // events after the last sample
    model_->Finish();
    const run_model::RunEnd& end = *model_->end();
    out_->verdict = end.verdict;
    out_->state = end.state;
    out_->state_reason = end.reason;
    const host::RunAnalyzer& a = model_->analyzer();
    out_->cycles = a.cycles();
    if (const v1::CycleStats* p = a.partial_cycle()) out_->partial_cycle = *p;
    out_->samples = model_->samples_analysed();
    out_->samples_lost = a.samples_lost();
    out_->gaps = a.gaps();
    out_->violations = a.violations();
    out_->run_time_s = model_->analysed_span_s();
    out_->active_s = a.active_s();
    out_->paused_s = a.paused_s();
    out_->held_s = a.lost_s();
    out_->holds = model_->holds();
  }

 private:
  void ApplyBefore(uint64_t seq, uint64_t log_time) {
    for (;;) {
      const bool seq_due = next_seq_event_ < by_seq_.size() && by_seq_[next_seq_event_].seq <= seq;
      const bool time_due = !by_time_.empty() && by_time_.front().log_time < log_time;
      if (!seq_due && !time_due) return;
      ++out_->events_applied;
      if (seq_due &&
          (!time_due || by_seq_[next_seq_event_].log_time <= by_time_.front().log_time)) {
        Apply(by_seq_[next_seq_event_++]);
      } else {
        Apply(by_time_.front());
        by_time_.pop_front();
      }
    }
  }

  void Apply(const PendingEvent& p) {
    model_->Time(static_cast<int64_t>(p.log_time));
    model_->Event(p.event);
  }

  run_model::RunModel* model_;
  std::vector<PendingEvent> by_seq_;
  size_t next_seq_event_ = 0;
  std::deque<PendingEvent> by_time_;
  ReplayedRun* out_;
};

// What a recording says of its run: the spec, the device and the profile, loaded as
// rigd loaded it.
struct RecordedRun {
  v1::RunSpec spec;
  v1::DeviceInfo device_info;
  std::optional<host::LoadedProfile> profile;
  std::string run_id;
  uint32_t part = 1;  // the stretch of a resumed run (1: the first, or not recorded)
};

absl::StatusOr<RecordedRun> ReadRecordedRun(const recording::McapReader& reader,
                                            const std::string& path) {
  RecordedRun run;
  const recording::McapMetadata* run_meta = FindMetadata(reader, recorder::kRunMetadata);
  const recording::McapMetadata* device_meta = FindMetadata(reader, recorder::kDeviceMetadata);
  absl::StatusOr<v1::ProfileSource> source = RecordedProfile(run_meta, path, &run.spec);
  if (!source.ok()) return source.status();
  const std::string info_json = ValueOf(device_meta, recorder::kDeviceInfoKey);
  if (info_json.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": no device information (\"", recorder::kDeviceMetadata, "\" ",
                     recorder::kDeviceInfoKey, "): the profile cannot be checked against it"));
  }
  if (absl::Status s = FromJson(info_json, &run.device_info, absl::StrCat(path, ": the device"));
      !s.ok()) {
    return s;
  }
  host::ProfileCheck check = host::LoadProfile(*source, run.device_info.capabilities());
  if (!check.ok()) {
    std::vector<std::string> lines;
    for (const v1::ProfileError& e : check.errors) lines.push_back(host::FormatProfileError(e));
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": the recorded profile does not load:\n", absl::StrJoin(lines, "\n")));
  }
  run.profile = std::move(*check.loaded);
  run.run_id = ValueOf(run_meta, recorder::kRunIdKey);
  if (const std::string part = ValueOf(run_meta, recorder::kRunPartKey); !part.empty()) {
    run.part = static_cast<uint32_t>(std::strtoul(part.c_str(), nullptr, 10));
  }
  return run;
}

// The recorded events, held (few) to be placed among the samples as rigd met them.
struct RecordedEvents {
  std::vector<PendingEvent> by_seq;
  std::deque<PendingEvent> by_time;
  bool program_start_recorded = false;
};

// Where one event goes: before a sample (by its counter) or at its log time.
void PlaceEvent(PendingEvent p, RecordedEvents* events) {
  switch (p.event.kind()) {
    case v1::RIG_EVENT_DEVICE:
      p.seq = p.event.device().sample_seq();
      if (p.event.device().kind() == v1::DEVICE_EVENT_PROGRAM_STARTED) {
        events->program_start_recorded = true;
      }
      events->by_seq.push_back(std::move(p));
      break;
    case v1::RIG_EVENT_TELEMETRY_GAP:
      if (!p.event.run_id().empty()) {  // the analysis fell behind: at its log time
        events->by_time.push_back(std::move(p));
        break;
      }
      p.seq = p.event.gap_first_seq();
      p.rank = 1;
      events->by_seq.push_back(std::move(p));
      break;
    case v1::RIG_EVENT_RUN_STATE:
      if (!p.event.who().empty() && p.event.sample_seq() > 0) {
        // A request the live run stamped with the sample it acted before.
        p.seq = p.event.sample_seq();
        p.rank = 2;
        events->by_seq.push_back(std::move(p));
        break;
      }
      events->by_time.push_back(std::move(p));
      break;
    // A lost device, its gap (measured when it is back, before its first sample), an
    // e-stop request and a device back happen at their log time: rigd acts on them as
    // they arrive.
    case v1::RIG_EVENT_DISCONNECTED:
    case v1::RIG_EVENT_CONNECTED:
    case v1::RIG_EVENT_DEVICE_GAP:
    case v1::RIG_EVENT_ESTOP_REQUESTED:
      events->by_time.push_back(std::move(p));
      break;
    default:
      break;
  }
}

absl::StatusOr<RecordedEvents> ReadEvents(const recording::McapReader& reader,
                                          const std::string& path) {
  RecordedEvents events;
  absl::Status parse_error;
  recording::McapReadOptions events_only;
  events_only.topics = {recorder::kEventsTopic};
  absl::Status read = reader.ReadMessages(events_only, [&](const recording::McapMessage& m) {
    PendingEvent p;
    if (!p.event.ParseFromString(m.data)) {
      parse_error = absl::DataLossError(
          absl::StrCat(path, ": an /events message at log time ", m.log_time, " is no RigEvent"));
      return false;
    }
    p.log_time = m.log_time;
    PlaceEvent(std::move(p), &events);
    return true;
  });
  if (!read.ok()) return read;
  if (!parse_error.ok()) return parse_error;
  std::stable_sort(events.by_seq.begin(), events.by_seq.end(),
                   [](const PendingEvent& a, const PendingEvent& b) {
                     return a.seq != b.seq ? a.seq < b.seq : a.rank < b.rank;
                   });
  std::stable_sort(
      events.by_time.begin(), events.by_time.end(),
      [](const PendingEvent& a, const PendingEvent& b) { return a.log_time < b.log_time; });
  return events;
}

// The recorded samples, in order, through the replay.
absl::Status ReplaySamples(const recording::McapReader& reader, const std::string& path,
                           Replay& replay, ReplayedRun* out) {
  v1::TelemetryRecord record;
  host::Sample sample;
  bool have_last_seq = false;
  uint64_t last_seq = 0;
  absl::Status parse_error;
  recording::McapReadOptions telemetry_only;
  telemetry_only.topics = {recorder::kTelemetryTopic};
  absl::Status read = reader.ReadMessages(telemetry_only, [&](const recording::McapMessage& m) {
    if (!record.ParseFromString(m.data)) {
      parse_error = absl::DataLossError(absl::StrCat(path, ": a /telemetry message at log time ",
                                                     m.log_time, " is no TelemetryRecord"));
      return false;
    }
    ++out->samples_read;
    recorder::RecordToSample(record, &sample);
    sample.host_time_ns = static_cast<int64_t>(m.log_time);
    if (have_last_seq && sample.seq <= last_seq && !replay.held()) {
      parse_error = absl::DataLossError(
          absl::StrCat(path, ": sample ", sample.seq, " out of order after ", last_seq));
      return false;
    }
    have_last_seq = true;
    last_seq = sample.seq;
    replay.Feed(sample, m.log_time);
    return true;
  });
  if (!read.ok()) return read;
  return parse_error;
}

// One file: a run, or one stretch of a resumed run going on from `before` (when given);
// `after` (when given) gets what the run had judged at its end.
absl::StatusOr<ReplayedRun> ReplayFile(const std::string& path, recording::FileSystem* fs,
                                       const host::RunSoFar* before, host::RunSoFar* after) {
  const auto wall_start = std::chrono::steady_clock::now();
  absl::StatusOr<std::unique_ptr<recording::RandomAccessFile>> file = fs->OpenForRead(path);
  if (!file.ok()) return file.status();
  absl::StatusOr<std::unique_ptr<recording::McapReader>> opened =
      recording::McapReader::Open(file->get());
  if (!opened.ok()) {
    return absl::Status(opened.status().code(),
                        absl::StrCat(path, ": ", opened.status().message()));
  }
  const recording::McapReader& reader = **opened;
  absl::StatusOr<RecordedRun> run = ReadRecordedRun(reader, path);
  if (!run.ok()) return run.status();
  ReplayedRun out;
  out.device_info = run->device_info;
  out.profile_name = run->profile->name;
  out.run_id = run->run_id;
  out.part = run->part;
  absl::StatusOr<RecordedEvents> events = ReadEvents(reader, path);
  if (!events.ok()) return events.status();

  run_model::RunRules rules = run_model::RunRules::FromSpec(run->spec);
  rules.expect_program_start = events->program_start_recorded;
  // The analyzer exactly as rigd builds it for a run.
  run_model::RunModel model(run_model::AnalyzerForProfile(*run->profile, before), rules);
  Replay replay(&model, std::move(events->by_seq), std::move(events->by_time), &out);
  if (absl::Status s = ReplaySamples(reader, path, replay, &out); !s.ok()) return s;
  replay.Finish();
  if (after != nullptr) *after = run_model::RunSoFarFromModel(model);
  out.replay_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return out;
}

}  // namespace

absl::StatusOr<ReplayedRun> ReplayRecordingAnalysis(const std::string& path,
                                                    recording::FileSystem* fs) {
  return ReplayFile(path, fs, nullptr, nullptr);
}

absl::StatusOr<RunStretch> ReadRunStretch(const std::string& path, recording::FileSystem* fs) {
  absl::StatusOr<std::unique_ptr<recording::RandomAccessFile>> file = fs->OpenForRead(path);
  if (!file.ok()) return file.status();
  absl::StatusOr<std::unique_ptr<recording::McapReader>> reader =
      recording::McapReader::Open(file->get());
  if (!reader.ok()) return reader.status();
  const recording::McapMetadata* run_meta = FindMetadata(**reader, recorder::kRunMetadata);
  RunStretch stretch;
  stretch.run_id = ValueOf(run_meta, recorder::kRunIdKey);
  if (const std::string part = ValueOf(run_meta, recorder::kRunPartKey); !part.empty()) {
    stretch.part = static_cast<uint32_t>(std::strtoul(part.c_str(), nullptr, 10));
  }
  return stretch;
}

absl::StatusOr<ReplayedRun> ReplayRunAnalysis(const std::vector<std::string>& paths,
                                              recording::FileSystem* fs) {
  if (paths.empty()) return absl::InvalidArgumentError("no recording to replay");
  host::RunSoFar so_far;
  ReplayedRun whole;
  for (size_t i = 0; i < paths.size(); ++i) {
    absl::StatusOr<ReplayedRun> part = ReplayFile(paths[i], fs, i > 0 ? &so_far : nullptr, &so_far);
    if (!part.ok()) return part.status();
    if (i == 0 && part->part != 1 && paths.size() > 1) {
      return absl::FailedPreconditionError(absl::StrCat(
          paths[i], " is part ", part->part, " of run ", part->run_id,
          ", resumed after an interruption: give the run's files from its first, in order"));
    }
    if (i > 0 && (part->run_id != whole.run_id || part->part != whole.part + 1)) {
      return absl::FailedPreconditionError(absl::StrCat(
          paths[i], " is part ", part->part, " of run ", part->run_id, ", not part ",
          whole.part + 1, " of run ", whole.run_id, ": give one run's files in order"));
    }
    part->files = static_cast<uint32_t>(i + 1);
    if (i > 0) {
      part->samples += whole.samples;
      part->samples_read += whole.samples_read;
      part->samples_lost += whole.samples_lost;
      part->gaps += whole.gaps;
      part->events_applied += whole.events_applied;
      part->holds += whole.holds;
      part->run_time_s += whole.run_time_s;
      part->replay_seconds += whole.replay_seconds;
    }
    whole = *std::move(part);
  }
  return whole;
}

}  // namespace rollrig::check
