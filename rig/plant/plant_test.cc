#include "rig/plant/plant.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

namespace rollrig::plant {
namespace {

using firmware::ActuatorOutputs;

ActuatorOutputs Drive(double volts) {
  ActuatorOutputs out;
  out.bridge_enabled = true;
  out.motor_voltage_v = static_cast<float>(volts);
  return out;
}

PlantParams Quiet() {
  PlantParams p;
  p.current_noise_a = 0;
  p.head_noise_deg = 0;
  p.force_noise_n = 0;
  p.temp_noise_c = 0;
  return p;
}

// The linear model x' = A x + B v, x = (i, w), from rest, solved with the matrix
// exponential of the 2x2 state matrix (two distinct real eigenvalues: overdamped).
struct AnalyticMotor {
  double a11, a12, a21, a22, b1;
  double lambda1, lambda2;
  double i_ss, w_ss;

  AnalyticMotor(const PlantParams& p, double volts) {
    const double J = p.rotor_inertia + p.roller_inertia / (p.gear_ratio * p.gear_ratio);
    a11 = -p.resistance / p.inductance;
    a12 = -p.kt / p.inductance;
    a21 = p.kt / J;
    a22 = -p.viscous / J;
    b1 = volts / p.inductance;
    const double trace = a11 + a22;
    const double det = a11 * a22 - a12 * a21;
    const double disc = trace * trace - 4 * det;
    EXPECT_GT(disc, 0) << "the design promises an overdamped motor";
    lambda1 = 0.5 * (trace + std::sqrt(disc));
    lambda2 = 0.5 * (trace - std::sqrt(disc));
    // Steady state: A x = -B.
    i_ss = -b1 * a22 / det;
    w_ss = b1 * a21 / det;
  }

