#include "host/metrics/rig_collector.h"

#include <algorithm>
#include <bit>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "enum_names.h"
#include "prometheus/client_metric.h"
#include "prometheus/metric_type.h"

namespace rollrig::host {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<std::pair<std::string, std::string>>;

constexpr double kNsPerSecond = 1e9;

const rollrig::v1::DeviceState kDeviceStates[] = {
    rollrig::v1::DEVICE_STATE_IDLE, rollrig::v1::DEVICE_STATE_ACTIVE,
    rollrig::v1::DEVICE_STATE_STOPPING, rollrig::v1::DEVICE_STATE_FAULTED};

const rollrig::v1::RunState kRunStates[] = {
    rollrig::v1::RUN_STATE_IDLE,       rollrig::v1::RUN_STATE_ARMING,
    rollrig::v1::RUN_STATE_RUNNING,    rollrig::v1::RUN_STATE_PAUSED,
    rollrig::v1::RUN_STATE_HELD,       rollrig::v1::RUN_STATE_COMPLETED,
    rollrig::v1::RUN_STATE_ABORTED,    rollrig::v1::RUN_STATE_FAULTED,
    rollrig::v1::RUN_STATE_INTERRUPTED};

// Since when a run has had the chance to complete a cycle: its last completed cycle, or its
// latest (re)start running (a start, a resume from a pause or hold, a resume after rigd
// stopped under it), so a pause or an interruption does not count as a stall.
int64_t LastProgressNs(const rollrig::v1::RunInfo& run, const EventCounts& c) {
  int64_t last = run.started_unix_ns();
  for (const rollrig::v1::RunInterruption& i : run.interruptions()) {
    last = std::max(last, i.end_unix_ns());
  }
  if (c.last_cycle_run_id == run.id()) last = std::max(last, c.last_cycle_unix_ns);
  if (c.last_running_run_id == run.id()) last = std::max(last, c.last_running_unix_ns);
  return last;
}

}  // namespace

// One scrape's families, in the order first added; every series gets the serial label.
struct RigCollector::Scrape {
  std::string serial;
  std::vector<MetricFamily> families;
  std::map<std::string, size_t> index;

  void Add(const std::string& name, const std::string& help, MetricType type, double value,
           const Labels& labels = {}) {
    auto [it, added] = index.try_emplace(name, families.size());
    if (added) families.push_back(MetricFamily{name, help, type, {}});
    ClientMetric m;
    m.label.push_back({"serial", serial});
    for (const auto& [k, v] : labels) m.label.push_back({k, v});
    if (type == MetricType::Counter) {
      m.counter.value = value;
    } else {
      m.gauge.value = value;
    }
    families[it->second].metric.push_back(std::move(m));
  }
  void Gauge(const std::string& name, const std::string& help, double value,
             const Labels& labels = {}) {
    Add(name, help, MetricType::Gauge, value, labels);
  }
  void Counter(const std::string& name, const std::string& help, double value,
               const Labels& labels = {}) {
    Add(name, help, MetricType::Counter, value, labels);
  }
};

RigCollector::RigCollector(RigMetricsSources sources)
    : sources_(std::move(sources)),
      events_(&sources_.device->events()),
      means_(&sources_.device->telemetry()) {
  events_.Start();
  means_.Start();
}

RigCollector::~RigCollector() {
  means_.Stop();
  events_.Stop();
}

std::vector<MetricFamily> RigCollector::Collect() const {
  const DeviceSnapshot snap = sources_.device->Snapshot();
  Scrape s;
  s.serial = SerialOf(snap);
  AddDevice(s, snap);
  AddEvents(s);
  AddTelemetry(s, snap);
  AddRuns(s);
  AddDisk(s);
  AddUploads(s);
  AddBuild(s);
  return std::move(s.families);
}

std::string RigCollector::SerialOf(const DeviceSnapshot& snap) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (snap.info && !snap.info->serial().empty()) last_serial_ = snap.info->serial();
  if (!last_serial_.empty()) return last_serial_;
  return sources_.serial.empty() ? "unknown" : sources_.serial;
}

