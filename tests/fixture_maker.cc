#include "tests/fixture_maker.h"

#include <map>
#include <memory>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "host/check/recording_replay.h"
#include "host/check/run_metrics.h"
#include "host/profile_loader/presets.h"
#include "host/recording/file_system.h"
#include "host/recording/mcap_writer.h"
#include "host/recording/recording_layout.h"
#include "host/run_model/limit_event.h"
#include "protos/enum_names.h"

namespace rollrig::testing {
namespace {

namespace v1 = rollrig::v1;
namespace rec = rollrig::recorder;

constexpr uint32_t kTelemetryDivisor = 10;  // 100 Hz on the 1 kHz tick
constexpr uint64_t kProgramId = 0x5EED;

std::string Json(const google::protobuf::Message& m) {
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(m, &json);
  return json;
}

std::string EventMessage(const v1::DeviceEvent& e) {
  std::string kind = v1::DeviceEventKind_Name(e.kind());
  if (kind.rfind("DEVICE_EVENT_", 0) == 0) kind = kind.substr(13);
  for (char& c : kind) c = c == '_' ? ' ' : static_cast<char>(std::tolower(c));
  if (e.kind() == v1::DEVICE_EVENT_FAULT_RAISED) {
    absl::StrAppend(&kind, ": ", v1::FaultDisplayName(e.fault()));
  } else if (e.kind() == v1::DEVICE_EVENT_CYCLE_COMPLETED) {
    absl::StrAppend(&kind, " ", e.cycle());
  }
  return kind;
}

// Writes what a lock-step run produces into one recording, in the order it happens.
class FixtureRecorder {
 public:
  explicit FixtureRecorder(std::unique_ptr<recording::McapWriter> writer)
      : writer_(std::move(writer)), overview_(kFixtureEpochNs) {}

  absl::Status Open() {
    if (absl::Status s = writer_->Open(); !s.ok()) return s;
    absl::StatusOr<rec::RecordingChannels> channels = rec::AddRunChannels(*writer_);
    if (!channels.ok()) return channels.status();
    channels_ = *channels;
    return absl::OkStatus();
  }

  void set_run(const LockstepRun* run) { run_ = run; }
  const absl::Status& status() const { return status_; }
  std::optional<uint64_t> first_time_us() const { return first_time_us_; }

  void OnSample(const host::Sample& s) {
    if (!status_.ok()) return;
    if (!first_time_us_) first_time_us_ = s.time_us;
    host::Sample sample = s;
    sample.host_time_ns = HostTimeNs(s.time_us);
    last_host_ns_ = sample.host_time_ns;
    Keep(rec::WriteSample(*writer_, channels_, sample, kFixtureEpochNs, &record_, &scratch_));
    rec::OverviewEntry entry;
    if (overview_.Add(sample, &entry)) WriteOverview(entry);
    // The analyzer has taken the sample: a cycle it closed goes out now.
    WriteNewCycles(static_cast<uint64_t>(sample.host_time_ns));
  }

  void OnEvent(const v1::DeviceEvent& d) {
    v1::RigEvent e;
    e.set_kind(v1::RIG_EVENT_DEVICE);
    e.set_host_time_ns(HostTimeNs(d.time_us()));
    *e.mutable_device() = d;
    e.set_message(EventMessage(d));
    WriteEvent(e);
  }

  // As rigd records a limit the run model noted: at the sample that tripped it.
  void OnLimit(const std::string& run_id, const v1::LimitResult& note) {
    v1::RigEvent e = run_model::LimitEvent(run_id, note);
    e.set_host_time_ns(last_host_ns_);
    WriteEvent(e);
  }

  void OnGap(uint64_t first_missing, uint64_t count) {
    v1::RigEvent e;
    e.set_kind(v1::RIG_EVENT_TELEMETRY_GAP);
    e.set_host_time_ns(last_host_ns_);
    e.set_gap_first_seq(first_missing);
    e.set_gap_samples(count);
    e.set_message(absl::StrCat("telemetry gap: ", count, " samples lost (seq ", first_missing,
                               " to ", first_missing + count - 1, ")"));
    WriteEvent(e);
  }

