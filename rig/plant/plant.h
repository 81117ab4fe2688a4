// The physics of the simulated massager (DESIGN.md, "The device"): a brushed DC motor
// (second order: winding current and shaft speed) through a 20:1 gearbox to the rollers,
// Coulomb and viscous friction, rolling resistance mu·F·r against the preloaded pad, the
// head servo with hard stops, the preload actuator and load cell, the winding's thermal
// model, and seeded sensor noise. The power stage is an H-bridge driver with a
// current-sense comparator that limits the winding current cycle by cycle
// (PlantParams::current_trip_a), whatever voltage the firmware commands.
//
// Promises: deterministic for a given seed and input sequence; integrates with a fixed
// internal step of at most max_substep_s whatever Advance() is asked for; allocates
// nothing after construction; not thread-safe (one simulator thread drives it).
#pragma once

#include <cstdint>
#include <random>

#include "rig/firmware/io.h"

namespace rollrig::plant {

struct PlantParams {
  // Motor (motor side)
  double supply_v = 24.0;
  double kt = 0.05;               // N·m/A, = Ke in V·s/rad
  double resistance = 1.2;        // ohm
  double inductance = 0.5e-3;     // henry
  double rotor_inertia = 1.0e-5;  // kg·m², rotor + gearbox input
  double viscous = 2e-6;          // N·m·s/rad
  double coulomb = 2e-3;          // N·m
  // Drive train and rollers
  double gear_ratio = 20.0;
  double roller_radius_m = 0.020;
  double roller_inertia = 4e-5;  // kg·m² at the roller
  double rolling_mu = 0.25;      // torque at the roller = mu·F·r
  double encoder_counts_per_rev = 4096;
  // Drive stage (H-bridge driver, PWM at 20 kHz): when |winding current| reaches the
  // current-sense comparator's trip the bridge chops (decays the current for the rest of
  // that PWM period), so the current never exceeds it, whatever the firmware commands and
  // however fast the load changes (a jam at speed, a reversal, braking). Modelled as
  // peak-current-mode chopping averaged over the 50 us PWM period (the winding's L/R is
  // 0.4 ms, so the ripple is small): at the trip the current holds while the bridge would
  // push it further. 3.2 A: above the firmware's 3.0 A limit (its voltage clamp around the
  // back-EMF), so normal regulation never trips it, and below the 3.3 A the motor and the
  // bridge take at any instant. 0 = no comparator (the bare motor model, for tests).
  double current_trip_a = 3.2;
  // Head servo
  double head_min_deg = -180.0;
  double head_max_deg = 180.0;
  double head_max_rate_dps = 120.0;
  double head_time_constant_s = 0.02;  // rate response of the servo
  // Head servo electrics: a geared DC motor with its driver, whose supply current the rig
  // senses (PlantState::head_current_a). The output torque the head needs -- inertia x
  // acceleration, viscous and Coulomb friction while it turns, and the pad's side load
  // held while powered -- reaches the motor through the gearbox as a winding current
  // |T| / (kt x gear); the driver can push at most (supply - back-EMF) / R through the
  // winding. The supply current is that plus the electronics' idle draw; an unpowered
  // servo draws nothing. At 120 deg/s: back-EMF 3.1 V; about 0.21 A starting a move,
  // 0.17 A cruising, 0.07 A holding still.
  double head_inertia = 2e-3;     // kg·m², head assembly about its axis
  double head_viscous = 0.05;     // N·m·s/rad at the output
  double head_coulomb = 0.04;     // N·m at the output, while turning
  double head_holding_nm = 0.03;  // side load held while powered, N·m at the output
  double head_gear_ratio = 50.0;
  double head_kt = 0.03;              // N·m/A, = Ke in V·s/rad
  double head_resistance = 8.0;       // ohm, winding
  double head_idle_current_a = 0.05;  // driver electronics, while powered
  // Preload actuator and load cell
  double preload_time_constant_s = 0.05;
  double preload_max_rate_n_s = 400.0;
  double load_cell_full_scale_n = 200.0;
  double load_cell_offset_n = 1.5;  // zero offset the firmware tares away
  // Thermal
  double ambient_c = 25.0;
  double thermal_resistance = 8.0;  // K/W winding to ambient
  double thermal_time_constant_s = 120.0;
  // Noise (standard deviations)
  double current_noise_a = 0.005;
  double head_noise_deg = 0.01;
  double force_noise_n = 0.05;
  double temp_noise_c = 0.02;
  // Integration
  double max_substep_s = 50e-6;
};

// Faults of the physical world the simulator can inject.
struct PlantFaults {
  bool roller_jammed = false;        // stall: the rollers are blocked
  bool overheating = false;          // cooling lost: the winding heats quickly
  bool encoder_dead = false;         // the encoder stops counting
  bool load_cell_saturated = false;  // the load cell reads full scale
  bool estop_button = false;
  bool door_open = false;
};

// True state, for tests and analysis (not visible to the firmware).
struct PlantState {
  double time_s = 0;
  double current_a = 0;    // winding current
  double motor_omega = 0;  // rad/s, motor shaft
  double motor_angle = 0;  // rad, motor shaft
  double head_deg = 0;
  double head_rate_dps = 0;
  double head_current_a = 0;  // head servo supply current
  double force_n = 0;         // true contact force
  double winding_temp_c = 25;
  double roller_rpm() const;  // motor_omega through the gearbox, in rpm
  double roller_torque_nm() const;
  // Copied from PlantParams by the Plant so the two helpers above need no params.
  double gear_ratio = 20.0;
  double torque_constant = 0.05;
};

class Plant {
 public:
  Plant(const PlantParams& params, uint64_t seed);

