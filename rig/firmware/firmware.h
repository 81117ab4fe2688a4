// The massager's firmware core: what a microcontroller runs at its control tick.
//
// Promises:
// - No OS, no USB, no gRPC, no exceptions, no heap: all state lives in this object
//   (fixed-size arrays), sized at compile time. Nothing allocates after construction.
// - Deterministic: the same commands at the same ticks with the same sensor inputs give
//   the same outputs, bit for bit.
// - Not thread-safe: one caller drives Tick() and the commands (on a microcontroller the
//   main loop; in rig-sim the simulator thread).
//
// Control: speed PI loop on the roller whose voltage command is clamped around the
// back-EMF so the current limit holds; setpoint ramps; head position loop producing a
// rate command; preload force loop. Faults latch until ClearFaults(); any fault (and
// e-stop) is a stop of category 1: brake at the current limit to standstill, then
// disable the bridge.
//
// The e-stop's safe state (software e-stop, the e-stop button, the guard door), held
// until ClearFaults():
// - roller: braked at the current limit to standstill (stop category 1), then the bridge
//   is off; a roller found at rest is not driven at all;
// - preload: released to 0 N at kEStopPreloadReleaseNPerS (100 N/s: the default 50 N in
//   0.5 s), starting from the force it pressed with; the actuator holds 0 N for 300 ms
//   to settle, then goes off and holds the released position, so the pad never presses
//   on a stopped rig;
// - head: holds its angle: the servo stops turning while the roller brakes, then is
//   unpowered and holds by friction (it never moves on its own).
// Other faults stop the roller the same way and leave preload and head holding where
// they are.
//
// Programs (program.h): the host uploads a flattened profile in parts (LoadProgram) and
// starts it; the firmware sets the roller, head and preload targets from it at every tick,
// still through the same ramps and rate limits, so a program never makes a setpoint jump.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "rig/base/telemetry_channels.h"
#include "rig/firmware/faults.h"
#include "rig/firmware/fixed_ring.h"
#include "rig/firmware/io.h"
#include "rig/firmware/low_pass.h"
#include "rig/firmware/persistence_timer.h"
#include "rig/firmware/program.h"
#include "rig/firmware/rate_limiter.h"
#include "rig/firmware/speed_controller.h"
#include "rig/firmware/speed_observer.h"
#include "rig/firmware/window_speed.h"

