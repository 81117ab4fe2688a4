#include "host/report/run_record.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "host/profile_loader/profile_parser.h"
#include "host/recording/mcap_reader.h"
#include "host/recording/recording_layout.h"
#include "host/report/file_digest.h"
#include "protos/enum_names.h"
#include "rollrig/v1/recording.pb.h"

namespace rollrig::report {
namespace {

namespace v1 = rollrig::v1;
namespace rec = rollrig::recorder;

constexpr size_t kPlotBuckets = 1000;
constexpr double kOverviewWindowS = 0.1;  // OverviewBuilder's default window
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using Metadata = std::map<std::string, std::string>;

std::string BaseName(const std::string& path) { return path.substr(path.rfind('/') + 1); }

std::string Get(const Metadata& m, const char* key) {
  auto it = m.find(key);
  return it == m.end() ? std::string() : it->second;
}

// One opened recording file.
struct OpenFile {
  std::string path;
  std::unique_ptr<recording::RandomAccessFile> file;
  std::unique_ptr<recording::McapReader> reader;
  std::map<std::string, Metadata> metadata;  // by record name; later records win
  uint16_t telemetry = 0, events = 0, cycles = 0, overview = 0;
};

absl::Status Named(const std::string& path, const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat(path, ": ", s.message()));
}

absl::StatusOr<OpenFile> Open(const std::string& path, recording::FileSystem* fs) {
  OpenFile f;
  f.path = path;
  absl::StatusOr<std::unique_ptr<recording::RandomAccessFile>> file = fs->OpenForRead(path);
  if (!file.ok()) return Named(path, file.status());
  f.file = *std::move(file);
  absl::StatusOr<std::unique_ptr<recording::McapReader>> reader =
      recording::McapReader::Open(f.file.get());
  if (!reader.ok()) return Named(path, reader.status());
  f.reader = *std::move(reader);
  for (const recording::McapMetadata& m : f.reader->metadata()) {
    for (const auto& [k, v] : m.metadata) f.metadata[m.name][k] = v;
  }
  for (const auto& [id, channel] : f.reader->channels()) {
    if (channel.topic == rec::kTelemetryTopic) f.telemetry = id;
    if (channel.topic == rec::kEventsTopic) f.events = id;
    if (channel.topic == rec::kCyclesTopic) f.cycles = id;
    if (channel.topic == rec::kOverviewTopic) f.overview = id;
  }
  return f;
}

void ReadHeader(const OpenFile& first, RunRecord* r) {
  const Metadata& run =
      first.metadata.count(rec::kRunMetadata) ? first.metadata.at(rec::kRunMetadata) : Metadata{};
  r->run_id = Get(run, rec::kRunIdKey);
  r->profile_name = Get(run, rec::kProfileNameKey);
  r->profile_hash = Get(run, rec::kProfileHashKey);
  r->started_by = Get(run, rec::kStartedByKey);
  (void)absl::SimpleAtoi(Get(run, rec::kStartedUnixNsKey), &r->started_unix_ns);
  v1::RunSpec spec;
  if (google::protobuf::util::JsonStringToMessage(Get(run, rec::kRunSpecKey), &spec).ok()) {
    r->dut_serial = spec.dut_serial();
    r->operator_name = spec.operator_();
    r->notes = spec.notes();
    r->cycles_planned = spec.cycles();
    r->duration_planned_s = spec.duration_s();
  }
  const std::string text = Get(run, rec::kProfileTextKey);
  const bool json = host::IsJsonProfile(spec.profile().format(), spec.profile().file_name(), text);
  host::ParsedProfile parsed =
      json ? host::ParseProfileJson(text, "profile") : host::ParseProfileText(text, "profile");
  r->profile = std::move(parsed.profile);
  if (first.metadata.count(rec::kDeviceMetadata)) {
    const Metadata& device = first.metadata.at(rec::kDeviceMetadata);
    r->device_serial = Get(device, rec::kDeviceSerialKey);
    r->firmware_version = Get(device, rec::kFirmwareVersionKey);
  }
  if (first.metadata.count(rec::kHostMetadata)) {
    r->host_version = Get(first.metadata.at(rec::kHostMetadata), rec::kHostVersionKey);
  }
}

void ReadVerdict(const OpenFile& last, RunRecord* r) {
  auto it = last.metadata.find(rec::kVerdictMetadata);
  if (it == last.metadata.end()) return;
  const Metadata& m = it->second;
  r->has_verdict =
      google::protobuf::util::JsonStringToMessage(Get(m, rec::kVerdictKey), &r->verdict).ok();
  v1::RunState state = v1::RUN_STATE_UNSPECIFIED;
  if (v1::RunState_Parse(Get(m, rec::kRunStateKey), &state)) r->state = state;
  r->state_reason = Get(m, rec::kStateReasonKey);
}

// The host time of run time 0: the first sample's device time on the host epoch.
uint64_t RunOriginNs(const OpenFile& first) {
  uint64_t origin = 0;
  recording::McapReadOptions options;
  options.topics = {rec::kTelemetryTopic};
  (void)first.reader->ReadMessages(options, [&](const recording::McapMessage& m) {
    origin = m.publish_time;
    return false;
  });
  return origin != 0 ? origin : first.reader->statistics().message_start_time;
}

EventKind KindOf(const v1::RigEvent& e) {
  switch (e.kind()) {
    case v1::RIG_EVENT_DEVICE:
      switch (e.device().kind()) {
        case v1::DEVICE_EVENT_FAULT_RAISED:
          return EventKind::kFault;
        case v1::DEVICE_EVENT_PROGRAM_PAUSED:
          return EventKind::kPause;
        case v1::DEVICE_EVENT_PROGRAM_RESUMED:
          return EventKind::kResume;
        case v1::DEVICE_EVENT_INTERLOCK_CHANGED:
          return EventKind::kEStop;
        case v1::DEVICE_EVENT_PROGRAM_STARTED:
        case v1::DEVICE_EVENT_PROGRAM_FINISHED:
        case v1::DEVICE_EVENT_PROGRAM_ABORTED:
          return EventKind::kRun;
        default:
          return EventKind::kOther;
      }
    case v1::RIG_EVENT_TELEMETRY_GAP:
    case v1::RIG_EVENT_DEVICE_GAP:
      return EventKind::kGap;
    case v1::RIG_EVENT_DISCONNECTED:
      return EventKind::kDisconnect;
    case v1::RIG_EVENT_ESTOP_REQUESTED:
      return EventKind::kEStop;
    case v1::RIG_EVENT_LIMIT:
      return EventKind::kLimit;
    case v1::RIG_EVENT_FAULT_INJECTED:
      return EventKind::kFault;
    case v1::RIG_EVENT_RUN_STATE:
      if (e.run_state() == v1::RUN_STATE_PAUSED) return EventKind::kPause;
      if (absl::StrContains(e.message(), "resume")) return EventKind::kResume;
      return EventKind::kRun;
    default:
      return EventKind::kOther;
  }
}

bool IsCycleEvent(const v1::RigEvent& e) {
  return e.kind() == v1::RIG_EVENT_CYCLE_COMPLETED ||
         (e.kind() == v1::RIG_EVENT_DEVICE &&
          e.device().kind() == v1::DEVICE_EVENT_CYCLE_COMPLETED);
}

void Account(const v1::RigEvent& e, RunRecord* r) {
  switch (e.kind()) {
    case v1::RIG_EVENT_TELEMETRY_GAP:
      r->samples_lost += e.gap_samples();
      ++r->gaps;
      break;
    case v1::RIG_EVENT_DEVICE_GAP:
      ++r->device_gaps;
      r->device_gap_s += static_cast<double>(e.gap_ns()) / 1e9;
      break;
    case v1::RIG_EVENT_DISCONNECTED:
      ++r->disconnects;
      break;
    case v1::RIG_EVENT_DECODE_ERROR:
      ++r->decode_errors;
      break;
    default:
      break;
  }
  if (KindOf(e) == EventKind::kPause) ++r->pauses;
}

// Adds overview records to fixed-width buckets of run time.
class EnvelopeBuilder {
 public:
  explicit EnvelopeBuilder(double width_s) : width_s_(width_s) {}

