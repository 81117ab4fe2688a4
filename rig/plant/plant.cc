#include "rig/plant/plant.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace rollrig::plant {
namespace {

constexpr double kTwoPi = 2.0 * std::numbers::pi;
constexpr double kRadPerSecToRpm = 60.0 / kTwoPi;

// Losing the cooling heats the winding this fast (K/s), so an over-temperature shows
// within a few seconds of simulated time instead of minutes.
constexpr double kOverheatingRateKPerS = 30.0;
constexpr double kOverheatingMaxC = 200.0;

// The preload actuator's mechanics cannot push beyond this multiple of the load cell's
// full scale (enough to saturate it when asked to).
constexpr double kPreloadForceLimitFactor = 1.25;

// Below this rate the head counts as standing still (for its Coulomb friction): the
// position loop holding a target dithers on the angle sensor's noise at a few tenths of
// a degree per second at most, and that is the servo holding, not the head turning.
constexpr double kHeadTurningDps = 1.0;

double Sign(double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0); }

// Winding current and shaft speed derivatives of the linear motor model with a constant
// terminal voltage and a constant external torque (friction and load, signed).
struct MotorDerivative {
  double di;
  double dw;
};

}  // namespace

double PlantState::roller_rpm() const { return motor_omega / gear_ratio * kRadPerSecToRpm; }

double PlantState::roller_torque_nm() const { return torque_constant * current_a * gear_ratio; }

Plant::Plant(const PlantParams& params, uint64_t seed) : params_(params), rng_(seed) {
  state_.winding_temp_c = params_.ambient_c;
  state_.gear_ratio = params_.gear_ratio;
  state_.torque_constant = params_.kt;
}

double Plant::FrictionTorque() const {
  const double rolling_at_roller =
      params_.rolling_mu * std::max(0.0, state_.force_n) * params_.roller_radius_m;
  return params_.coulomb + rolling_at_roller / params_.gear_ratio;
}

void Plant::Advance(const firmware::ActuatorOutputs& out, double dt_s) {
  if (!(dt_s > 0)) return;
  const double max_step = params_.max_substep_s > 0 ? params_.max_substep_s : 50e-6;
  const auto steps = static_cast<int64_t>(std::ceil(dt_s / max_step - 1e-9));
  const double h = dt_s / static_cast<double>(std::max<int64_t>(steps, 1));
  for (int64_t k = 0; k < std::max<int64_t>(steps, 1); ++k) {
    StepMotor(out, h);
    StepHead(out, h);
    StepPreload(out, h);
    StepThermal(h);
    NoteCurrent();
    state_.time_s += h;
  }
}

double Plant::TripCurrent() const {
  return params_.current_trip_a > 0 ? params_.current_trip_a
                                    : std::numeric_limits<double>::infinity();
}

void Plant::NoteCurrent() {
  const double magnitude = std::abs(state_.current_a);
  peak_current_a_ = std::max(peak_current_a_, magnitude);
  if (magnitude >= TripCurrent()) ++chopped_steps_;
}

double Plant::TakePeakCurrent() {
  const double peak = std::max(peak_current_a_, std::abs(state_.current_a));
  peak_current_a_ = std::abs(state_.current_a);
  return peak;
}

void Plant::StepMotor(const firmware::ActuatorOutputs& out, double h) {
  double& i = state_.current_a;
  double& w = state_.motor_omega;

  // Terminal voltage. A disabled bridge leaves the winding open: a remaining current
  // freewheels through the bridge diodes against the supply and dies within tens of
  // microseconds; after that there is no current and so no braking torque.
  double v =
      std::clamp(static_cast<double>(out.motor_voltage_v), -params_.supply_v, params_.supply_v);
  if (!std::isfinite(v)) v = 0;
  const bool open_circuit = !out.bridge_enabled;
  // The comparator: a current beyond the trip (only ever set by a test) is driven back by
  // fast decay, as the chopping driver does for the rest of the PWM period.
  if (open_circuit || std::abs(i) > TripCurrent()) v = -Sign(i) * params_.supply_v;

  if (faults_.roller_jammed) {
    // Rotor locked: only the winding evolves.
    w = 0;
    motor_stuck_ = true;
    StepHeldWinding(v, open_circuit, h);
    return;
  }

  const double friction = FrictionTorque();
  if (motor_stuck_ || w == 0) {
    // Static friction holds the shaft while the motor torque cannot overcome it.
    const double drive = params_.kt * i;
    if (friction > 0 && std::abs(drive) <= friction) {
      w = 0;
      motor_stuck_ = true;
      StepHeldWinding(v, open_circuit, h);
      return;
    }
    motor_stuck_ = false;
  }

  // Kinetic friction opposes motion, or the drive torque when breaking away from rest.
  const double direction = w != 0 ? Sign(w) : Sign(params_.kt * i);
  const double w0 = w;
  StepTurning(v, open_circuit, -direction * friction, h, 0);
  // Friction cannot push the shaft through zero: it stops there and sticks until the
  // drive torque breaks it away again (no chatter around zero).
  if (friction > 0 && direction != 0 && Sign(w) != direction) {
    w = 0;
    motor_stuck_ = true;
  }
  state_.motor_angle += 0.5 * h * (w0 + w);
}