void RigCollector::AddDevice(Scrape& s, const DeviceSnapshot& snap) const {
  const bool connected = snap.connection == rollrig::v1::CONNECTION_STATE_CONNECTED;
  s.Gauge("rollrig_device_connected", "1 while the device is connected to rigd", connected);
  for (rollrig::v1::DeviceState state : kDeviceStates) {
    s.Gauge("rollrig_device_state",
            "The device's state: 1 for the current one (0 for all "
            "while disconnected)",
            connected && snap.state == state, {{"state", rollrig::v1::StateDisplayName(state)}});
  }
  const uint32_t faults = connected ? snap.faults : 0;
  s.Gauge("rollrig_device_faults_active", "Faults latched on the device", std::popcount(faults));
  for (int f = rollrig::v1::Fault_MIN + 1; f <= rollrig::v1::Fault_MAX; ++f) {
    if (!rollrig::v1::Fault_IsValid(f)) continue;
    s.Gauge("rollrig_device_fault_active", "1 while this fault is latched", (faults >> f) & 1u,
            {{"fault", rollrig::v1::FaultDisplayName(static_cast<rollrig::v1::Fault>(f))}});
  }
  s.Counter("rollrig_samples_received_total", "Telemetry samples rigd received from the device",
            static_cast<double>(snap.samples_received));
  s.Counter("rollrig_samples_lost_total",
            "Telemetry samples missing between the device and rigd (counter gaps)",
            static_cast<double>(snap.samples_lost));
  s.Counter("rollrig_frames_dropped_total", "Device frames discarded (CRC errors, bad headers)",
            static_cast<double>(snap.frames_dropped));
}

void RigCollector::AddEvents(Scrape& s) const {
  const EventCounts c = events_.Counts();
  s.Counter("rollrig_device_disconnects_total", "Times the device was lost",
            static_cast<double>(c.disconnects));
  const std::pair<const char*, uint64_t> estops[] = {
      {"software", c.estops_software}, {"button", c.estops_button}, {"door", c.estops_door}};
  for (const auto& [source, n] : estops) {
    s.Counter("rollrig_estops_total", "E-stops the device latched, by source",
              static_cast<double>(n), {{"source", source}});
  }
  s.Counter("rollrig_limit_violations_total", "Run limits violated (failed or aborted)",
            static_cast<double>(c.limit_violations));
  s.Counter("rollrig_cycles_completed_total", "Run cycles completed, every run",
            static_cast<double>(c.cycles_completed));
  if (c.events_missed > 0) {
    NoteProblem("events", absl::StrCat("metrics: ", c.events_missed,
                                       " rig events were missed; the event counters are low"));
  }
}

void RigCollector::AddTelemetry(Scrape& s, const DeviceSnapshot& snap) const {
  TelemetryHub& hub = sources_.device->telemetry();
  s.Gauge("rollrig_telemetry_subscribers",
          "Telemetry subscribers (streams, the active run, metrics' own averager)",
          static_cast<double>(hub.subscriber_count()));
  s.Counter("rollrig_telemetry_dropped_samples_total",
            "Samples telemetry subscribers lost because they read too slowly",
            static_cast<double>(hub.dropped_total()));
  if (snap.info && snap.info->capabilities().temperature_limit_c() > 0) {
    s.Gauge("rollrig_winding_temperature_limit_celsius", "The device's winding temperature limit",
            snap.info->capabilities().temperature_limit_c());
  }
  const TelemetryMeans m = means_.Means();
  if (snap.connection != rollrig::v1::CONNECTION_STATE_CONNECTED || m.window_end_unix_ns == 0) {
    return;
  }
  const std::pair<const char*, std::optional<double>> gauges[] = {
      {"rollrig_roller_torque_newton_meters", m.torque_nm},
      {"rollrig_contact_force_newtons", m.force_n},
      {"rollrig_roller_speed_rpm", m.roller_rpm},
      {"rollrig_winding_temperature_celsius", m.temp_c}};
  for (const auto& [name, value] : gauges) {
    if (value) s.Gauge(name, "Mean over the last second of telemetry", *value);
  }
}