  void Add(const v1::OverviewRecord& o, double offset_s) {
    const double t = o.t_start_s() + offset_s;
    if (!(t >= 0)) return;
    // Overview windows start at whole multiples of their width, and so does every bucket:
    // the small epsilon keeps 0.3 / 0.1 = 2.9999... in bucket 3.
    const auto index = static_cast<size_t>(t / width_s_ + 1e-6);
    if (index >= kPlotBuckets * 4) return;  // far past the planned span: a clock oddity
    if (index >= e_.t.size()) Grow(index + 1);
    Merge(&e_.torque_min[index], o.torque_nm_min(), true);
    Merge(&e_.torque_max[index], o.torque_nm_max(), false);
    Merge(&e_.speed_min[index], o.roller_rpm_min(), true);
    Merge(&e_.speed_max[index], o.roller_rpm_max(), false);
    Merge(&e_.force_min[index], o.force_n_min(), true);
    Merge(&e_.force_max[index], o.force_n_max(), false);
    Merge(&e_.head_min[index], o.head_deg_min(), true);
    Merge(&e_.head_max[index], o.head_deg_max(), false);
    Merge(&e_.temp_max[index], o.temp_c_max(), false);
  }
  Envelope Take() { return std::move(e_); }

 private:
  static void Merge(double* slot, double v, bool is_min) {
    if (std::isnan(*slot))
      *slot = v;
    else
      *slot = is_min ? std::min(*slot, v) : std::max(*slot, v);
  }
  void Grow(size_t n) {
    for (std::vector<double>* v :
         {&e_.torque_min, &e_.torque_max, &e_.speed_min, &e_.speed_max, &e_.force_min,
          &e_.force_max, &e_.head_min, &e_.head_max, &e_.temp_max}) {
      v->resize(n, kNaN);
    }
    while (e_.t.size() < n) e_.t.push_back(static_cast<double>(e_.t.size()) * width_s_);
  }

