// Runs a SimulatedDevice on its own thread, paced by a Clock (real time, or a
// ManualClock that tests advance), and gives it a thread-safe byte pipe to the host.
// Used by the host's in-process sim transport and by rig-sim's TCP server.
//
// Pacing: tick k is due at Start() + k periods of the clock. The thread wakes about once
// a millisecond and runs every due tick in one burst (at 10 kHz, ten ticks per wake).
// When it falls far behind (a stalled process, a ManualClock jumping hours ahead) it runs
// one burst of kMaxBurstTicks and skips the rest: device time then lags the clock, but
// the simulator never spirals trying to catch up.
//
// Flow control (PipeRunner): a host that stops reading backs up into the device, whose
// telemetry ring then fills and drops (counted), as over a stalled USB link.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "rig/base/clock.h"
#include "rig/sim/pipe_runner.h"
#include "rig/sim/simulated_device.h"

namespace rollrig::sim {

// Thread-safe. Start() launches the simulator thread; Stop() (or the destructor) joins it.
class SimRunner final : public PipeRunner {
 public:
  static constexpr uint64_t kMaxBurstTicks = 200;

  SimRunner(const SimOptions& options, Clock* clock);
  ~SimRunner() override;

  void Start();

  // Host-to-device bytes (any chunking).
  void WriteFromHost(const uint8_t* data, size_t n) override;
  // Discards bytes queued in both directions (a new host connection starts clean).
  void DiscardPipes() override;

  // Runs fn with the device locked: fault injection and inspection.
  void WithDevice(const std::function<void(SimulatedDevice&)>& fn);

  // Called on the simulator's thread, with the device unlocked, after a burst in which
  // the device's hardware watchdog reset it (rig-sim --usb re-enumerates then: the
  // microcontroller's USB peripheral resets with it). nullptr removes it; removing waits
  // for a call in progress, so the listener must not call this itself.
  void SetWatchdogResetListener(std::function<void()> listener);

 private:
  void Loop() override;
  // Runs the ticks that are due (at most a burst); returns the clock time of the next one.
  int64_t RunDueTicks(int64_t now_ns);
  // Waits until the clock reaches deadline_ns or Stop() is called, waking about once a
  // millisecond of real time to look at the clock (a ManualClock may jump at any time).
  void WaitUntil(int64_t deadline_ns);

  Clock* clock_;
  SimulatedDevice device_;
  std::vector<uint8_t> from_host_;
  int64_t start_ns_ = 0;  // clock time of tick 0
  int64_t tick_period_ns_ = 0;
  uint64_t next_tick_ = 0;  // index of the next tick to run
  uint64_t watchdog_resets_seen_ = 0;
  std::mutex listener_mu_;  // held while the listener runs
  std::function<void()> watchdog_reset_listener_;
};

}  // namespace rollrig::sim
