#include "rig/firmware/firmware.h"

#include <algorithm>
#include <cmath>

namespace rollrig::firmware {
namespace {

constexpr float kTwoPi = 6.28318530717958647692f;

// Speed estimation. The window gives a direct, model-free measurement for the fault
// detectors; the observer gives a lag-free estimate for the loop and its current clamp.
constexpr float kSpeedWindowS = 0.010f;
constexpr float kObserverBandwidthRadS = 300.0f;

// Speed PI at the motor shaft. With the back-EMF feedforward the loop only has to
// reject friction and load: the plant is ~1/Ke / (tau_m·s + 1), tau_m = R·J/Kt² ≈ 4.8 ms,
// so Kp = 0.03 V·s/rad gives a crossover near 120 rad/s; the integral corner sits a
// decade lower.
constexpr SpeedControllerGains kSpeedGains{.kp = 0.03f, .ki = 1.2f};
// Stopping (category 1) brakes with a proportional law sized to take this fraction of
// the speed out in one tick: above about one tick's worth of speed it asks for more than
// the limit, so the clamp brakes at the current limit, and the tail below it lasts a tick
// or two instead of the speed loop's slow exponential.
constexpr float kBrakeFractionPerTick = 0.8f;
// The clamp keeps the true current a little under the limit, so estimate noise cannot
// push it over.
constexpr float kCurrentLimitMargin = 0.98f;

// Head position loop: rate command = reference rate + Kp·(reference - measured).
constexpr float kHeadKpPerS = 15.0f;

// Preload loop: feedforward (the actuator follows its demand) plus an integral on the
// tared load cell that only trims small steady errors (tare, actuator calibration).
constexpr float kPreloadRampNPerS = 300.0f;
constexpr float kPreloadKiPerS = 2.0f;
constexpr float kPreloadIntegrateBandN = 5.0f;
constexpr float kPreloadIntegralLimitN = 20.0f;

// Stops.
constexpr float kStandstillRpm = 0.5f;
constexpr uint32_t kStandstillHoldUs = 5000;
constexpr uint64_t kMaxBrakingUs = 1000000;  // the bridge goes off after this whatever
// The e-stop's preload release holds 0 N this long (several of the actuator's time
// constants) before the actuator goes off.
constexpr uint32_t kPreloadReleaseSettleUs = 300000;

// Fault detection.
constexpr float kStallCurrentFraction = 0.9f;  // "at the limit" (the clamp holds 0.98)
constexpr float kStallSpeedFraction = 0.1f;
constexpr uint32_t kOverSpeedHoldUs = 20000;
constexpr uint32_t kOverTemperatureHoldUs = 10000;
constexpr float kLoadCellSaturationFraction = 0.995f;
constexpr uint32_t kLoadCellHoldUs = 10000;
// Encoder loss: the back-EMF speed (V - R·I)/Ke and the encoder's disagree by more than
// a floor plus a fraction of the speed, for long enough to ride out inductive
// transients (L·di/dt is ignored) and the window's lag during ramps.
constexpr float kEncoderLossFilterS = 0.010f;
constexpr float kEncoderLossFloorRollerRpm = 10.0f;
constexpr float kEncoderLossRelative = 0.25f;
constexpr uint32_t kEncoderLossHoldUs = 80000;

float FiniteOr(float value, float fallback) { return std::isfinite(value) ? value : fallback; }

}  // namespace

Firmware::Firmware(const FirmwareConfig& config) : config_(config) {
  if (config_.tick_hz == 0) config_.tick_hz = 1000;
  if (config_.tick_hz > 1000000) config_.tick_hz = 1000000;
  if (config_.telemetry_divisor == 0) config_.telemetry_divisor = 1;
  tick_period_us_ = 1000000u / config_.tick_hz;
  dt_s_ = static_cast<float>(tick_period_us_) * 1e-6f;

  const float rad_per_count = kTwoPi / config_.encoder_counts_per_rev;
  window_speed_.Configure(static_cast<size_t>(std::lround(kSpeedWindowS / dt_s_)), dt_s_,
                          rad_per_count);
  observer_.Configure(kObserverBandwidthRadS, dt_s_, rad_per_count,
                      config_.torque_constant / config_.motor_inertia);
  speed_gains_ = kSpeedGains;
  // Current for a speed change dw in one tick: J·dw/(Kt·dt); the voltage for it beyond the
  // back-EMF is R times that, and the law's reference is 0, so Ke·w is already in -kp·w.
  const float deadbeat_kp =
      config_.motor_inertia * config_.winding_resistance / (config_.torque_constant * dt_s_);
  brake_gains_ = SpeedControllerGains{
      .kp = std::max(kSpeedGains.kp, kBrakeFractionPerTick * deadbeat_kp - config_.torque_constant),
      .ki = 0.0f};
  meas_.supply_v = config_.supply_v;
  status_.state = DeviceState::kIdle;
  head_max_rate_ = config_.head_max_rate_dps;
  program_limits_ = ProgramLimits{.tick_us = tick_period_us_,
                                  .roller_max_rpm = config_.roller_max_rpm,
                                  .head_min_deg = config_.head_min_deg,
                                  .head_max_deg = config_.head_max_deg,
                                  .head_max_rate_dps = config_.head_max_rate_dps,
                                  .preload_max_n = config_.preload_max_n};
  PushEvent(EventKind::kBooted);
}

float Firmware::RpmToMotorRadS(float rpm) const {
  return rpm * config_.gear_ratio * kTwoPi / 60.0f;
}

float Firmware::MotorRadSToRpm(float w) const { return w * 60.0f / (kTwoPi * config_.gear_ratio); }

// The window bounds only the motoring side of the clamp (current in the direction of
// motion), where a shaft slowing faster than the observer follows (a jam) would draw
// too much current. On the braking side the window lags high and would weaken the brake,
// so the observer alone sets it.
float Firmware::SpeedLow() const {
  const float w = meas_.motor_speed_est;
  return w > 0 ? std::min(w, meas_.motor_speed_window) : w;
}

float Firmware::SpeedHigh() const {
  const float w = meas_.motor_speed_est;
  return w < 0 ? std::max(w, meas_.motor_speed_window) : w;
}

uint64_t Firmware::time_us() const { return status_.ticks * tick_period_us_; }

ActuatorOutputs Firmware::Tick(const SensorInputs& in) {
  Measure(in);
  UpdateInterlocks(in);
  DetectFaults();
  ActuatorOutputs out = RunControl();
  ReleasePreload(&out);
  status_.bridge_enabled = out.bridge_enabled;
  RecordTelemetry(out);
  ++status_.ticks;
  return out;
}

void Firmware::Measure(const SensorInputs& in) {
  meas_.current_a = FiniteOr(in.motor_current_a, 0.0f);
  meas_.motor_speed_window = window_speed_.Step(in.encoder_count);
  meas_.motor_speed_est = observer_.Step(in.encoder_count, meas_.current_a);
  meas_.roller_rpm_window = MotorRadSToRpm(meas_.motor_speed_window);
  meas_.roller_rpm_est = MotorRadSToRpm(meas_.motor_speed_est);
  meas_.head_deg = FiniteOr(in.head_angle_deg, meas_.head_deg);
  meas_.head_current_a = FiniteOr(in.head_current_a, 0.0f);
  meas_.load_cell_raw_n = FiniteOr(in.load_cell_raw_n, config_.load_cell_full_scale_n);
  meas_.force_n = meas_.load_cell_raw_n - tare_n_;
  // A failed temperature sensor reads as hot: the safe direction.
  meas_.temp_c = FiniteOr(in.winding_temp_c, config_.temperature_limit_c);
  meas_.supply_v = in.supply_v > 0 && std::isfinite(in.supply_v) ? in.supply_v : config_.supply_v;
  meas_.valid = true;
}

void Firmware::UpdateInterlocks(const SensorInputs& in) {
  uint32_t interlocks = 0;
  if (in.estop_button_pressed) interlocks |= InterlockBit(Interlock::kEStopButton);
  if (in.door_open) interlocks |= InterlockBit(Interlock::kDoorOpen);
  if (interlocks != status_.interlocks) {
    status_.interlocks = interlocks;
    PushEvent(EventKind::kInterlockChanged);
  }
  if (in.estop_button_pressed) RaiseFault(Fault::kEStopButton, 1.0f);
  if (in.door_open) RaiseFault(Fault::kDoorOpen, 1.0f);
}

void Firmware::DetectFaults() {
  const uint32_t tick_us = tick_period_us_;

  if (over_temp_timer_.Step(meas_.temp_c >= config_.temperature_limit_c, tick_us,
                            kOverTemperatureHoldUs)) {
    RaiseFault(Fault::kOverTemperature, meas_.temp_c);
  }
  if (over_speed_timer_.Step(std::abs(meas_.roller_rpm_window) > config_.over_speed_rpm, tick_us,
                             kOverSpeedHoldUs)) {
    RaiseFault(Fault::kOverSpeed, meas_.roller_rpm_window);
  }
  if (load_cell_timer_.Step(
          meas_.load_cell_raw_n >= kLoadCellSaturationFraction * config_.load_cell_full_scale_n,
          tick_us, kLoadCellHoldUs)) {
    RaiseFault(Fault::kLoadCellSaturation, meas_.load_cell_raw_n);
  }

  // bridge_on_ still says whether the bridge drove the motor during the last tick.
  const bool driving = status_.state == DeviceState::kActive && bridge_on_;

  const float target = std::abs(status_.roller_rpm_target);
  const bool stalled =
      driving && target > 0 &&
      std::abs(meas_.current_a) >= kStallCurrentFraction * config_.current_limit_a &&
      std::abs(meas_.roller_rpm_window) < kStallSpeedFraction * target;
  if (stall_timer_.Step(stalled, tick_us, config_.stall_ms * 1000u)) {
    RaiseFault(Fault::kStall, meas_.current_a);
  }

  const float window_speed = meas_.motor_speed_window;
  if (driving) {
    const float back_emf_speed =
        (applied_voltage_ - config_.winding_resistance * meas_.current_a) / config_.torque_constant;
    back_emf_speed_.Step(back_emf_speed, kEncoderLossFilterS, dt_s_);
    encoder_speed_.Step(window_speed, kEncoderLossFilterS, dt_s_);
  } else {
    back_emf_speed_.Reset(window_speed);
    encoder_speed_.Reset(window_speed);
  }
  const float by_back_emf = back_emf_speed_.value();
  const float by_encoder = encoder_speed_.value();
  const float disagreement = std::abs(by_back_emf - by_encoder);
  const float allowed =
      RpmToMotorRadS(kEncoderLossFloorRollerRpm) +
      kEncoderLossRelative * std::max(std::abs(by_back_emf), std::abs(by_encoder));
  if (encoder_loss_timer_.Step(driving && disagreement > allowed, tick_us, kEncoderLossHoldUs)) {
    RaiseFault(Fault::kEncoderLoss, MotorRadSToRpm(by_back_emf));
  }

  if (watchdog_armed_ && config_.watchdog_ms > 0 &&
      (status_.state == DeviceState::kActive || bridge_on_)) {
    const uint64_t silent_us = (status_.ticks - last_feed_tick_) * tick_period_us_;
    if (silent_us >= static_cast<uint64_t>(config_.watchdog_ms) * 1000u) {
      RaiseFault(Fault::kWatchdog, static_cast<float>(silent_us) * 1e-3f);
    }
  }
}

ActuatorOutputs Firmware::RunControl() {
  ActuatorOutputs out;
  const float dt = dt_s_;
  const SpeedControllerLimits limits{.ke = config_.torque_constant,
                                     .resistance = config_.winding_resistance,
                                     .current_limit = config_.current_limit_a * kCurrentLimitMargin,
                                     .supply_v = std::min(meas_.supply_v, config_.supply_v)};
  const bool standstill = std::abs(meas_.roller_rpm_window) < kStandstillRpm &&
                          std::abs(meas_.roller_rpm_est) < kStandstillRpm;

  switch (status_.state) {
    case DeviceState::kActive: {
      if (status_.program_state == ProgramState::kRunning) StepProgram();
      roller_ramp_.Step(status_.roller_rpm_target, config_.roller_accel_rpm_s, dt);
      if (stop_requested_ && standstill_.Step(roller_ramp_.value() == 0 && standstill,
                                              tick_period_us_, kStandstillHoldUs)) {
        stop_requested_ = false;
        DisableBridge();
        SetState(DeviceState::kIdle);
        if (status_.program_state == ProgramState::kStopping) FinishProgram();
        return out;
      }
      applied_voltage_ =
          speed_controller_.Step(RpmToMotorRadS(roller_ramp_.value()), meas_.motor_speed_est,
                                 SpeedLow(), SpeedHigh(), speed_gains_, limits, dt);

      head_ramp_.Step(status_.head_deg_target, head_max_rate_, dt);
      const float head_rate =
          head_ramp_.rate() + kHeadKpPerS * (head_ramp_.value() - meas_.head_deg);

      preload_ramp_.Step(status_.preload_n_target, kPreloadRampNPerS, dt);
      const float preload_error = preload_ramp_.value() - meas_.force_n;
      // Anti-windup: the actuator cannot pull, so with the demand at zero a negative
      // error (an untared offset, a pad that is not there) must not wind the integral.
      const bool demand_floored = preload_demand_ <= 0.0f && preload_error < 0.0f;
      if (std::abs(preload_error) < kPreloadIntegrateBandN && !demand_floored) {
        preload_integral_ = std::clamp(preload_integral_ + kPreloadKiPerS * preload_error * dt,
                                       -kPreloadIntegralLimitN, kPreloadIntegralLimitN);
      }
      preload_demand_ = std::clamp(preload_ramp_.value() + preload_integral_, 0.0f,
                                   config_.load_cell_full_scale_n);

      out.bridge_enabled = true;
      out.motor_voltage_v = applied_voltage_;
      out.head_enabled = true;
      out.head_rate_cmd_dps = std::clamp(head_rate, -head_max_rate_, head_max_rate_);
      out.preload_enabled = true;
      out.preload_force_cmd_n = preload_demand_;
      return out;
    }
    case DeviceState::kStopping: {
      // Stop category 1: speed reference 0 at once; the clamp makes it a brake at the
      // current limit. The head stops turning and the preload holds its last demand.
      const bool timed_out =
          (status_.ticks - stopping_since_tick_) * tick_period_us_ >= kMaxBrakingUs;
      if (standstill_.Step(standstill, tick_period_us_, kStandstillHoldUs) || timed_out) {
        DisableBridge();
        SetState(DeviceState::kFaulted);
        return out;
      }
      applied_voltage_ = speed_controller_.Step(0.0f, meas_.motor_speed_est, SpeedLow(),
                                                SpeedHigh(), brake_gains_, limits, dt);
      out.bridge_enabled = true;
      out.motor_voltage_v = applied_voltage_;
      out.head_enabled = true;
      out.head_rate_cmd_dps = 0;
      out.preload_enabled = true;
      out.preload_force_cmd_n = preload_demand_;
      return out;
    }
    case DeviceState::kIdle:
    case DeviceState::kFaulted:
    case DeviceState::kUnspecified:
      break;
  }
  // Bridge off, actuators unpowered: the motor coasts, head and preload hold.
  applied_voltage_ = 0;
  return out;
}

void Firmware::BeginPreloadRelease() {
  if (preload_releasing_) return;
  preload_releasing_ = true;
  release_settled_us_ = 0;
  // From the force the pad presses with: the last demand while the actuator was driven,
  // else (it was unpowered, holding its position) the measured force.
  const bool driven =
      status_.state == DeviceState::kActive || status_.state == DeviceState::kStopping;
  const float from = driven ? preload_demand_ : meas_.load_cell_raw_n;
  preload_demand_ = std::clamp(FiniteOr(from, 0.0f), 0.0f, config_.load_cell_full_scale_n);
  preload_ramp_.Reset(std::max(0.0f, preload_demand_ - tare_n_));  // the ramp is tared
  status_.preload_n_target = 0;
}

void Firmware::ReleasePreload(ActuatorOutputs* out) {
  if (!preload_releasing_) return;
  if (preload_demand_ == 0.0f) {
    // At 0 N the actuator settles, then goes off and holds the released position.
    release_settled_us_ += tick_period_us_;
    if (release_settled_us_ >= kPreloadReleaseSettleUs) return;
  }
  preload_demand_ = std::max(0.0f, preload_demand_ - kEStopPreloadReleaseNPerS * dt_s_);
  // Telemetry's preload command (tared, like the ramp) shows the release.
  preload_ramp_.Reset(std::max(0.0f, preload_demand_ - tare_n_));
  preload_integral_ = 0;
  out->preload_enabled = true;
  out->preload_force_cmd_n = preload_demand_;
}

void Firmware::RecordTelemetry(const ActuatorOutputs& out) {
  if (telemetry_countdown_ == 0) {
    TelemetrySample s;
    s.seq = next_seq_++;
    s.time_us = time_us();
    s.roller_rpm_cmd = roller_ramp_.value();
    s.roller_rpm = meas_.roller_rpm_est;
    s.head_deg_cmd = head_ramp_.value();
    s.head_deg = meas_.head_deg;
    s.torque_nm = config_.torque_constant * meas_.current_a * config_.gear_ratio;
    s.force_n = meas_.force_n;
    s.preload_cmd_n = preload_ramp_.value();
    s.current_a = meas_.current_a;
    s.temp_c = meas_.temp_c;
    s.voltage_v = out.bridge_enabled ? out.motor_voltage_v : 0.0f;
    s.head_current_a = meas_.head_current_a;
    s.segment = status_.segment;
    s.cycle = status_.cycle;
    if (!telemetry_.Push(s)) ++status_.samples_dropped;
    telemetry_countdown_ = config_.telemetry_divisor;
  }
  --telemetry_countdown_;
}

void Firmware::PushEvent(EventKind kind, Fault fault, float value) {
  FirmwareEvent e = MakeEvent(kind);
  e.fault = fault;
  e.value = value;
  events_.PushOverwrite(e);
}

FirmwareEvent Firmware::MakeEvent(EventKind kind) const {
  FirmwareEvent e;
  e.kind = kind;
  e.time_us = time_us();
  e.sample_seq = next_seq_;
  e.state = status_.state;
  e.faults = status_.faults;
  e.interlocks = status_.interlocks;
  e.program_id = status_.program_id;
  e.cycle = status_.cycle;
  e.segment = status_.segment;
  return e;
}

void Firmware::SetState(DeviceState state) {
  if (state == status_.state) return;
  status_.state = state;
  PushEvent(EventKind::kStateChanged);
}

void Firmware::DisableBridge() {
  applied_voltage_ = 0;
  status_.bridge_enabled = false;
  if (!bridge_on_) return;
  bridge_on_ = false;
  PushEvent(EventKind::kBridgeDisabled);
}

void Firmware::RaiseFault(Fault fault, float value) {
  const uint32_t bit = FaultBit(fault);
  if (status_.faults & bit) return;
  const bool estop =
      fault == Fault::kEStopSoftware || fault == Fault::kEStopButton || fault == Fault::kDoorOpen;
  if (estop) BeginPreloadRelease();
  status_.faults |= bit;
  PushEvent(EventKind::kFaultRaised, fault, value);
  switch (status_.state) {
    case DeviceState::kActive:
      EnterStopping();
      break;
    case DeviceState::kIdle:
    case DeviceState::kUnspecified:
      SetState(DeviceState::kFaulted);
      break;
    case DeviceState::kStopping:
    case DeviceState::kFaulted:
      break;
  }
  if (ProgramActive()) AbortProgram();
}

void Firmware::EnterActive() {
  speed_controller_.Reset();
  roller_ramp_.Reset(meas_.roller_rpm_est);
  head_ramp_.Reset(meas_.head_deg);
  head_max_rate_ = config_.head_max_rate_dps;
  preload_ramp_.Reset(std::clamp(meas_.force_n, 0.0f, config_.preload_max_n));
  preload_integral_ = 0;
  status_.roller_rpm_target = 0;
  status_.head_deg_target = meas_.head_deg;
  status_.preload_n_target = preload_ramp_.value();
  stop_requested_ = false;
  standstill_.Reset();
  stall_timer_.Reset();
  encoder_loss_timer_.Reset();
  bridge_on_ = true;
  status_.bridge_enabled = true;
  SetState(DeviceState::kActive);
}

void Firmware::EnterStopping() {
  stop_requested_ = false;
  roller_ramp_.Reset(0);
  status_.roller_rpm_target = 0;
  speed_controller_.Reset();
  standstill_.Reset();
  stopping_since_tick_ = status_.ticks;
  SetState(DeviceState::kStopping);
  if (status_.faults & FaultBit(Fault::kEncoderLoss)) {
    // Braking needs the speed; without a trustworthy one, coasting is the safe stop.
    DisableBridge();
    SetState(DeviceState::kFaulted);
  }
}

CommandResult Firmware::CheckCommandAllowed() const {
  if (status_.interlocks != 0) return CommandResult::kInterlockActive;
  if (status_.faults != 0) return CommandResult::kFaultLatched;
  return CommandResult::kOk;
}

CommandResult Firmware::SetRollerSpeed(float rpm) {
  if (!std::isfinite(rpm)) return CommandResult::kBadRequest;
  if (std::abs(rpm) > config_.roller_max_rpm) return CommandResult::kOutOfRange;
  if (const CommandResult allowed = CheckCommandAllowed(); allowed != CommandResult::kOk) {
    return allowed;
  }
  if (ProgramActive()) return CommandResult::kBusy;
  if (status_.state != DeviceState::kActive) EnterActive();
  stop_requested_ = false;
  status_.roller_rpm_target = rpm;
  return CommandResult::kOk;
}

CommandResult Firmware::SetHeadAngle(float deg, float max_rate_dps) {
  if (!std::isfinite(deg) || !std::isfinite(max_rate_dps)) return CommandResult::kBadRequest;
  if (deg < config_.head_min_deg || deg > config_.head_max_deg || max_rate_dps < 0) {
    return CommandResult::kOutOfRange;
  }
  if (const CommandResult allowed = CheckCommandAllowed(); allowed != CommandResult::kOk) {
    return allowed;
  }
  if (ProgramActive()) return CommandResult::kBusy;
  if (status_.state != DeviceState::kActive) EnterActive();
  stop_requested_ = false;
  status_.head_deg_target = deg;
  head_max_rate_ = max_rate_dps == 0 ? config_.head_max_rate_dps
                                     : std::min(max_rate_dps, config_.head_max_rate_dps);
  return CommandResult::kOk;
}

CommandResult Firmware::SetPreload(float newtons) {
  if (!std::isfinite(newtons)) return CommandResult::kBadRequest;
  if (newtons < 0 || newtons > config_.preload_max_n) return CommandResult::kOutOfRange;
  if (const CommandResult allowed = CheckCommandAllowed(); allowed != CommandResult::kOk) {
    return allowed;
  }
  if (ProgramActive()) return CommandResult::kBusy;
  if (status_.state != DeviceState::kActive) EnterActive();
  stop_requested_ = false;
  status_.preload_n_target = newtons;
  return CommandResult::kOk;
}

CommandResult Firmware::Stop() {
  if (ProgramActive()) return StopProgram(false);
  if (status_.state == DeviceState::kActive && !stop_requested_) {
    stop_requested_ = true;
    standstill_.Reset();
    status_.roller_rpm_target = 0;
    status_.head_deg_target = head_ramp_.value();  // the head stops where it is
  }
  return CommandResult::kOk;
}

void Firmware::EStop() { RaiseFault(Fault::kEStopSoftware, meas_.roller_rpm_est); }

CommandResult Firmware::ClearFaults() {
  if (status_.state == DeviceState::kStopping) return CommandResult::kBusy;
  if (status_.faults == 0) return CommandResult::kOk;
  const bool interlocked = status_.interlocks != 0;
  const bool still_hot = (status_.faults & FaultBit(Fault::kOverTemperature)) &&
                         meas_.temp_c >= config_.temperature_clear_c;
  const bool still_saturated =
      (status_.faults & FaultBit(Fault::kLoadCellSaturation)) &&
      meas_.load_cell_raw_n >= kLoadCellSaturationFraction * config_.load_cell_full_scale_n;
  if (interlocked || still_hot || still_saturated) return CommandResult::kConditionPersists;

  status_.faults = 0;
  preload_releasing_ = false;
  stall_timer_.Reset();
  over_speed_timer_.Reset();
  over_temp_timer_.Reset();
  encoder_loss_timer_.Reset();
  load_cell_timer_.Reset();
  last_feed_tick_ = status_.ticks;
  // Every target equals the present measurement: nothing moves until a new command.
  roller_ramp_.Reset(0);
  head_ramp_.Reset(meas_.head_deg);
  preload_ramp_.Reset(std::clamp(meas_.force_n, 0.0f, config_.preload_max_n));
  status_.roller_rpm_target = 0;
  status_.head_deg_target = meas_.head_deg;
  status_.preload_n_target = preload_ramp_.value();
  PushEvent(EventKind::kFaultsCleared);
  SetState(DeviceState::kIdle);
  return CommandResult::kOk;
}

CommandResult Firmware::Tare() {
  if (meas_.load_cell_raw_n >= kLoadCellSaturationFraction * config_.load_cell_full_scale_n) {
    return CommandResult::kConditionPersists;  // a saturated reading is no zero
  }
  tare_n_ = meas_.load_cell_raw_n;
  meas_.force_n = 0;
  // The correction learnt against the old zero is wrong against the new one.
  preload_integral_ = 0;
  return CommandResult::kOk;
}

void Firmware::FeedWatchdog() {
  watchdog_armed_ = true;
  last_feed_tick_ = status_.ticks;
}

void Firmware::SetWatchdogMs(uint32_t ms) {
  config_.watchdog_ms = ms;
  last_feed_tick_ = status_.ticks;
}

CommandResult Firmware::SetTelemetryDivisor(uint32_t divisor) {
  if (divisor == 0 || divisor > config_.tick_hz) return CommandResult::kOutOfRange;
  config_.telemetry_divisor = divisor;
  telemetry_countdown_ = 0;
  return CommandResult::kOk;
}

bool Firmware::ProgramActive() const {
  return status_.program_state == ProgramState::kRunning ||
         status_.program_state == ProgramState::kPaused ||
         status_.program_state == ProgramState::kStopping;
}

CommandResult Firmware::LoadProgram(uint64_t program_id, uint32_t total_segments,
                                    uint32_t first_index, const ProgramSegmentDef* segments,
                                    size_t n, ProgramRefusal* refusal) {
  ProgramRefusal result;
  if (ProgramActive()) {
    result.result = CommandResult::kBusy;
    result.problem = ProgramProblem::kProgramRunning;
  } else {
    result = program_.Load(program_id, total_segments, first_index, segments, n, program_limits_);
    if (result.result == CommandResult::kOk) {
      status_.program_id = program_.id();
      status_.program_state = program_.complete() ? ProgramState::kLoaded : ProgramState::kNone;
    }
  }
  if (refusal != nullptr) *refusal = result;
  return result.result;
}

CommandResult Firmware::StartProgram(uint64_t program_id, uint32_t cycles, uint32_t first_cycle) {
  if (const CommandResult allowed = CheckCommandAllowed(); allowed != CommandResult::kOk) {
    return allowed;
  }
  if (ProgramActive()) return CommandResult::kBusy;
  if (!program_.complete() || program_.id() != program_id) return CommandResult::kBadRequest;
  if (status_.state != DeviceState::kActive) EnterActive();
  stop_requested_ = false;
  // Axes the first segment omits hold what was commanded before the start.
  program_held_ = ProgramSetpoint{.roller_rpm = status_.roller_rpm_target,
                                  .head_deg = status_.head_deg_target,
                                  .head_rate_dps = head_max_rate_,
                                  .preload_n = status_.preload_n_target};
  program_cycles_ = cycles;
  stop_at_cycle_end_ = false;
  segment_tick_ = 0;
  status_.cycle = first_cycle == 0 ? 1 : first_cycle;
  status_.segment = 0;
  status_.cycles_completed = 0;
  status_.program_state = ProgramState::kRunning;
  PushProgramEvent(EventKind::kProgramStarted, status_.cycle);
  return CommandResult::kOk;
}

std::optional<CommandResult> Firmware::PauseOrResumeAnswer(ProgramState from,
                                                           ProgramState to) const {
  const ProgramState now = status_.program_state;
  if (now == from) return std::nullopt;
  if (now == to) return CommandResult::kOk;  // already there
  return now == ProgramState::kStopping ? CommandResult::kBusy : CommandResult::kBadRequest;
}

CommandResult Firmware::PauseProgram() {
  if (auto answer = PauseOrResumeAnswer(ProgramState::kRunning, ProgramState::kPaused)) {
    return *answer;
  }
  status_.program_state = ProgramState::kPaused;
  status_.roller_rpm_target = 0;
  status_.head_deg_target = head_ramp_.value();
  status_.preload_n_target = preload_ramp_.value();
  PushProgramEvent(EventKind::kProgramPaused, status_.cycle);
  return CommandResult::kOk;
}

CommandResult Firmware::ResumeProgram() {
  if (auto answer = PauseOrResumeAnswer(ProgramState::kPaused, ProgramState::kRunning)) {
    return *answer;
  }
  // The next tick sets the targets from the program again; the ramps make it smooth.
  status_.program_state = ProgramState::kRunning;
  PushProgramEvent(EventKind::kProgramResumed, status_.cycle);
  return CommandResult::kOk;
}

CommandResult Firmware::StopProgram(bool at_cycle_end) {
  if (status_.program_state != ProgramState::kRunning &&
      status_.program_state != ProgramState::kPaused) {
    return CommandResult::kOk;  // stopping already, or nothing runs
  }
  if (at_cycle_end) {
    stop_at_cycle_end_ = true;
  } else {
    BeginProgramRampDown();
  }
  return CommandResult::kOk;
}

void Firmware::StepProgram() {
  auto index = static_cast<uint32_t>(status_.segment);
  if (segment_tick_ >= program_.ticks(index)) {
    // A boundary at this tick: this sample is the first of the next segment.
    program_held_ = EvaluateSegment(program_.segment(index), program_.ticks(index),
                                    program_.ticks(index), program_held_, program_limits_);
    segment_tick_ = 0;
    ++index;
    if (index == program_.total()) {
      PushProgramEvent(EventKind::kCycleCompleted, status_.cycle);
      ++status_.cycles_completed;
      if (stop_at_cycle_end_ ||
          (program_cycles_ != 0 && status_.cycles_completed >= program_cycles_)) {
        BeginProgramRampDown();
        return;
      }
      index = 0;
      ++status_.cycle;
    }
    status_.segment = static_cast<int32_t>(index);
  }
  const ProgramSetpoint sp = EvaluateSegment(program_.segment(index), segment_tick_,
                                             program_.ticks(index), program_held_, program_limits_);
  status_.roller_rpm_target = sp.roller_rpm;
  status_.head_deg_target = sp.head_deg;
  head_max_rate_ = sp.head_rate_dps;
  status_.preload_n_target = sp.preload_n;
  ++segment_tick_;
}

// The roller ramps to rest at the acceleration limit; head and preload hold. The
// controlled-stop path in RunControl turns the bridge off and calls FinishProgram().
void Firmware::BeginProgramRampDown() {
  program_last_cycle_ = status_.cycle;
  status_.program_state = ProgramState::kStopping;
  status_.segment = -1;
  status_.cycle = 0;
  stop_at_cycle_end_ = false;
  stop_requested_ = true;
  standstill_.Reset();
  status_.roller_rpm_target = 0;
  status_.head_deg_target = head_ramp_.value();
}

void Firmware::FinishProgram() {
  status_.program_state = ProgramState::kLoaded;
  PushProgramEvent(EventKind::kProgramFinished, program_last_cycle_);
}

void Firmware::AbortProgram() {
  const uint32_t cycle =
      status_.program_state == ProgramState::kStopping ? program_last_cycle_ : status_.cycle;
  status_.program_state = ProgramState::kLoaded;
  status_.segment = -1;
  status_.cycle = 0;
  stop_at_cycle_end_ = false;
  PushProgramEvent(EventKind::kProgramAborted, cycle);
}

void Firmware::PushProgramEvent(EventKind kind, uint32_t cycle) {
  FirmwareEvent e = MakeEvent(kind);
  e.cycle = cycle;
  events_.PushOverwrite(e);
}

size_t Firmware::TelemetryAvailable() const { return telemetry_.size(); }

bool Firmware::PopTelemetry(TelemetrySample* out) { return out != nullptr && telemetry_.Pop(out); }

bool Firmware::PopEvent(FirmwareEvent* out) { return out != nullptr && events_.Pop(out); }

}  // namespace rollrig::firmware