  double width_s_;
  Envelope e_;
};

// Reads one file's small topics into the record.
absl::Status ReadTopics(const OpenFile& f, uint64_t origin_ns, EnvelopeBuilder* envelope,
                        double* overview_offset_s, RunRecord* r) {
  recording::McapReadOptions options;
  options.topics = {rec::kOverviewTopic, rec::kCyclesTopic, rec::kEventsTopic};
  v1::OverviewRecord overview;
  v1::CycleStats cycle;
  v1::RigEvent event;
  bool first_overview = true;
  double last_t = -1;
  absl::Status st = f.reader->ReadMessages(options, [&](const recording::McapMessage& m) {
    if (m.channel_id == f.overview && f.overview != 0 && overview.ParseFromString(m.data)) {
      // A later file whose overview starts again at 0 is placed where it began.
      if (first_overview && overview.t_start_s() + 1 < *overview_offset_s) {
        *overview_offset_s =
            (static_cast<double>(m.publish_time) - static_cast<double>(origin_ns)) / 1e9 -
            overview.t_end_s();
      } else if (first_overview) {
        *overview_offset_s = 0;
      }
      first_overview = false;
      envelope->Add(overview, *overview_offset_s);
      last_t = std::max(last_t, overview.t_end_s() + *overview_offset_s);
    } else if (m.channel_id == f.cycles && f.cycles != 0 && cycle.ParseFromString(m.data)) {
      r->cycles.push_back(cycle);
    } else if (m.channel_id == f.events && f.events != 0 && event.ParseFromString(m.data)) {
      if (IsCycleEvent(event)) return true;
      Account(event, r);
      RecordEvent e;
      // An event stamped a little before the first sample (the program's start) is at 0.
      e.t_s = std::max(
          0.0, (static_cast<double>(event.host_time_ns()) - static_cast<double>(origin_ns)) / 1e9);
      e.kind = KindOf(event);
      e.text =
          event.message().empty() ? v1::RigEventKindDisplayName(event.kind()) : event.message();
      r->events.push_back(std::move(e));
    }
    return true;
  });
  if (last_t >= 0) *overview_offset_s = last_t;  // where the next file's overview may restart
  return st.ok() ? st : Named(f.path, st);
}

}  // namespace

