#include "host/check/recording_replay.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <memory>
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
                                                  const std::string& path) {
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
  bool by_time = false;  // placed by log time, not by sample counter
  uint64_t seq = 0;      // the sample it goes before
  int rank = 0;          // among events at one seq: device events, then gaps
};

// The live run's own rule for a lost device's message (RunManager): "device lost: why".
std::string LostDeviceReason(const std::string& message) {
  return absl::StartsWith(message, "device lost") ? message
                                                  : absl::StrCat("device lost: ", message);
}

bool IsFinalRunState(v1::RunState s) {
  return s == v1::RUN_STATE_COMPLETED || s == v1::RUN_STATE_ABORTED || s == v1::RUN_STATE_FAULTED ||
         s == v1::RUN_STATE_INTERRUPTED;
}

// How the run ended, as rigd recorded it (the RecordingEnd): what a run that ended while
// HELD said to its analyzer.
struct RecordedEnd {
  v1::RunState state = v1::RUN_STATE_UNSPECIFIED;
  std::string reason;
};

class Replay {
 public:
  Replay(std::unique_ptr<host::RunAnalyzer> analyzer, std::vector<PendingEvent> by_seq,
         std::deque<PendingEvent> by_time, bool program_start_recorded, RecordedEnd end,
         ReplayedRun* out)
      : analyzer_(std::move(analyzer)),
        by_seq_(std::move(by_seq)),
        by_time_(std::move(by_time)),
        end_(std::move(end)),
        out_(out),
        phase_(program_start_recorded ? Phase::kBeforeStart : Phase::kRunning) {}

  // False once the run has ended: later samples are not the run.
  bool Feed(const host::Sample& s, uint64_t log_time) {
    if (ended_) return false;
    ApplyBefore(s.seq, log_time);
    if (ended_) return false;
    // Before the program starts (arming) and while HELD rigd records samples but does
    // not analyse them.
    if (phase_ != Phase::kRunning) return true;
    // Until the (re)started program's first sample rigd analyses nothing (arming, at rest).
    if (awaiting_program_) {
      if (s.segment < 0) return true;
      awaiting_program_ = false;
    }
    analyzer_->AddSample(s);
    if (!have_first_) {
      have_first_ = true;
      first_time_us_ = s.time_us;
    }
    last_time_us_ = s.time_us;
    ++out_->samples;
    return true;
  }

  // Samples are being skipped because the run is HELD (they may repeat counters: a
  // device coming back resends what it still had buffered).
  bool held() const { return phase_ == Phase::kHeld; }

  void Finish() {
    // Events after the last sample (a finish whose ramp-down was not recorded).
    ApplyBefore(UINT64_MAX, UINT64_MAX);
    analyzer_->Finish(last_t_s());
    out_->verdict = analyzer_->Verdict();
    out_->cycles = analyzer_->cycles();
    if (const v1::CycleStats* p = analyzer_->partial_cycle()) out_->partial_cycle = *p;
    out_->samples_lost = analyzer_->samples_lost();
    out_->gaps = analyzer_->gaps();
    out_->violations = analyzer_->violations();
    out_->run_time_s = have_first_ ? (last_time_us_ - first_time_us_) / 1e6 : 0.0;
    out_->holds = holds_;
  }

 private:
  // kBeforeStart: arming, until the program's PROGRAM_STARTED. kHeld: the device was lost
  // and the run HELD, until the restarted program's PROGRAM_STARTED.
  enum class Phase : uint8_t { kBeforeStart, kRunning, kHeld };

  double last_t_s() const { return analyzer_->run_time_s(last_time_us_); }