void Plant::StepHeldWinding(double v, bool open_circuit, double h) {
  double& i = state_.current_a;
  if (open_circuit && i == 0) return;
  const double sign_before = Sign(i);
  const bool within_trip = std::abs(i) <= TripCurrent();
  // First order with w = 0, solved exactly. The current moves monotonically towards v/R,
  // so once it passes the trip the comparator held it there: clamping is exact.
  const double i_inf = v / params_.resistance;
  i = i_inf + (i - i_inf) * std::exp(-h * params_.resistance / params_.inductance);
  if (open_circuit && (sign_before == 0 || Sign(i) != sign_before)) i = 0;
  if (within_trip) i = std::clamp(i, -TripCurrent(), TripCurrent());
}

void Plant::StepTurning(double v, bool open_circuit, double external, double h, int depth) {
  // A step in which the current reaches the trip is halved this many times at most, so
  // the moment the comparator starts chopping is placed to within h / 64 (< 1 us).
  constexpr int kMaxTripSplits = 6;
  const double R = params_.resistance;
  const double L = params_.inductance;
  const double ke = params_.kt;
  const double J =
      params_.rotor_inertia + params_.roller_inertia / (params_.gear_ratio * params_.gear_ratio);
  const double b = params_.viscous;
  const double trip = TripCurrent();
  double& i = state_.current_a;
  double& w = state_.motor_omega;
  const double i_start = i;
  const double w_start = w;
  const double current_sign_before = Sign(i);

  auto f = [&](double ci, double cw) {
    double di = (open_circuit && i_start == 0) ? 0.0 : (v - R * ci - ke * cw) / L;
    // Chopping: at the trip the current holds while the bridge would push it further.
    if (std::abs(ci) >= trip && di * ci > 0) di = 0;
    return MotorDerivative{di, (params_.kt * ci - b * cw + external) / J};
  };
  const MotorDerivative k1 = f(i, w);
  const MotorDerivative k2 = f(i + 0.5 * h * k1.di, w + 0.5 * h * k1.dw);
  const MotorDerivative k3 = f(i + 0.5 * h * k2.di, w + 0.5 * h * k2.dw);
  const MotorDerivative k4 = f(i + h * k3.di, w + h * k3.dw);
  i += h / 6.0 * (k1.di + 2 * k2.di + 2 * k3.di + k4.di);
  w += h / 6.0 * (k1.dw + 2 * k2.dw + 2 * k3.dw + k4.dw);
  if (std::abs(i) > trip && std::abs(i_start) < trip && depth < kMaxTripSplits) {
    // The current crossed the trip inside the step: redo it in halves.
    i = i_start;
    w = w_start;
    StepTurning(v, open_circuit, external, 0.5 * h, depth + 1);
    NoteCurrent();
    StepTurning(v, open_circuit, external, 0.5 * h, depth + 1);
    return;
  }
  if (open_circuit && (current_sign_before == 0 || Sign(i) != current_sign_before)) i = 0;
  if (std::abs(i_start) <= trip) i = std::clamp(i, -trip, trip);
}

void Plant::StepHead(const firmware::ActuatorOutputs& out, double h) {
  double& rate = state_.head_rate_dps;
  if (out.head_enabled && std::isfinite(out.head_rate_cmd_dps)) {
    const double cmd = std::clamp(static_cast<double>(out.head_rate_cmd_dps),
                                  -params_.head_max_rate_dps, params_.head_max_rate_dps);
    const double tau = std::max(params_.head_time_constant_s, 1e-6);
    rate += (cmd - rate) * (1.0 - std::exp(-h / tau));
    state_.head_current_a = HeadServoCurrent(rate, (cmd - rate) / tau);
  } else {
    rate = 0;  // an unpowered servo holds by friction
    state_.head_current_a = 0;
  }
  state_.head_deg += rate * h;
  if (state_.head_deg >= params_.head_max_deg) {
    state_.head_deg = params_.head_max_deg;
    rate = std::min(rate, 0.0);
  } else if (state_.head_deg <= params_.head_min_deg) {
    state_.head_deg = params_.head_min_deg;
    rate = std::max(rate, 0.0);
  }
}