  // x(t) = (I - e^{At}) x_ss with e^{At} = (e^{l1 t}(A - l2 I) - e^{l2 t}(A - l1 I))/(l1 - l2).
  void At(double t, double* i, double* w) const {
    const double e1 = std::exp(lambda1 * t), e2 = std::exp(lambda2 * t);
    const double d = lambda1 - lambda2;
    const double m11 = (e1 * (a11 - lambda2) - e2 * (a11 - lambda1)) / d;
    const double m12 = (e1 - e2) * a12 / d;
    const double m21 = (e1 - e2) * a21 / d;
    const double m22 = (e1 * (a22 - lambda2) - e2 * (a22 - lambda1)) / d;
    *i = i_ss - (m11 * i_ss + m12 * w_ss);
    *w = w_ss - (m21 * i_ss + m22 * w_ss);
  }
};

TEST(PlantTest, VoltageStepMatchesAnalyticSecondOrderModel) {
  PlantParams p = Quiet();
  p.current_trip_a = 0;  // the bare motor: its 5 A peak would trip the drive stage
  p.coulomb = 0;
  p.rolling_mu = 0;
  Plant plant(p, 1);
  const AnalyticMotor model(p, 12.0);
  double peak_current = 0;
  for (int k = 1; k <= 400; ++k) {  // 40 ms in 100 us steps: rise, peak, settle
    plant.Advance(Drive(12.0), 100e-6);
    double i, w;
    model.At(k * 100e-6, &i, &w);
    peak_current = std::max(peak_current, std::abs(i));
    EXPECT_NEAR(plant.state().motor_omega, w, 0.02 * std::abs(w) + 1e-9) << "t step " << k;
    // Current decays towards a small steady value: compare against its peak scale too.
    EXPECT_NEAR(plant.state().current_a, i, 0.02 * std::abs(i) + 1e-4) << "t step " << k;
  }
  EXPECT_GT(peak_current, 5.0);
  double i_end, w_end;
  model.At(0.04, &i_end, &w_end);
  EXPECT_NEAR(w_end, model.w_ss, 0.01 * model.w_ss);
}

TEST(PlantTest, ThermalSteadyStateAtRatedCurrent) {
  PlantParams p = Quiet();
  Plant plant(p, 1);
  // Hold the winding at 1.5 A with the rotor jammed (no back-EMF): V = R·I.
  plant.faults().roller_jammed = true;
  for (int k = 0; k < 1500; ++k) plant.Advance(Drive(1.5 * p.resistance), 1.0);
  EXPECT_NEAR(plant.state().current_a, 1.5, 1e-6);
  EXPECT_NEAR(plant.state().winding_temp_c, 25.0 + 1.5 * 1.5 * 1.2 * 8.0, 0.2);
  EXPECT_NEAR(plant.state().winding_temp_c, 47.0, 1.0);
}

TEST(PlantTest, ThreeAmpsReachesTheLimitInAboutFourMinutes) {
  PlantParams p = Quiet();
  Plant plant(p, 1);
  plant.faults().roller_jammed = true;
  double t = 0;
  while (plant.state().winding_temp_c < 100.0 && t < 1000) {
    plant.Advance(Drive(3.0 * p.resistance), 0.1);
    t += 0.1;
  }
  EXPECT_GT(t, 200.0);
  EXPECT_LT(t, 280.0);
}

TEST(PlantTest, CoulombFrictionHoldsTheShaftAtRest) {
  PlantParams p = Quiet();
  p.coulomb = 2e-3;
  Plant plant(p, 1);
  // Kt·I = 0.05 · (0.04 / 1.2) = 1.7e-3 N·m < 2e-3: the shaft must not move at all.
  for (int k = 0; k < 1000; ++k) plant.Advance(Drive(0.04), 1e-3);
  EXPECT_EQ(plant.state().motor_omega, 0.0);
  EXPECT_EQ(plant.state().motor_angle, 0.0);
  // Above breakaway it turns.
  for (int k = 0; k < 100; ++k) plant.Advance(Drive(0.5), 1e-3);
  EXPECT_GT(plant.state().motor_omega, 1.0);
}

TEST(PlantTest, CoastingStopsWithoutChatterAndWithNoCurrent) {
  PlantParams p = Quiet();
  Plant plant(p, 1);
  for (int k = 0; k < 200; ++k) plant.Advance(Drive(6.0), 1e-3);
  ASSERT_GT(plant.state().motor_omega, 50.0);
  ActuatorOutputs off;
  plant.Advance(off, 1e-3);
  EXPECT_EQ(plant.state().current_a, 0.0);  // open winding: current gone within a tick
  for (int k = 0; k < 5000; ++k) {
    plant.Advance(off, 1e-3);
    EXPECT_GE(plant.state().motor_omega, 0.0);  // never reverses
  }
  EXPECT_EQ(plant.state().motor_omega, 0.0);
}

TEST(PlantTest, RollingResistanceFollowsThePreload) {
  PlantParams p = Quiet();
  Plant plant(p, 1);
  plant.mutable_state().force_n = 50;
  // Drive torque 5e-3 N·m at the motor < 2e-3 + 0.25·50·0.02/20 = 14.5e-3: held.
  for (int k = 0; k < 100; ++k) plant.Advance(Drive(5e-3 / 0.05 * 1.2), 1e-3);
  EXPECT_EQ(plant.state().motor_omega, 0.0);
  EXPECT_NEAR(plant.state().roller_torque_nm(), 0.1, 1e-3);
}

TEST(PlantTest, BridgeVoltageIsClampedToTheSupply) {
  PlantParams p = Quiet();
  Plant plant(p, 1);
  for (int k = 0; k < 2000; ++k) plant.Advance(Drive(100.0), 1e-3);
  // No-load speed at 24 V is just under 24 / Ke.
  EXPECT_LT(plant.state().motor_omega, 24.0 / 0.05);
  EXPECT_GT(plant.state().motor_omega, 0.9 * 24.0 / 0.05);
}

TEST(PlantTest, EncoderCountsTheMotorAngle) {
  Plant plant(Quiet(), 1);
  plant.mutable_state().motor_angle = 2 * std::numbers::pi * 1.5;
  EXPECT_EQ(plant.ReadSensors().encoder_count, 6144);
  plant.mutable_state().motor_angle = -1e-6;
  EXPECT_EQ(plant.ReadSensors().encoder_count, -1);  // floor, not truncation
  plant.faults().encoder_dead = true;
  const int64_t frozen = plant.ReadSensors().encoder_count;
  plant.mutable_state().motor_angle = 100.0;
  EXPECT_EQ(plant.ReadSensors().encoder_count, frozen);
}

TEST(PlantTest, HeadStopsAtTheHardStops) {
  Plant plant(Quiet(), 1);
  ActuatorOutputs out;
  out.head_enabled = true;
  out.head_rate_cmd_dps = 500;  // more than the servo can do
  plant.Advance(out, 0.5);
  EXPECT_LE(plant.state().head_rate_dps, 120.0 + 1e-9);
  plant.Advance(out, 3.0);
  EXPECT_EQ(plant.state().head_deg, 180.0);
  EXPECT_EQ(plant.state().head_rate_dps, 0.0);
  out.head_rate_cmd_dps = -120;
  plant.Advance(out, 5.0);
  EXPECT_EQ(plant.state().head_deg, -180.0);
  out.head_enabled = false;  // unpowered: it holds
  plant.mutable_state().head_deg = 10;
  plant.Advance(out, 1.0);
  EXPECT_EQ(plant.state().head_deg, 10.0);
}

TEST(PlantTest, HeadRateRespondsWithItsTimeConstant) {
  Plant plant(Quiet(), 1);
  ActuatorOutputs out;
  out.head_enabled = true;
  out.head_rate_cmd_dps = 100;
  plant.Advance(out, 0.02);
  EXPECT_NEAR(plant.state().head_rate_dps, 100 * (1 - std::exp(-1.0)), 0.5);
}

TEST(PlantTest, HeadCurrentIsIdleWhenStillAndRisesWithAcceleration) {
  const PlantParams p = Quiet();
  Plant plant(p, 1);
  ActuatorOutputs out;
  plant.Advance(out, 0.1);  // unpowered: the servo draws nothing
  EXPECT_EQ(plant.state().head_current_a, 0.0);
  EXPECT_EQ(plant.ReadSensors().head_current_a, 0.0f);

  out.head_enabled = true;  // powered and still: idle draw plus the held side load
  plant.Advance(out, 0.5);
  const double still = p.head_idle_current_a + p.head_holding_nm / (p.head_kt * p.head_gear_ratio);
  EXPECT_NEAR(plant.state().head_current_a, still, 1e-9);
  EXPECT_NEAR(plant.ReadSensors().head_current_a, still, 1e-6);

  // A step to 120 deg/s: the acceleration needs torque at once, more than turning at a
  // steady rate needs (friction and the side load), which is more than standing still.
  out.head_rate_cmd_dps = 120;
  plant.Advance(out, 0.002);
  const double accelerating = plant.state().head_current_a;
  plant.Advance(out, 0.3);  // 15 time constants: at the commanded rate
  const double cruising = plant.state().head_current_a;
  EXPECT_NEAR(plant.state().head_rate_dps, 120.0, 1e-3);
  EXPECT_GT(accelerating, cruising + 0.05);
  EXPECT_GT(cruising, still + 0.02);
  // Turning at 120 deg/s: viscous and Coulomb friction plus the side load, through the gear.
  const double omega = 120.0 * std::numbers::pi / 180.0;
  const double cruise_torque = p.head_viscous * omega + p.head_coulomb + p.head_holding_nm;
  EXPECT_NEAR(cruising, p.head_idle_current_a + cruise_torque / (p.head_kt * p.head_gear_ratio),
              1e-3);
  // Settled again after a stop command: back to the still current.
  out.head_rate_cmd_dps = 0;
  plant.Advance(out, 0.5);
  EXPECT_NEAR(plant.state().head_current_a, still, 1e-6);
}

TEST(PlantTest, HeadCurrentIsBoundedByTheSupplyAgainstTheBackEmf) {
  PlantParams p = Quiet();
  p.head_resistance = 100.0;  // a weak driver: at most (24 V - back-EMF) / 100 ohm
  Plant plant(p, 1);
  ActuatorOutputs out;
  out.head_enabled = true;
  out.head_rate_cmd_dps = 120;
  plant.Advance(out, 0.0005);
  const double omega = plant.state().head_rate_dps * std::numbers::pi / 180.0;
  const double back_emf = p.head_kt * omega * p.head_gear_ratio;
  EXPECT_LE(plant.state().head_current_a,
            p.head_idle_current_a + (p.supply_v - back_emf) / p.head_resistance + 1e-9);
}

TEST(PlantTest, PreloadFollowsWithLagAndRateLimitAndHoldsWhenOff) {
  Plant plant(Quiet(), 1);
  ActuatorOutputs out;
  out.preload_enabled = true;
  out.preload_force_cmd_n = 100;
  plant.Advance(out, 0.1);
  EXPECT_LE(plant.state().force_n, 400 * 0.1 + 1e-9);  // rate limited
  plant.Advance(out, 1.0);
  EXPECT_NEAR(plant.state().force_n, 100, 0.5);
  out.preload_enabled = false;
  out.preload_force_cmd_n = 0;
  plant.Advance(out, 1.0);
  EXPECT_NEAR(plant.state().force_n, 100, 0.5);
}

TEST(PlantTest, LoadCellAddsOffsetAndClampsAtFullScale) {
  Plant plant(Quiet(), 1);
  plant.mutable_state().force_n = 50;
  EXPECT_FLOAT_EQ(plant.ReadSensors().load_cell_raw_n, 51.5f);
  plant.mutable_state().force_n = 250;
  EXPECT_FLOAT_EQ(plant.ReadSensors().load_cell_raw_n, 200.0f);
  plant.mutable_state().force_n = 10;
  plant.faults().load_cell_saturated = true;
  EXPECT_FLOAT_EQ(plant.ReadSensors().load_cell_raw_n, 200.0f);
}

TEST(PlantTest, InterlocksAreReported) {
  Plant plant(Quiet(), 1);
  plant.faults().estop_button = true;
  EXPECT_TRUE(plant.ReadSensors().estop_button_pressed);
  EXPECT_FALSE(plant.ReadSensors().door_open);
  plant.faults().door_open = true;
  EXPECT_TRUE(plant.ReadSensors().door_open);
}

TEST(PlantTest, JammedRollerDoesNotTurn) {
  Plant plant(Quiet(), 1);
  plant.faults().roller_jammed = true;
  plant.Advance(Drive(3.6), 0.1);
  EXPECT_EQ(plant.state().motor_omega, 0.0);
  EXPECT_NEAR(plant.state().current_a, 3.0, 1e-6);
}

TEST(PlantTest, OverheatingReachesTheLimitWithinSeconds) {
  Plant plant(Quiet(), 1);
  plant.faults().overheating = true;
  double t = 0;
  while (plant.state().winding_temp_c < 100 && t < 10) {
    plant.Advance(ActuatorOutputs{}, 0.01);
    t += 0.01;
  }
  EXPECT_GT(t, 2.0);
  EXPECT_LT(t, 5.0);
}

TEST(PlantTest, SameSeedSameReadings) {
  Plant a(PlantParams{}, 42), b(PlantParams{}, 42), c(PlantParams{}, 43);
  bool differs = false;
  for (int k = 0; k < 100; ++k) {
    a.Advance(Drive(5), 1e-3);
    b.Advance(Drive(5), 1e-3);
    c.Advance(Drive(5), 1e-3);
    const auto ra = a.ReadSensors(), rb = b.ReadSensors(), rc = c.ReadSensors();
    EXPECT_EQ(ra.motor_current_a, rb.motor_current_a);
    EXPECT_EQ(ra.load_cell_raw_n, rb.load_cell_raw_n);
    EXPECT_EQ(ra.head_angle_deg, rb.head_angle_deg);
    EXPECT_EQ(ra.winding_temp_c, rb.winding_temp_c);
    EXPECT_EQ(ra.encoder_count, rb.encoder_count);
    differs = differs || ra.motor_current_a != rc.motor_current_a;
  }
  EXPECT_TRUE(differs);
}

TEST(PlantTest, TheDriveStageHoldsAJammedWindingAtItsTrip) {
  PlantParams p = Quiet();
  Plant plant(p, 1);
  plant.faults().roller_jammed = true;
  for (int k = 0; k < 100; ++k) {
    plant.Advance(Drive(24.0), 1e-3);  // 20 A without the comparator
    EXPECT_LE(plant.TakePeakCurrent(), p.current_trip_a) << "ms " << k;
  }
  EXPECT_NEAR(plant.state().current_a, p.current_trip_a, 1e-9);
  EXPECT_GT(plant.chopped_steps(), 0u);
  // Below the trip it is the plain first-order winding again.
  plant.Advance(Drive(1.2), 0.05);
  EXPECT_NEAR(plant.state().current_a, 1.0, 1e-6);
}

TEST(PlantTest, AtTheTripTheMotorAcceleratesWithTheTripTorque) {
  PlantParams p = Quiet();
  p.coulomb = 0;
  p.rolling_mu = 0;
  Plant plant(p, 1);
  const double J = p.rotor_inertia + p.roller_inertia / (p.gear_ratio * p.gear_ratio);
  // From rest at full voltage the current rises as (V/R)(1 - e^{-t/tau}) (the shaft
  // barely turning yet) to the trip at t_trip (~70 us) and holds there: from then on a
  // constant torque Kt·trip. The speed is Kt/J times the current's integral.
  const double tau = p.inductance / p.resistance;
  const double i_stall = p.supply_v / p.resistance;
  const double t_trip = -tau * std::log(1 - p.current_trip_a / i_stall);
  const double rise_charge = i_stall * t_trip - tau * p.current_trip_a;  // A·s up to t_trip
  double t = 0;
  for (int k = 0; k < 10; ++k) {
    plant.Advance(Drive(24.0), 1e-3);
    t += 1e-3;
    EXPECT_LE(plant.TakePeakCurrent(), p.current_trip_a);
    const double charge = rise_charge + p.current_trip_a * (t - t_trip);
    const double expected_w = p.kt / J * charge;
    EXPECT_NEAR(plant.state().motor_omega, expected_w, 0.003 * expected_w) << "ms " << k;
  }
  // A full reversal at speed (the bridge at -24 V against the back-EMF): the current
  // swings to the negative trip and holds, braking at the trip torque.
  const double w0 = plant.state().motor_omega;
  for (int k = 0; k < 5; ++k) {
    plant.Advance(Drive(-24.0), 1e-3);
    EXPECT_LE(plant.TakePeakCurrent(), p.current_trip_a);
  }
  EXPECT_NEAR(plant.state().current_a, -p.current_trip_a, 1e-9);
  const double braked = w0 - plant.state().motor_omega;
  EXPECT_NEAR(braked, p.kt * p.current_trip_a / J * 5e-3, 0.03 * braked);
}

TEST(PlantTest, LargeStepsAreSplitIntoSubsteps) {
  // One 10 ms Advance must equal two hundred 50 us ones (same sub-step sequence).
  PlantParams p = Quiet();
  Plant coarse(p, 1), fine(p, 1);
  coarse.Advance(Drive(12), 10e-3);
  for (int k = 0; k < 200; ++k) fine.Advance(Drive(12), 50e-6);
  EXPECT_NEAR(coarse.state().motor_omega, fine.state().motor_omega, 1e-9);
  EXPECT_NEAR(coarse.state().current_a, fine.state().current_a, 1e-9);
  // A 1 s step stays stable and accurate (an unsplit step would blow up: L/R = 0.4 ms).
  Plant big(p, 1);
  big.Advance(Drive(12), 1.0);
  EXPECT_TRUE(std::isfinite(big.state().motor_omega));
  EXPECT_NEAR(big.state().motor_omega, 12.0 / 0.05, 0.05 * 240);
}

}  // namespace
}  // namespace rollrig::plant
