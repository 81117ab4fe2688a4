// The rig's Prometheus metrics, read at scrape time from the counters the product already
// keeps (the device client's snapshot, the telemetry hub's subscribers, the run manager's
// runs and recording counters, the upload queue's status) plus two helpers of its own that
// work off the telemetry path (EventCounters, TelemetryAverager). Nothing is counted or
// allocated per sample for metrics: the dispatcher's only extra work is the averager's
// ring push, the same every telemetry subscriber costs.
//
// Every name starts with rollrig_ and every series carries serial="<device serial>" (the
// connected device's, else the last seen, else RigMetricsSources.serial). The names are
// listed in README.md ("Metrics and alerts") and packaging/prometheus/rollrig-rules.yml
// reads them.
//
// Thread safety: Collect() may run on any thread, concurrently with itself; the sources
// must outlive the collector.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "host/device/device_client.h"
#include "host/metrics/event_counters.h"
#include "host/metrics/telemetry_means.h"
#include "host/recording/file_system.h"
#include "host/runs/run_manager.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::host {

struct BuildInfo {
  std::string version;
  std::string grpc;
  std::string protobuf;
};

struct RigMetricsSources {
  DeviceClient* device = nullptr;  // required
  RunManager* runs = nullptr;      // nullptr: no run or recorder metrics
  // The runs directory, for its free space ("" = none), through `file_system`
  // (nullptr = the real one), and the recorder's reserve to compare it with.
  std::string runs_dir;
  recording::FileSystem* file_system = nullptr;
  uint64_t disk_reserve_bytes = 0;
  // The upload queue's counts; empty = uploads off (no upload metrics).
  std::function<rollrig::v1::UploadStatus()> uploads;
  BuildInfo build;
  std::string serial;  // until a device has said its own
  // Called (from a scrape) when a problem reading a source appears, changes or goes away:
  // which source ("disk", "events") and the problem's text, "" once it is gone.
  std::function<void(const std::string& source, const std::string& problem)> on_problem;
};

class RigCollector : public prometheus::Collectable {
 public:
  // Subscribes to the device's hubs and starts their helper threads.
  explicit RigCollector(RigMetricsSources sources);
  ~RigCollector() override;

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  struct Scrape;
  std::string SerialOf(const DeviceSnapshot& snap) const;
  void AddDevice(Scrape& s, const DeviceSnapshot& snap) const;
  void AddEvents(Scrape& s) const;
  void AddTelemetry(Scrape& s, const DeviceSnapshot& snap) const;
  void AddRuns(Scrape& s) const;
  void AddDisk(Scrape& s) const;
  void AddUploads(Scrape& s) const;
  void AddBuild(Scrape& s) const;
  void NoteProblem(const std::string& source, const std::string& problem) const;

  const RigMetricsSources sources_;
  // Mutable: Collect() is const in prometheus-cpp's interface, the helpers drain on read.
  mutable EventCounters events_;
  mutable TelemetryAverager means_;
  mutable std::mutex mu_;  // guards what follows
  mutable std::string last_serial_;
  mutable std::map<std::string, std::string> problems_;  // by source
};

}  // namespace rollrig::host