const char* EventKindName(EventKind kind) {
  switch (kind) {
    case EventKind::kPause:
      return "pause";
    case EventKind::kResume:
      return "resume";
    case EventKind::kFault:
      return "fault";
    case EventKind::kLimit:
      return "limit";
    case EventKind::kEStop:
      return "e-stop";
    case EventKind::kGap:
      return "gap";
    case EventKind::kDisconnect:
      return "disconnect";
    case EventKind::kRun:
      return "run";
    case EventKind::kOther:
      return "other";
  }
  return "other";
}

absl::StatusOr<RunRecord> ReadRunRecord(const std::vector<std::string>& paths,
                                        recording::FileSystem* fs) {
  if (paths.empty()) return absl::InvalidArgumentError("no recording files given");
  std::vector<OpenFile> files;
  RunRecord r;
  for (const std::string& path : paths) {
    absl::StatusOr<OpenFile> f = Open(path, fs);
    if (!f.ok()) return f.status();
    RecordFile info;
    info.name = BaseName(path);
    info.bytes = f->file->size();
    info.in_progress = absl::EndsWith(path, ".part") || !f->reader->has_summary();
    absl::StatusOr<std::string> digest = Sha256OfFile(*f->file);
    if (!digest.ok()) return Named(path, digest.status());
    info.sha256 = *digest;
    r.in_progress = r.in_progress || info.in_progress;
    r.files.push_back(std::move(info));
    const auto& counts = f->reader->statistics().channel_message_counts;
    if (auto it = counts.find(f->telemetry); f->telemetry != 0 && it != counts.end()) {
      r.samples += it->second;
    }
    files.push_back(*std::move(f));
  }
  ReadHeader(files.front(), &r);
  ReadVerdict(files.back(), &r);
  const uint64_t origin_ns = RunOriginNs(files.front());
  const uint64_t end_ns = files.back().reader->statistics().message_end_time;
  r.ended_unix_ns = static_cast<int64_t>(end_ns);
  r.run_time_s = end_ns > origin_ns ? static_cast<double>(end_ns - origin_ns) / 1e9 : 0;
  // A whole number of overview windows per bucket, so no bucket falls between two windows.
  const double windows_per_bucket =
      std::max(1.0, std::ceil(r.run_time_s / kPlotBuckets / kOverviewWindowS));
  EnvelopeBuilder envelope(windows_per_bucket * kOverviewWindowS);
  double overview_offset_s = 0;
  for (const OpenFile& f : files) {
    if (absl::Status s = ReadTopics(f, origin_ns, &envelope, &overview_offset_s, &r); !s.ok()) {
      return s;
    }
  }
  r.overview = envelope.Take();
  std::stable_sort(r.events.begin(), r.events.end(),
                   [](const RecordEvent& a, const RecordEvent& b) { return a.t_s < b.t_s; });
  return r;
}

void MergeRunInfo(const v1::RunInfo& info, RunRecord* r) {
  if (r->run_id.empty()) r->run_id = info.id();
  if (r->profile_name.empty()) r->profile_name = info.profile_name();
  if (r->profile_hash.empty()) r->profile_hash = info.profile_hash();
  if (r->started_by.empty()) r->started_by = info.started_by();
  if (r->host_version.empty()) r->host_version = info.host_version();
  if (r->firmware_version.empty()) r->firmware_version = info.firmware_version();
  if (r->device_serial.empty()) r->device_serial = info.device_serial();
  if (r->dut_serial.empty()) r->dut_serial = info.spec().dut_serial();
  if (r->operator_name.empty()) r->operator_name = info.spec().operator_();
  if (info.started_unix_ns() != 0) r->started_unix_ns = info.started_unix_ns();
  if (info.ended_unix_ns() != 0) r->ended_unix_ns = info.ended_unix_ns();
  r->state = info.state();
  r->state_reason = info.state_reason();
  const bool active = v1::RunIsActive(info.state());
  r->in_progress = r->in_progress || active;
  const v1::RunVerdict& verdict = active ? info.judged() : info.verdict();
  if (verdict.verdict() != v1::VERDICT_UNSPECIFIED || !r->has_verdict) {
    r->verdict = verdict;
    r->has_verdict = verdict.verdict() != v1::VERDICT_UNSPECIFIED;
  }
}

}  // namespace rollrig::report