namespace rollrig::firmware {

// Device figures the firmware needs (defaults: the simulated prototype, DESIGN.md).
struct FirmwareConfig {
  uint32_t tick_hz = 1000;         // control tick, 1 kHz .. 10 kHz
  uint32_t telemetry_divisor = 1;  // a telemetry sample every N ticks
  // Roller drive
  float supply_v = 24.0f;
  float torque_constant = 0.05f;        // Kt = Ke, N·m/A and V·s/rad, motor side
  float winding_resistance = 1.2f;      // ohm
  float gear_ratio = 20.0f;             // motor turns per roller turn
  float encoder_counts_per_rev = 4096;  // motor shaft
  float current_limit_a = 3.0f;
  float rated_current_a = 1.5f;
  float roller_max_rpm = 120.0f;
  float roller_accel_rpm_s = 600.0f;  // setpoint ramp at the roller
  float over_speed_rpm = 144.0f;      // 20 % above the maximum
  // Head
  float head_min_deg = -180.0f;
  float head_max_deg = 180.0f;
  float head_max_rate_dps = 120.0f;
  // Preload and load cell
  float preload_max_n = 150.0f;
  float load_cell_full_scale_n = 200.0f;
  // Thermal
  float temperature_limit_c = 100.0f;
  float temperature_clear_c = 90.0f;  // over-temperature can be cleared below this
  // Host watchdog; 0 disables it
  uint32_t watchdog_ms = 500;
  // Fault detection timings
  uint32_t stall_ms = 300;
  // Total inertia at the motor shaft (rotor + gearbox + rollers reflected through the
  // gear ratio squared), kg·m²; the speed observer predicts acceleration from it.
  float motor_inertia = 1.01e-5f;
};

// The sample the firmware produces (rig/base/telemetry_channels.h: the host records the same
// struct without depending on the firmware).
using TelemetrySample = rollrig::TelemetrySample;

// Something the host must hear about, queued for the protocol layer.
enum class EventKind : uint8_t {
  kNone = 0,
  kFaultRaised = 1,
  kFaultsCleared = 2,
  kStateChanged = 3,
  kInterlockChanged = 4,
  kBridgeDisabled = 5,
  kBooted = 6,
  kProgramStarted = 7,
  kCycleCompleted = 8,  // `cycle` is the cycle that ended; time_us is the boundary
  kProgramPaused = 9,
  kProgramResumed = 10,
  kProgramFinished = 11,  // all cycles done or stopped; the roller is at rest, bridge off
  kProgramAborted = 12,   // a fault or e-stop ended it
};

struct FirmwareEvent {
  EventKind kind = EventKind::kNone;
  Fault fault = Fault::kNone;  // for kFaultRaised
  uint64_t time_us = 0;
  uint64_t sample_seq = 0;
  DeviceState state = DeviceState::kUnspecified;  // after the event
  uint32_t faults = 0;                            // bitmask after the event
  uint32_t interlocks = 0;                        // bitmask after the event
  float value = 0;  // the measurement that tripped a fault (rpm, A, °C, N, ...)
  // Program events: the program, its cycle and segment (-1 none) at the event.
  uint64_t program_id = 0;
  uint32_t cycle = 0;
  int32_t segment = -1;
};

// Latest status, for the protocol layer and for tests.
struct FirmwareStatus {
  DeviceState state = DeviceState::kIdle;
  uint32_t faults = 0;      // bitmask of Fault
  uint32_t interlocks = 0;  // bitmask of Interlock
  float roller_rpm_target = 0;
  float head_deg_target = 0;
  float preload_n_target = 0;
  bool bridge_enabled = false;
  uint64_t ticks = 0;
  uint64_t samples_dropped = 0;  // telemetry the buffer had to discard (host not reading)
  // Program execution.
  ProgramState program_state = ProgramState::kNone;
  uint64_t program_id = 0;        // the loaded (or uploading) program
  uint32_t cycle = 0;             // the running cycle's number; 0 when none runs
  int32_t segment = -1;           // the active segment; -1 when none runs
  uint32_t cycles_completed = 0;  // since the last StartProgram
};

// How fast an e-stop releases the preload, N/s (see the e-stop's safe state above).
inline constexpr float kEStopPreloadReleaseNPerS = 100.0f;

class Firmware {
 public:
  // Telemetry buffer: enough for > 500 ms at 10 kHz, to ride out host or USB stalls.
  static constexpr size_t kTelemetryBufferSamples = 8192;
  static constexpr size_t kEventBufferSize = 64;

  explicit Firmware(const FirmwareConfig& config);
  Firmware(const Firmware&) = delete;
  Firmware& operator=(const Firmware&) = delete;

  // One control tick: read sensors, run fault detection and the loops, return the
  // actuator commands to apply until the next tick. Device time advances by one period.
  ActuatorOutputs Tick(const SensorInputs& in);

  // Commands, applied from the next tick. Each returns kOk or why it was refused.
  // Refused while a fault is latched (kFaultLatched) or an interlock is active
  // (kInterlockActive); non-finite values are kBadRequest; out of range kOutOfRange.
  CommandResult SetRollerSpeed(float rpm);
  CommandResult SetHeadAngle(float deg, float max_rate_dps);  // 0 rate = the maximum
  CommandResult SetPreload(float newtons);
  // Controlled stop: ramp to zero, then bridge off; returns to kIdle. Not a fault.
  CommandResult Stop();
  // Software e-stop: always accepted, latched as kEStopSoftware.
  void EStop();
  // Clears latched faults whose causes are gone; kConditionPersists names none of them
  // cleared if any cause remains (button still pressed, winding still hot...), kBusy
  // while still braking. After a clear every target equals the present measurement
  // (roller 0), so nothing moves until a new command.
  CommandResult ClearFaults();
  // Zeroes the load cell at the present raw reading.
  CommandResult Tare();
  // Any host message feeds the watchdog; the watchdog is armed by the first one.
  void FeedWatchdog();
  void SetWatchdogMs(uint32_t ms);
  CommandResult SetTelemetryDivisor(uint32_t divisor);