void RigCollector::AddRuns(Scrape& s) const {
  if (sources_.runs == nullptr) return;
  const RecordingCounters rec = sources_.runs->recording_counters();
  s.Counter("rollrig_recorder_written_bytes_total", "Bytes the run recorder wrote, all files",
            static_cast<double>(rec.bytes_written_total));
  s.Gauge("rollrig_recorder_backlog_samples", "Samples queued for the recorder's writer",
          static_cast<double>(rec.samples_queued));
  const absl::StatusOr<rollrig::v1::RunInfo> run = sources_.runs->Get("");
  const rollrig::v1::RunState state = run.ok() ? run->state() : rollrig::v1::RUN_STATE_IDLE;
  for (rollrig::v1::RunState st : kRunStates) {
    s.Gauge("rollrig_run_state", "The state of the active run, else the latest (idle: none)",
            state == st, {{"state", rollrig::v1::RunStateDisplayName(st)}});
  }
  if (!run.ok()) return;
  s.Gauge("rollrig_run_info", "The active (else latest) run: 1, labelled with its id and profile",
          1, {{"run_id", run->id()}, {"profile", run->profile_name()}});
  s.Gauge("rollrig_run_cycles_completed", "Cycles the active (else latest) run completed",
          run->progress().cycles_completed());
  s.Gauge("rollrig_run_cycle_seconds", "The nominal length of one cycle of that run",
          run->cycle_s());
  s.Gauge("rollrig_run_last_cycle_timestamp_seconds",
          "When that run last completed a cycle or (re)started running, Unix seconds",
          static_cast<double>(LastProgressNs(*run, events_.Counts())) / kNsPerSecond);
}

void RigCollector::AddDisk(Scrape& s) const {
  if (sources_.runs_dir.empty()) return;
  recording::FileSystem* fs =
      sources_.file_system ? sources_.file_system : recording::RealFileSystem();
  const absl::StatusOr<uint64_t> free = fs->FreeBytes(sources_.runs_dir);
  if (!free.ok()) {
    NoteProblem("disk", absl::StrCat("metrics: cannot read the free space of the runs directory ",
                                     sources_.runs_dir, ": ", free.status().message()));
    return;
  }
  NoteProblem("disk", "");
  s.Gauge("rollrig_runs_disk_free_bytes", "Free space for the runs directory",
          static_cast<double>(*free));
  s.Gauge("rollrig_runs_disk_reserve_bytes",
          "Free space a recording keeps for finalizing; below it recording stops",
          static_cast<double>(sources_.disk_reserve_bytes));
}

void RigCollector::AddUploads(Scrape& s) const {
  if (!sources_.uploads) return;
  const rollrig::v1::UploadStatus u = sources_.uploads();
  if (!u.enabled()) return;
  s.Gauge("rollrig_upload_backlog_files", "Recordings and manifests waiting to be uploaded",
          u.files_pending());
  s.Gauge("rollrig_upload_backlog_bytes", "Bytes waiting to be uploaded",
          static_cast<double>(u.bytes_pending()));
  s.Counter("rollrig_upload_failures_total", "Failed upload attempts",
            static_cast<double>(u.failures_total()));
  s.Counter("rollrig_uploaded_files_total", "Files uploaded and verified",
            static_cast<double>(u.files_uploaded_total()));
  s.Counter("rollrig_uploaded_bytes_total", "Bytes uploaded and verified",
            static_cast<double>(u.bytes_uploaded_total()));
}

void RigCollector::AddBuild(Scrape& s) const {
  s.Gauge("rollrig_build_info", "rigd's version and the libraries it was built with", 1,
          {{"version", sources_.build.version},
           {"grpc", sources_.build.grpc},
           {"protobuf", sources_.build.protobuf}});
}

void RigCollector::NoteProblem(const std::string& source, const std::string& problem) const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::string& known = problems_[source];
    if (problem == known) return;
    known = problem;
  }
  if (sources_.on_problem) sources_.on_problem(source, problem);
}

}  // namespace rollrig::host