  absl::Status Finish(const std::map<std::string, std::string>& verdict) {
    // The last cycle closes on the device's CYCLE_COMPLETED, after its last sample: rigd
    // records it then, and so does the fixture.
    WriteNewCycles(static_cast<uint64_t>(last_host_ns_));
    rec::OverviewEntry entry;
    if (overview_.Flush(&entry)) WriteOverview(entry);
    Keep(writer_->WriteMetadata(rec::kVerdictMetadata, verdict));
    Keep(writer_->Finish());
    return status_;
  }

  absl::Status WriteMetadata(const std::string& name,
                             const std::map<std::string, std::string>& values) {
    return writer_->WriteMetadata(name, values);
  }
  uint64_t bytes() const { return writer_->bytes_written(); }

 private:
  static int64_t HostTimeNs(uint64_t device_time_us) {
    return kFixtureEpochNs + static_cast<int64_t>(device_time_us * 1000);
  }
  void Keep(absl::Status s) {
    if (status_.ok() && !s.ok()) status_ = std::move(s);
  }
  // Writes the cycles the analyzer closed since the last call.
  void WriteNewCycles(uint64_t log_time_ns) {
    const auto& cycles = run_->analyzer().cycles();
    while (status_.ok() && cycles_written_ < cycles.size()) {
      Keep(rec::WriteCycle(*writer_, channels_, cycles[cycles_written_++], log_time_ns, &scratch_));
    }
  }
  void WriteEvent(const v1::RigEvent& e) {
    if (status_.ok()) Keep(rec::WriteEvent(*writer_, channels_, e, event_seq_++, &scratch_));
  }
  void WriteOverview(const rec::OverviewEntry& entry) {
    Keep(rec::WriteOverview(*writer_, channels_, entry, overview_seq_++, &scratch_));
  }