  void ApplyBefore(uint64_t seq, uint64_t log_time) {
    while (!ended_) {
      const bool seq_due = next_seq_event_ < by_seq_.size() && by_seq_[next_seq_event_].seq <= seq;
      const bool time_due = !by_time_.empty() && by_time_.front().log_time < log_time;
      if (!seq_due && !time_due) return;
      // Of two due events, the earlier in log time first.
      if (seq_due &&
          (!time_due || by_seq_[next_seq_event_].log_time <= by_time_.front().log_time)) {
        Apply(by_seq_[next_seq_event_++].event);
      } else {
        const v1::RigEvent event = std::move(by_time_.front().event);
        by_time_.pop_front();
        Apply(event);
      }
    }
  }

  void Apply(const v1::RigEvent& e) {
    ++out_->events_applied;
    if (phase_ == Phase::kHeld) {
      ApplyWhileHeld(e);
      return;
    }
    switch (e.kind()) {
      case v1::RIG_EVENT_TELEMETRY_GAP:
      case v1::RIG_EVENT_DEVICE_GAP:
        analyzer_->NoteGap(e.gap_first_seq(), e.gap_samples(), last_t_s());
        break;
      case v1::RIG_EVENT_DISCONNECTED:
        if (phase_ == Phase::kRunning && NextRunStateIsHeld()) {
          // rigd held the run (RunManager::EnterHeld): nothing is noted, the samples that
          // follow are recorded, not analysed.
          phase_ = Phase::kHeld;
          ++holds_;
        } else {
          analyzer_->NoteStopped(LostDeviceReason(e.message()), last_t_s());
          ended_ = true;
        }
        break;
      case v1::RIG_EVENT_RUN_STATE:
        if (e.run_state() == v1::RUN_STATE_ABORTED && !e.who().empty()) {
          analyzer_->NoteStopped(absl::StrCat("stopped by ", e.who()), last_t_s());
        }
        break;
      case v1::RIG_EVENT_DEVICE:
        ApplyDeviceEvent(e.device());
        break;
      case v1::RIG_EVENT_ESTOP_REQUESTED:
        analyzer_->NoteEStopRequest(e.who(), e.reason());
        break;
      default:
        break;
    }
  }

  // What RunManager::HandleHeldEvent and RestartHeld tell the analyzer while the run is
  // HELD: a device gap; a fault of the device other than its watchdog's (the run ends);
  // the re-arming that restarts the interrupted cycle (DiscardOpenCycle); and, when the
  // run ends while held, the reason it ended with. Telemetry gaps, the program's end
  // (rigd stops it when the device is back) and stops by a person are not the
  // analysis's while held.
  void ApplyWhileHeld(const v1::RigEvent& e) {
    switch (e.kind()) {
      case v1::RIG_EVENT_DEVICE_GAP:
        analyzer_->NoteGap(e.gap_first_seq(), e.gap_samples(), last_t_s());
        break;
      case v1::RIG_EVENT_RUN_STATE:
        if (e.run_state() == v1::RUN_STATE_ARMING) {
          // RestartHeld: the interrupted cycle's samples are dropped before re-arming.
          analyzer_->DiscardOpenCycle();
        } else if (IsFinalRunState(e.run_state()) && e.who().empty()) {
          EndWhileHeld(e);
        }
        break;
      case v1::RIG_EVENT_DEVICE: {
        const v1::DeviceEvent& d = e.device();
        if (d.kind() == v1::DEVICE_EVENT_FAULT_RAISED && d.fault() != v1::FAULT_WATCHDOG) {
          analyzer_->NoteFault(d.fault(), d.value(), last_t_s());
          fault_noted_ = true;
          ended_ = true;
        } else if (d.kind() == v1::DEVICE_EVENT_PROGRAM_STARTED) {
          // The restarted program: analysed again from its first sample.
          analyzer_->DiscardOpenCycle();
          program_id_ = d.program_id();
          phase_ = Phase::kRunning;
          awaiting_program_ = true;
        }
        break;
      }
      default:
        break;
    }
  }