  // Integrates the physics for dt_s seconds with the actuators held at `out`, in fixed
  // sub-steps of at most params.max_substep_s.
  void Advance(const firmware::ActuatorOutputs& out, double dt_s);

  // Sensor readings now, with noise and the injected faults applied.
  firmware::SensorInputs ReadSensors();

  const PlantState& state() const { return state_; }
  PlantState& mutable_state() { return state_; }  // tests set initial conditions
  PlantFaults& faults() { return faults_; }
  const PlantParams& params() const { return params_; }

  // The largest |winding current| at the end of any integration step (sub-steps included)
  // since the last call; the next call starts from the present current. For tests of the
  // drive stage's limit; allocation-free.
  double TakePeakCurrent();
  // Integration sub-steps that ended with the comparator chopping (current at the trip).
  uint64_t chopped_steps() const { return chopped_steps_; }

 private:
  PlantParams params_;
  PlantState state_;
  PlantFaults faults_;
  std::mt19937_64 rng_;
  std::normal_distribution<double> unit_noise_{0.0, 1.0};

  // Actuator state the physics needs between sub-steps.
  bool motor_stuck_ = true;  // held by static friction (Coulomb) at zero speed
  bool encoder_frozen_ = false;
  int64_t frozen_count_ = 0;
  double peak_current_a_ = 0;
  uint64_t chopped_steps_ = 0;

  void StepMotor(const firmware::ActuatorOutputs& out, double h);
  // The shaft held (jammed or by static friction): the winding alone, exactly.
  void StepHeldWinding(double v, bool open_circuit, double h);
  // The turning motor (RK4), splitting the step where the current reaches the trip.
  void StepTurning(double v, bool open_circuit, double external, double h, int depth);
  // The comparator's trip (infinite without one).
  double TripCurrent() const;
  void NoteCurrent();
  void StepHead(const firmware::ActuatorOutputs& out, double h);
  // The head servo's supply current while powered, turning at `rate_dps` and accelerating
  // at `accel_dps2` (see PlantParams).
  double HeadServoCurrent(double rate_dps, double accel_dps2) const;
  void StepPreload(const firmware::ActuatorOutputs& out, double h);
  void StepThermal(double h);
  // Friction torque magnitude at the motor shaft: Coulomb plus rolling resistance.
  double FrictionTorque() const;
  int64_t EncoderCount() const;
};

}  // namespace rollrig::plant
