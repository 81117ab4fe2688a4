#include "host/metrics/event_counters.h"

namespace rollrig::host {

using rollrig::v1::RigEvent;

EventCounters::EventCounters(EventHub* hub) : hub_(hub), sub_(hub->Subscribe(4096)) {}

EventCounters::~EventCounters() {
  Stop();
  hub_->Unsubscribe(sub_);
}

void EventCounters::Start(int period_ms) {
  if (thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this, period_ms] { Loop(period_ms); });
}

void EventCounters::Stop() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void EventCounters::Loop(int period_ms) {
  std::unique_lock<std::mutex> lock(stop_mu_);
  while (!stop_cv_.wait_for(lock, std::chrono::milliseconds(period_ms),
                            [this] { return stopping_; })) {
    std::lock_guard<std::mutex> counts_lock(mu_);
    DrainLocked();
  }
}

EventCounts EventCounters::Counts() {
  std::lock_guard<std::mutex> lock(mu_);
  DrainLocked();
  return counts_;
}

void EventCounters::DrainLocked() {
  scratch_.clear();
  sub_->Drain(&scratch_);
  for (const RigEvent& e : scratch_) CountLocked(e);
  counts_.events_missed = sub_->dropped();
}

void EventCounters::CountLocked(const RigEvent& e) {
  switch (e.kind()) {
    case rollrig::v1::RIG_EVENT_DISCONNECTED:
      ++counts_.disconnects;
      break;
    case rollrig::v1::RIG_EVENT_LIMIT:
      if (e.limit().outcome() == rollrig::v1::VERDICT_FAIL ||
          e.limit().outcome() == rollrig::v1::VERDICT_ABORTED) {
        ++counts_.limit_violations;
      }
      break;
    case rollrig::v1::RIG_EVENT_CYCLE_COMPLETED:
      ++counts_.cycles_completed;
      counts_.last_cycle_run_id = e.run_id();
      counts_.last_cycle_unix_ns = e.host_time_ns();
      break;
    case rollrig::v1::RIG_EVENT_RUN_STATE:
      if (e.run_state() == rollrig::v1::RUN_STATE_RUNNING) {
        counts_.last_running_run_id = e.run_id();
        counts_.last_running_unix_ns = e.host_time_ns();
      }
      break;
    case rollrig::v1::RIG_EVENT_DEVICE:
      if (e.device().kind() != rollrig::v1::DEVICE_EVENT_FAULT_RAISED) break;
      switch (e.device().fault()) {
        case rollrig::v1::FAULT_ESTOP_SOFTWARE:
          ++counts_.estops_software;
          break;
        case rollrig::v1::FAULT_ESTOP_BUTTON:
          ++counts_.estops_button;
          break;
        case rollrig::v1::FAULT_DOOR_OPEN:
          ++counts_.estops_door;
          break;
        default:
          break;
      }
      break;
    default:
      break;
  }
}

}  // namespace rollrig::host