  // The run ended while HELD (RunManager::Finish from the held state).
  void EndWhileHeld(const v1::RigEvent& e) {
    ended_ = true;
    switch (e.run_state()) {
      case v1::RUN_STATE_COMPLETED:
        // Lost after its last cycle: the program had finished.
        analyzer_->NoteProgramFinished();
        break;
      case v1::RUN_STATE_ABORTED:
      case v1::RUN_STATE_FAULTED:
        // A hold timeout, a stop while held, a restart that failed: rigd noted a stop
        // with the reason the run ended with.
        analyzer_->NoteStopped(HeldEndReason(e), last_t_s());
        break;
      default:
        break;  // INTERRUPTED: rigd shut down; nothing was noted
    }
  }

  // The reason the run ended with: the recording's end, else its final event's message
  // ("run ID STATE: REASON").
  std::string HeldEndReason(const v1::RigEvent& e) const {
    if (end_.state == e.run_state() && !end_.reason.empty()) return end_.reason;
    const std::string& m = e.message();
    const size_t colon = m.find(": ");
    return colon == std::string::npos ? m : m.substr(colon + 2);
  }

  // Whether rigd held the run at the lost device just applied: its next own run-state
  // event says HELD (else it ended the run: the ABORT policy, or a stop under way).
  bool NextRunStateIsHeld() const {
    for (const PendingEvent& p : by_time_) {
      if (p.event.kind() != v1::RIG_EVENT_RUN_STATE || !p.event.who().empty()) continue;
      return p.event.run_state() == v1::RUN_STATE_HELD;
    }
    return false;
  }

  void ApplyDeviceEvent(const v1::DeviceEvent& d) {
    const bool ours = !program_id_ || d.program_id() == *program_id_;
    switch (d.kind()) {
      case v1::DEVICE_EVENT_PROGRAM_STARTED:
        if (phase_ == Phase::kBeforeStart) {
          program_id_ = d.program_id();
          phase_ = Phase::kRunning;
          awaiting_program_ = true;
        }
        break;
      case v1::DEVICE_EVENT_FAULT_RAISED:
        analyzer_->NoteFault(d.fault(), d.value(), last_t_s());
        fault_noted_ = true;
        break;
      case v1::DEVICE_EVENT_PROGRAM_FINISHED:
        if (!ours) break;
        analyzer_->NoteProgramFinished();
        ended_ = true;
        break;
      case v1::DEVICE_EVENT_PROGRAM_ABORTED:
        if (!ours) break;
        if (!fault_noted_) analyzer_->NoteStopped("the device aborted the program", last_t_s());
        ended_ = true;
        break;
      default:
        break;
    }
  }

  std::unique_ptr<host::RunAnalyzer> analyzer_;
  std::vector<PendingEvent> by_seq_;
  size_t next_seq_event_ = 0;
  std::deque<PendingEvent> by_time_;
  const RecordedEnd end_;
  std::optional<uint64_t> program_id_;
  ReplayedRun* out_;
  Phase phase_;
  uint64_t holds_ = 0;
  bool awaiting_program_ = false;
  bool ended_ = false;
  bool fault_noted_ = false;
  bool have_first_ = false;
  uint64_t first_time_us_ = 0;
  uint64_t last_time_us_ = 0;
};

}  // namespace