  // ---- Programs (see program.h for segments, validation and timing) ----
  // While a program runs (RUNNING, PAUSED or STOPPING) the jog commands above are refused
  // with kBusy; Stop() stops the program like StopProgram(false); a fault or e-stop aborts
  // it (kProgramAborted).
  //
  // Uploads a part: first_index 0 starts a new program; later parts must continue it
  // (same id and total, first_index = segments so far). kBusy while a program runs,
  // kOutOfRange for more than kMaxProgramSegments or values outside the device's ranges,
  // kBadRequest for non-finite values, zero durations, non-positive periods and parts that
  // are not contiguous. A refused part changes nothing. `refusal` (optional) says why.
  // Copies the segments; allocates nothing.
  CommandResult LoadProgram(uint64_t program_id, uint32_t total_segments, uint32_t first_index,
                            const ProgramSegmentDef* segments, size_t n,
                            ProgramRefusal* refusal = nullptr);
  // Runs the complete loaded program `program_id` for `cycles` cycles (0 = until
  // stopped), numbering cycles from first_cycle (0 counts as 1: cycle 0 means "none").
  // Axes the first segment omits hold the present targets. Starts the bridge if idle.
  // kBadRequest if no complete program with that id is loaded, kBusy if one runs,
  // kFaultLatched / kInterlockActive as for any motion command.
  CommandResult StartProgram(uint64_t program_id, uint32_t cycles, uint32_t first_cycle);
  // Program time stops; the roller reference ramps to 0, head and preload hold where their
  // references are. kOk if already paused, kBusy while stopping, kBadRequest if none runs.
  CommandResult PauseProgram();
  // Program time continues where it stopped; the ramps bring the roller back to the
  // program's setpoint at the acceleration limit. kOk if running, kBusy while stopping,
  // kBadRequest if none is paused.
  CommandResult ResumeProgram();
  // at_cycle_end false: ramp the roller down now (STOPPING), then kProgramFinished, bridge
  // off, idle. true: finish the current cycle first (if paused, once resumed). kOk also
  // when no program runs.
  CommandResult StopProgram(bool at_cycle_end);
  const ProgramStore& program() const { return program_; }
  const ProgramLimits& program_limits() const { return program_limits_; }

  // Telemetry queue (oldest first). When full, new samples are dropped and counted.
  size_t TelemetryAvailable() const;
  bool PopTelemetry(TelemetrySample* out);
  // Event queue (oldest first). When full, the oldest is overwritten.
  bool PopEvent(FirmwareEvent* out);

  const FirmwareStatus& status() const { return status_; }
  const FirmwareConfig& config() const { return config_; }
  uint64_t time_us() const;
  uint32_t tick_period_us() const { return tick_period_us_; }

 private:
  FirmwareConfig config_;
  uint32_t tick_period_us_ = 1000;
  FirmwareStatus status_;

  // Latest measurements, in firmware units.
  struct Measurements {
    float motor_speed_est = 0;     // rad/s, observer (control)
    float motor_speed_window = 0;  // rad/s, count difference (fault detection)
    float roller_rpm_est = 0;
    float roller_rpm_window = 0;
    float current_a = 0;
    float head_deg = 0;
    float head_current_a = 0;
    float load_cell_raw_n = 0;
    float force_n = 0;  // tared
    float temp_c = 25;
    float supply_v = 24;
    bool valid = false;  // a tick has run
  };