double Plant::HeadServoCurrent(double rate_dps, double accel_dps2) const {
  constexpr double kRadPerDeg = std::numbers::pi / 180.0;
  const double omega = rate_dps * kRadPerDeg;  // rad/s at the output
  // Coulomb friction acts while the head turns; the creep of the servo's exponential
  // approach to a stop, and its dither while holding, are not turning.
  const double coulomb = std::abs(rate_dps) > kHeadTurningDps ? params_.head_coulomb : 0.0;
  const double torque = params_.head_inertia * accel_dps2 * kRadPerDeg +
                        params_.head_viscous * omega + coulomb * Sign(omega) +
                        params_.head_holding_nm;
  const double motor_torque_per_amp = params_.head_kt * params_.head_gear_ratio;
  const double back_emf = params_.head_kt * std::abs(omega) * params_.head_gear_ratio;
  const double available_a =
      std::max(0.0, params_.supply_v - back_emf) / std::max(params_.head_resistance, 1e-6);
  const double winding_a = std::min(std::abs(torque) / motor_torque_per_amp, available_a);
  return params_.head_idle_current_a + winding_a;
}

void Plant::StepPreload(const firmware::ActuatorOutputs& out, double h) {
  if (!out.preload_enabled || !std::isfinite(out.preload_force_cmd_n)) return;  // holds
  const double target = std::clamp(static_cast<double>(out.preload_force_cmd_n), 0.0,
                                   kPreloadForceLimitFactor * params_.load_cell_full_scale_n);
  const double tau = std::max(params_.preload_time_constant_s, 1e-6);
  const double rate = std::clamp((target - state_.force_n) / tau, -params_.preload_max_rate_n_s,
                                 params_.preload_max_rate_n_s);
  state_.force_n = std::max(0.0, state_.force_n + rate * h);
}

void Plant::StepThermal(double h) {
  const double power = state_.current_a * state_.current_a * params_.resistance;
  double rate = (power * params_.thermal_resistance - (state_.winding_temp_c - params_.ambient_c)) /
                params_.thermal_time_constant_s;
  if (faults_.overheating && state_.winding_temp_c < kOverheatingMaxC) {
    rate += kOverheatingRateKPerS;
  }
  state_.winding_temp_c += rate * h;
}

int64_t Plant::EncoderCount() const {
  return static_cast<int64_t>(
      std::floor(state_.motor_angle * params_.encoder_counts_per_rev / kTwoPi));
}

firmware::SensorInputs Plant::ReadSensors() {
  firmware::SensorInputs in;
  if (faults_.encoder_dead) {
    if (!encoder_frozen_) frozen_count_ = EncoderCount();
    encoder_frozen_ = true;
    in.encoder_count = frozen_count_;
  } else {
    encoder_frozen_ = false;
    in.encoder_count = EncoderCount();
  }
  // One draw per sensor in a fixed order keeps a seed's noise sequence reproducible.
  const double current_noise = unit_noise_(rng_) * params_.current_noise_a;
  const double head_noise = unit_noise_(rng_) * params_.head_noise_deg;
  const double force_noise = unit_noise_(rng_) * params_.force_noise_n;
  const double temp_noise = unit_noise_(rng_) * params_.temp_noise_c;
  in.motor_current_a = static_cast<float>(state_.current_a + current_noise);
  in.head_angle_deg = static_cast<float>(state_.head_deg + head_noise);
  // Noise-free: one more draw would change every other sensor's noise for a given seed.
  in.head_current_a = static_cast<float>(state_.head_current_a);
  const double full_scale = params_.load_cell_full_scale_n;
  const double raw =
      faults_.load_cell_saturated
          ? full_scale
          : std::clamp(state_.force_n + params_.load_cell_offset_n + force_noise, 0.0, full_scale);
  in.load_cell_raw_n = static_cast<float>(raw);
  in.winding_temp_c = static_cast<float>(state_.winding_temp_c + temp_noise);
  in.supply_v = static_cast<float>(params_.supply_v);
  in.estop_button_pressed = faults_.estop_button;
  in.door_open = faults_.door_open;
  return in;
}

}  // namespace rollrig::plant