absl::StatusOr<ReplayedRun> ReplayRecordingAnalysis(const std::string& path,
                                                    recording::FileSystem* fs) {
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

  ReplayedRun out;
  const recording::McapMetadata* run_meta = FindMetadata(reader, recorder::kRunMetadata);
  const recording::McapMetadata* device_meta = FindMetadata(reader, recorder::kDeviceMetadata);
  absl::StatusOr<v1::ProfileSource> source = RecordedProfile(run_meta, path);
  if (!source.ok()) return source.status();
  const std::string info_json = ValueOf(device_meta, recorder::kDeviceInfoKey);
  if (info_json.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": no device information (\"", recorder::kDeviceMetadata, "\" ",
                     recorder::kDeviceInfoKey, "): the profile cannot be checked against it"));
  }
  if (absl::Status s = FromJson(info_json, &out.device_info, absl::StrCat(path, ": the device"));
      !s.ok()) {
    return s;
  }

  host::ProfileCheck check = host::LoadProfile(*source, out.device_info.capabilities());
  if (!check.ok()) {
    std::vector<std::string> lines;
    for (const v1::ProfileError& e : check.errors) lines.push_back(host::FormatProfileError(e));
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": the recorded profile does not load:\n", absl::StrJoin(lines, "\n")));
  }
  const host::LoadedProfile& profile = *check.loaded;
  out.profile_name = profile.name;
  // The analyzer exactly as rigd builds it for a run.
  std::vector<host::AnalyzerSegment> segments;
  for (const host::ProgramSegmentInfo& s : profile.segments) {
    segments.push_back(host::AnalyzerSegment{static_cast<int32_t>(s.index), s.label, s.limits});
  }
  auto analyzer = std::make_unique<host::RunAnalyzer>(
      std::vector<v1::Limit>(profile.profile.limits().begin(), profile.profile.limits().end()),
      std::move(segments));

  // The events, held: few, and they must be placed among the samples.
  std::vector<PendingEvent> by_seq;
  std::deque<PendingEvent> by_time;
  bool program_start_recorded = false;
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
    switch (p.event.kind()) {
      case v1::RIG_EVENT_DEVICE:
        p.seq = p.event.device().sample_seq();
        if (p.event.device().kind() == v1::DEVICE_EVENT_PROGRAM_STARTED) {
          program_start_recorded = true;
        }
        by_seq.push_back(std::move(p));
        break;
      case v1::RIG_EVENT_TELEMETRY_GAP:
        p.seq = p.event.gap_first_seq();
        p.rank = 1;
        by_seq.push_back(std::move(p));
        break;
      // A lost device, its gap (measured when it is back, before its first sample) and
      // the run's states (HELD, re-arming, its end) happen at their log time: rigd acts on
      // them as they arrive.
      case v1::RIG_EVENT_DISCONNECTED:
      case v1::RIG_EVENT_DEVICE_GAP:
      case v1::RIG_EVENT_RUN_STATE:
      case v1::RIG_EVENT_ESTOP_REQUESTED:
        p.by_time = true;
        by_time.push_back(std::move(p));
        break;
      default:
        break;
    }
    return true;
  });
  if (!read.ok()) return read;
  if (!parse_error.ok()) return parse_error;
  std::stable_sort(by_seq.begin(), by_seq.end(), [](const PendingEvent& a, const PendingEvent& b) {
    return a.seq != b.seq ? a.seq < b.seq : a.rank < b.rank;
  });
  std::stable_sort(
      by_time.begin(), by_time.end(),
      [](const PendingEvent& a, const PendingEvent& b) { return a.log_time < b.log_time; });

  RecordedEnd end;
  if (const recording::McapMetadata* v = FindMetadata(reader, recorder::kVerdictMetadata)) {
    v1::RunState_Parse(ValueOf(v, recorder::kRunStateKey), &end.state);
    end.reason = ValueOf(v, recorder::kStateReasonKey);
  }
  Replay replay(std::move(analyzer), std::move(by_seq), std::move(by_time), program_start_recorded,
                std::move(end), &out);
  v1::TelemetryRecord record;
  host::Sample sample;
  bool have_last_seq = false;
  uint64_t last_seq = 0;
  recording::McapReadOptions telemetry_only;
  telemetry_only.topics = {recorder::kTelemetryTopic};
  read = reader.ReadMessages(telemetry_only, [&](const recording::McapMessage& m) {
    if (!record.ParseFromString(m.data)) {
      parse_error = absl::DataLossError(absl::StrCat(path, ": a /telemetry message at log time ",
                                                     m.log_time, " is no TelemetryRecord"));
      return false;
    }
    ++out.samples_read;
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
  if (!parse_error.ok()) return parse_error;
  replay.Finish();
  out.replay_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return out;
}

}  // namespace rollrig::check
