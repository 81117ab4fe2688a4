// A firmware wired to the plant model in lock-step for tests: plant.Advance,
// plant.ReadSensors, firmware.Tick. No threads, no clocks: every run is deterministic.
// Test-only (uses GoogleTest assertions); not thread-safe. It sits with the simulator,
// the layer that combines firmware and plant; the firmware's closed-loop tests use it.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <vector>

#include "rig/firmware/firmware.h"
#include "rig/plant/plant.h"

namespace rollrig::firmware::test_support {

// A firmware wired to a plant. Telemetry is drained every tick (unless told not to) and
// checked for contiguous sequence numbers; events are collected.
class Rig {
 public:
  explicit Rig(const FirmwareConfig& config = FirmwareConfig{},
               const plant::PlantParams& params = plant::PlantParams{}, uint64_t seed = 1)
      : fw_(std::make_unique<Firmware>(config)), plant_(params, seed), dt_(1.0 / config.tick_hz) {}

  Firmware& fw() { return *fw_; }
  plant::Plant& plant() { return plant_; }
  const ActuatorOutputs& out() const { return out_; }
  // Largest |current| at the end of each tick; and at the end of every plant sub-step.
  double peak_current() const { return peak_current_; }
  double peak_step_current() const { return peak_step_current_; }
  void ResetPeakCurrents() {
    peak_current_ = 0;
    peak_step_current_ = 0;
    plant_.TakePeakCurrent();
  }
  double time_s() const { return plant_.state().time_s; }
  const std::vector<FirmwareEvent>& events() const { return events_; }
  const std::vector<TelemetrySample>& samples() const { return samples_; }

  bool feed_watchdog = true;
  bool drain_telemetry = true;
  bool keep_samples = false;
  // Lets a test tamper with what reaches the plant (e.g. force an over-speed).
  std::function<void(ActuatorOutputs*)> override_outputs;

  void Step() {
    ActuatorOutputs applied = out_;
    if (override_outputs) override_outputs(&applied);
    plant_.Advance(applied, dt_);
    peak_step_current_ = std::max(peak_step_current_, plant_.TakePeakCurrent());
    const SensorInputs in = plant_.ReadSensors();
    if (feed_watchdog) fw_->FeedWatchdog();
    out_ = fw_->Tick(in);
    peak_current_ = std::max(peak_current_, std::abs(plant_.state().current_a));
    if (drain_telemetry) DrainTelemetry();
    FirmwareEvent e;
    while (fw_->PopEvent(&e)) events_.push_back(e);
  }

  void Run(double seconds) {
    const auto n = static_cast<long>(std::lround(seconds / dt_));
    for (long k = 0; k < n; ++k) Step();
  }

  // Steps until `done` holds; returns the time it took, or infinity.
  double RunUntil(const std::function<bool()>& done, double max_seconds) {
    const double start = time_s();
    while (time_s() - start < max_seconds) {
      Step();
      if (done()) return time_s() - start;
    }
    return std::numeric_limits<double>::infinity();
  }

  void DrainTelemetry() {
    TelemetrySample s;
    while (fw_->PopTelemetry(&s)) {
      if (have_seq_) {
        EXPECT_EQ(s.seq, last_seq_ + 1) << "telemetry gap";
      }
      EXPECT_EQ(s.time_us, s.seq * fw_->config().telemetry_divisor * fw_->tick_period_us());
      have_seq_ = true;
      last_seq_ = s.seq;
      if (keep_samples) samples_.push_back(s);
    }
  }

  int CountFaultEvents(Fault fault) const {
    return static_cast<int>(std::count_if(events_.begin(), events_.end(), [&](const auto& e) {
      return e.kind == EventKind::kFaultRaised && e.fault == fault;
    }));
  }
  int CountAllFaultEvents() const {
    return static_cast<int>(std::count_if(events_.begin(), events_.end(), [](const auto& e) {
      return e.kind == EventKind::kFaultRaised;
    }));
  }

  double RollerRpm() const { return plant_.state().roller_rpm(); }
  bool HasFault(Fault f) const { return (fw_->status().faults & FaultBit(f)) != 0; }

 private:
  std::unique_ptr<Firmware> fw_;
  plant::Plant plant_;
  double dt_;
  ActuatorOutputs out_;
  double peak_current_ = 0;
  double peak_step_current_ = 0;
  bool have_seq_ = false;
  uint64_t last_seq_ = 0;
  std::vector<FirmwareEvent> events_;
  std::vector<TelemetrySample> samples_;
};

}  // namespace rollrig::firmware::test_support