  std::unique_ptr<recording::McapWriter> writer_;
  rec::RecordingChannels channels_;
  rec::OverviewBuilder overview_;
  const LockstepRun* run_ = nullptr;
  absl::Status status_;
  v1::TelemetryRecord record_;
  std::string scratch_;
  std::optional<uint64_t> first_time_us_;
  int64_t last_host_ns_ = kFixtureEpochNs;
  size_t cycles_written_ = 0;
  uint32_t event_seq_ = 0;
  uint32_t overview_seq_ = 0;
};

v1::ExpectedMetric Metric(const std::map<std::string, double>& metrics, const std::string& name,
                          double tolerance) {
  v1::ExpectedMetric m;
  m.set_name(name);
  auto it = metrics.find(name);
  // Six significant digits: the tolerance is far coarser, and the file stays readable.
  const double value = it == metrics.end() ? 0 : it->second;
  m.set_value(std::stod(absl::StrFormat("%.6g", value)));
  m.set_tolerance(tolerance);
  return m;
}

const char* RunStateOf(const LockstepRunResult& r) {
  if (r.program_aborted) return "RUN_STATE_FAULTED";
  if (r.verdict.verdict() == v1::VERDICT_ABORTED) return "RUN_STATE_ABORTED";
  return "RUN_STATE_COMPLETED";
}

// The myofascial-release preset with its 150 s hold cut to 20 s: the same segments,
// motions and limits in a file a ninth of the size of a whole cycle's.
FixtureSpec ShortMyofascialRelease() {
  FixtureSpec s;
  s.name = "myofascial-release";
  const v1::Preset* preset = host::FindPreset("myofascial-release");
  constexpr char kHold[] = "duration_s: 150";
  if (preset != nullptr && absl::StrContains(preset->text(), kHold)) {
    s.profile_text = absl::StrReplaceAll(preset->text(), {{kHold, "duration_s: 20"}});
  }
  s.description =
      "one cycle of the myofascial-release preset with its hold cut from 150 s to 20 s (120 N, "
      "roller creeping at 1 rpm) on the simulated massager: PASS";
  return s;
}

}  // namespace

const std::vector<FixtureSpec>& StandardFixtures() {
  static const std::vector<FixtureSpec>* const kFixtures = [] {
    auto* f = new std::vector<FixtureSpec>;
    for (const char* preset :
         {"swedish", "deep-tissue", "trigger-point", "kneading", "endurance"}) {
      FixtureSpec s;
      s.name = preset;
      s.preset = preset;
      s.description = absl::StrCat("one clean cycle of the ", preset,
                                   " preset on the simulated massager: PASS");
      f->push_back(std::move(s));
    }
    for (const char* preset : {"friction", "rolling"}) {
      FixtureSpec s;
      s.name = preset;
      s.preset = preset;
      s.description = absl::StrCat("one clean cycle of the ", preset,
                                   " preset on the simulated massager: PASS");
      f->push_back(std::move(s));
    }
    f->push_back(ShortMyofascialRelease());
    FixtureSpec stall;
    stall.name = "stall-abort";
    stall.preset = "swedish";
    stall.inject = v1::INJECTED_FAULT_STALL;
    stall.inject_at_s = 12;
    stall.reason_contains = "stall";
    stall.description =
        "swedish with the roller jammed 12 s in: the stall limit (2.5 N·m for 0.2 s) aborts "
        "the run";
    f->push_back(std::move(stall));
    FixtureSpec hot;
    hot.name = "over-temperature-fail";
    hot.preset = "deep-tissue";
    hot.ambient_c = 84;
    hot.reason_contains = "winding temperature";
    hot.description =
        "deep-tissue in an 84 degC room: the winding passes the 85 degC host limit (well "
        "under the device's 100 degC), so the run goes on and FAILs";
    f->push_back(std::move(hot));
    FixtureSpec gap;
    gap.name = "telemetry-gap";
    gap.preset = "swedish";
    gap.lose_from_s = 20;
    gap.lose_to_s = 20.3;
    gap.reason_contains = "lost";
    gap.description =
        "swedish with 0.3 s of telemetry lost on the link 20 s in: the gap is recorded and "
        "counted, the verdict stays PASS and says samples were lost";
    f->push_back(std::move(gap));
    return f;
  }();
  return *kFixtures;
}

const FixtureSpec* FindFixture(const std::string& name) {
  for (const FixtureSpec& s : StandardFixtures()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

absl::StatusOr<MadeFixture> MakeFixture(const FixtureSpec& spec, const std::string& dir) {
  MadeFixture made;
  made.path = absl::StrCat(dir, "/", spec.name, ".mcap");
  absl::StatusOr<std::unique_ptr<recording::WritableFile>> file =
      recording::RealFileSystem()->NewWritableFile(made.path);
  if (!file.ok()) return file.status();
  recording::McapWriterOptions writer_options;
  writer_options.library = "rollrig fixtures";
  writer_options.zstd_level = 9;  // smaller files in the repository; written once
  writer_options.sync_each_chunk = false;
  writer_options.chunk_max_duration_ns = 5'000'000'000;  // fewer, better-compressed chunks
  FixtureRecorder recorder(
      std::make_unique<recording::McapWriter>(std::move(*file), writer_options));
  if (absl::Status s = recorder.Open(); !s.ok()) return s;

  LockstepRunOptions options;
  options.sim.seed = 1;
  options.sim.firmware.telemetry_divisor = kTelemetryDivisor;
  options.sim.plant.ambient_c = spec.ambient_c;
  options.program_id = kProgramId;
  options.cycles = spec.cycles;
  v1::ProfileSource source;
  std::string profile_text = spec.profile_text;
  if (!spec.preset.empty()) {
    const v1::Preset* preset = host::FindPreset(spec.preset);
    if (preset == nullptr) return absl::NotFoundError(absl::StrCat("no preset ", spec.preset));
    source.set_preset(spec.preset);
    profile_text = preset->text();
  } else {
    source.set_file_name(absl::StrCat(spec.name, ".textproto"));
    source.set_text(spec.profile_text);
  }
  options.profile = source;
  options.on_sample = [&](const host::Sample& s) { recorder.OnSample(s); };
  options.on_event = [&](const v1::DeviceEvent& e) { recorder.OnEvent(e); };
  options.on_gap = [&](uint64_t first, uint64_t count) { recorder.OnGap(first, count); };
  const std::string run_id = absl::StrCat("fixture-", spec.name);
  options.on_limit = [&](const v1::LimitResult& note) { recorder.OnLimit(run_id, note); };
  if (spec.lose_to_s > spec.lose_from_s) {
    options.lose_batch = [&](const v1::TelemetryBatch& batch) {
      const std::optional<uint64_t> t0 = recorder.first_time_us();
      if (!t0 || batch.first_time_us() < *t0) return false;
      const double t = static_cast<double>(batch.first_time_us() - *t0) / 1e6;
      return t >= spec.lose_from_s && t < spec.lose_to_s;
    };
  }

  LockstepRun run(options);
  recorder.set_run(&run);
  if (absl::Status s = run.Start(); !s.ok()) return s;

  v1::RunSpec run_spec;
  *run_spec.mutable_profile() = source;
  run_spec.set_cycles(spec.cycles);
  const host::LoadedProfile& profile = run.profile();
  absl::Status meta = recorder.WriteMetadata(
      rec::kRunMetadata, {{rec::kRunIdKey, run_id},
                          {rec::kRunSpecKey, Json(run_spec)},
                          {rec::kProfileTextKey, profile_text},
                          {rec::kProfileNameKey, profile.name},
                          {rec::kProfileHashKey, profile.hash},
                          {rec::kStartedUnixNsKey, absl::StrCat(kFixtureEpochNs)}});
  const v1::DeviceInfo& info = run.device().info();
  if (meta.ok()) {
    meta = recorder.WriteMetadata(rec::kDeviceMetadata,
                                  {{rec::kDeviceInfoKey, Json(info)},
                                   {rec::kDeviceSerialKey, info.serial()},
                                   {rec::kFirmwareVersionKey, info.firmware_version()}});
  }
  if (meta.ok()) {
    meta = recorder.WriteMetadata(rec::kHostMetadata,
                                  {{rec::kHostVersionKey, "rollrig fixtures"},
                                   {rec::kClockOffsetKey, absl::StrCat(kFixtureEpochNs)},
                                   {rec::kFileIndexKey, "0"},
                                   {rec::kRecordingStartKey, absl::StrCat(kFixtureEpochNs)}});
  }
  if (!meta.ok()) return meta;

  if (spec.inject != v1::INJECTED_FAULT_UNSPECIFIED) {
    while (run.Advance(10) &&
           run.analyzer().run_time_s(run.device().time_us()) < spec.inject_at_s) {
    }
    run.device().InjectFault(spec.inject, true);
  }
  made.run = run.Finish();
  if (!recorder.status().ok()) return recorder.status();

  const LockstepRunResult& r = made.run;
  absl::Status finished = recorder.Finish({{rec::kVerdictKey, Json(r.verdict)},
                                           {rec::kRunStateKey, RunStateOf(r)},
                                           {rec::kStateReasonKey, r.verdict.reason()},
                                           {rec::kSamplesKey, absl::StrCat(r.samples)},
                                           {rec::kCyclesKey, absl::StrCat(r.cycles.size())}});
  if (!finished.ok()) return finished;
  made.bytes = recorder.bytes();

  // The expectation, from the live run's own analysis.
  check::ReplayedRun live;
  live.verdict = r.verdict;
  live.cycles = r.cycles;
  live.partial_cycle = r.partial_cycle;
  live.samples = r.samples;
  live.samples_lost = r.samples_lost;
  live.gaps = r.samples_lost > 0 ? 1 : 0;
  const std::map<std::string, double> metrics = check::RunMetrics(live);
  v1::FixtureExpectation& e = made.expectation;
  e.set_description(spec.description);
  e.set_analysis_version(check::kAnalysisVersion);
  e.set_verdict(r.verdict.verdict());
  e.set_reason_contains(spec.reason_contains);
  *e.add_metrics() = Metric(metrics, "cycles", 0);
  *e.add_metrics() = Metric(metrics, "samples", 0);
  *e.add_metrics() = Metric(metrics, "samples_lost", 0);
  *e.add_metrics() = Metric(metrics, "peak_torque_nm", 0.001);
  *e.add_metrics() = Metric(metrics, "mean_force_n", 0.01);
  *e.add_metrics() = Metric(metrics, "speed_rms_error_rpm", 0.001);
  *e.add_metrics() = Metric(metrics, "max_temperature_c", 0.01);
  return made;
}

std::string ExpectationText(const v1::FixtureExpectation& expectation) {
  std::string text;
  google::protobuf::TextFormat::Printer printer;
  printer.SetUseUtf8StringEscaping(true);
  printer.PrintToString(expectation, &text);
  return absl::StrCat("# proto-file: protos/rollrig/v1/recording.proto\n",
                      "# proto-message: rollrig.v1.FixtureExpectation\n", text);
}

}  // namespace rollrig::testing