  void Measure(const SensorInputs& in);
  void UpdateInterlocks(const SensorInputs& in);
  void DetectFaults();
  ActuatorOutputs RunControl();
  void RecordTelemetry(const ActuatorOutputs& out);
  // The e-stop's preload release (see the safe state above): begins it at the e-stop and
  // drives the preload actuator while it is latched.
  void BeginPreloadRelease();
  void ReleasePreload(ActuatorOutputs* out);

  void RaiseFault(Fault fault, float value);
  void SetState(DeviceState state);
  void EnterActive();
  void EnterStopping();
  void DisableBridge();
  void PushEvent(EventKind kind, Fault fault = Fault::kNone, float value = 0);
  FirmwareEvent MakeEvent(EventKind kind) const;  // stamped with time, state, program
  CommandResult CheckCommandAllowed() const;
  bool ProgramActive() const;  // running, paused or stopping
  void StepProgram();          // one tick of program time (RUNNING only)
  void BeginProgramRampDown();
  void FinishProgram();
  void AbortProgram();
  void PushProgramEvent(EventKind kind, uint32_t cycle);
  // The answer to a pause or resume that cannot go from `from` to `to` now: ok when the
  // program is there already, busy while it stops, a bad request with none started;
  // nullopt when it may go.
  std::optional<CommandResult> PauseOrResumeAnswer(ProgramState from, ProgramState to) const;
  float TickSeconds() const { return dt_s_; }
  float RpmToMotorRadS(float rpm) const;
  float MotorRadSToRpm(float w) const;
  // Speed bounds for the current-limit clamp (see SpeedController).
  float SpeedLow() const;
  float SpeedHigh() const;

  float dt_s_ = 1e-3f;
  Measurements meas_;
  float tare_n_ = 0;

  // Roller speed loop.
  WindowSpeed window_speed_;
  SpeedObserver observer_;
  SpeedController speed_controller_;
  SpeedControllerGains speed_gains_;
  SpeedControllerGains brake_gains_;  // stop category 1: at the current limit, short tail
  RateLimiter roller_ramp_;           // roller rpm
  float applied_voltage_ = 0;
  bool bridge_on_ = false;

  // Head position loop and preload force loop.
  RateLimiter head_ramp_;     // degrees
  float head_max_rate_ = 0;   // of the present move, dps
  RateLimiter preload_ramp_;  // newtons (tared)
  float preload_integral_ = 0;
  float preload_demand_ = 0;         // last demand sent to the actuator (absolute)
  bool preload_releasing_ = false;   // an e-stop is latched: the preload goes to 0 N
  uint32_t release_settled_us_ = 0;  // how long the release has held 0 N

  // Stops.
  bool stop_requested_ = false;  // controlled Stop(): ramp down, then idle
  PersistenceTimer standstill_;
  uint64_t stopping_since_tick_ = 0;

  // Fault detectors.
  PersistenceTimer stall_timer_;
  PersistenceTimer over_speed_timer_;
  PersistenceTimer over_temp_timer_;
  PersistenceTimer encoder_loss_timer_;
  PersistenceTimer load_cell_timer_;
  LowPass back_emf_speed_;  // (V - R·I)/Ke, rad/s
  LowPass encoder_speed_;   // window speed, same filter, rad/s
  bool watchdog_armed_ = false;
  uint64_t last_feed_tick_ = 0;

  // Program execution: the segment's local tick, the final setpoints of the previous
  // segment (held on axes a segment omits), the cycles asked for (0 = until stopped).
  ProgramStore program_;
  ProgramLimits program_limits_;
  uint64_t segment_tick_ = 0;
  ProgramSetpoint program_held_;
  uint32_t program_cycles_ = 0;
  uint32_t program_last_cycle_ = 0;  // the cycle that ran last, for kProgramFinished
  bool stop_at_cycle_end_ = false;

  // Queues.
  uint32_t telemetry_countdown_ = 0;
  uint64_t next_seq_ = 0;
  FixedRing<TelemetrySample, kTelemetryBufferSamples> telemetry_;
  FixedRing<FirmwareEvent, kEventBufferSize> events_;
};

}  // namespace rollrig::firmware
