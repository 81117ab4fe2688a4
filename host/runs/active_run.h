// What the run thread keeps about the run in progress (RunManager's files share it).
// Owned by RunManager; touched by the run thread only. Times are the run's Clock time
// (monotonic nanoseconds), not Unix time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "enum_names.h"
#include "host/device/device_client.h"
#include "host/profile_loader/profile_loader.h"
#include "host/recorder/recorder.h"
#include "host/run_model/run_model.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::host {

struct ActiveRun {
  rollrig::v1::RunInfo info;
  std::optional<LoadedProfile> profile;
  // The run's rules: every sample and event goes in, its effects are executed here.
  std::unique_ptr<run_model::RunModel> model;
  std::shared_ptr<TelemetrySubscription> telemetry;
  std::shared_ptr<EventSubscription> events;
  uint64_t program_id = 0;
  uint32_t first_cycle = 1;
  std::vector<Sample> buffer;
  std::vector<rollrig::v1::RigEvent> event_buffer;
  int64_t last_save_ns = 0;
  std::unique_ptr<recorder::RunRecorder> recorder;
  bool recorder_failure_handled = false;
  size_t cycles_saved = 0;        // cycles already appended to the store and announced
  uint64_t analysis_dropped = 0;  // samples the run's own subscription had to drop

  // HELD: the device was lost mid-run (see DisconnectPolicy).
  int64_t held_since_ns = 0;
  bool device_gone = false;        // the run's device is not connected now
  int64_t gone_since_ns = 0;       // when it was last lost
  double disconnected_done_s = 0;  // outages already over
  bool device_back_reported = false;
  std::string foreign_serial_reported;  // another device already announced
  bool restarting = false;              // re-arming after the device came back
  // The device's gap (DEVICE_GAP) since it was last lost has been noted; a returning
  // device is acted on once it is (bounded by kGapWait), so the gap is always noted while
  // held, never among the restarted cycle's samples (as a replay notes it).
  bool gap_noted = false;
  int64_t back_since_ns = 0;
};

}  // namespace rollrig::host
