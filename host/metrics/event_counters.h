// Counts the rig events that metrics export as counters (device disconnects, e-stops,
// limit violations, cycles completed) off the telemetry path: a subscription to the
// EventHub drained by a thread of its own (and at every read), never by the publisher.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "host/device/event_hub.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::host {

struct EventCounts {
  uint64_t disconnects = 0;      // RIG_EVENT_DISCONNECTED
  uint64_t estops_software = 0;  // the device latched an e-stop fault of each source
  uint64_t estops_button = 0;
  uint64_t estops_door = 0;
  uint64_t limit_violations = 0;  // RIG_EVENT_LIMIT with a FAIL or ABORTED outcome
  uint64_t cycles_completed = 0;  // run cycles (RIG_EVENT_CYCLE_COMPLETED), every run
  // The latest completed cycle: its run and when (Unix ns); "" and 0 before the first.
  std::string last_cycle_run_id;
  int64_t last_cycle_unix_ns = 0;
  // The latest run to (re)enter RUNNING (started, resumed from a pause or a hold) and when.
  std::string last_running_run_id;
  int64_t last_running_unix_ns = 0;
  uint64_t events_missed = 0;  // dropped by the subscription (counts are then low)
};

class EventCounters {
 public:
  // Subscribes at once (events before this are not counted); `hub` must outlive this.
  explicit EventCounters(EventHub* hub);
  ~EventCounters();  // Stop()s and unsubscribes
  EventCounters(const EventCounters&) = delete;
  EventCounters& operator=(const EventCounters&) = delete;

  // Drains the subscription every `period` on a thread, so a burst between reads is not
  // lost to the subscription's bound.
  void Start(int period_ms = 200);
  void Stop();
  // Counts what is queued, then returns the counts.
  EventCounts Counts();

 private:
  void DrainLocked();
  void CountLocked(const rollrig::v1::RigEvent& e);
  void Loop(int period_ms);

  EventHub* const hub_;
  std::shared_ptr<EventSubscription> sub_;
  std::mutex mu_;  // guards counts_ and scratch_
  EventCounts counts_;
  std::vector<rollrig::v1::RigEvent> scratch_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace rollrig::host
