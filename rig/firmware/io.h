// The firmware's view of the hardware: what it reads each control tick and what it
// drives. On a microcontroller these are ADC/timer registers; in rig-sim the plant model
// fills them. Plain data, no OS, no allocation.
#pragma once

#include <cstdint>

namespace rollrig::firmware {

// Sensor readings sampled at the start of a control tick.
struct SensorInputs {
  int64_t encoder_count = 0;  // motor shaft, accumulating, 4096 counts per motor turn
  float motor_current_a = 0;  // current sense, signed
  float head_angle_deg = 0;   // head servo position feedback
  float head_current_a = 0;   // head servo supply current sense
  float load_cell_raw_n = 0;  // load cell before tare, clamps at its full scale
  float winding_temp_c = 25;  // winding temperature sensor
  float supply_v = 24;        // bridge supply
  bool estop_button_pressed = false;
  bool door_open = false;
};

// Actuator commands the firmware writes at the end of a control tick; they hold until
// the next tick.
struct ActuatorOutputs {
  bool bridge_enabled = false;    // H-bridge on; when off the motor coasts (open circuit)
  float motor_voltage_v = 0;      // average bridge voltage (PWM duty x supply), signed
  bool head_enabled = false;      // head servo powered; when off it holds by friction
  float head_rate_cmd_dps = 0;    // head servo rate command, signed
  bool preload_enabled = false;   // preload actuator powered; when off it holds position
  float preload_force_cmd_n = 0;  // preload actuator force demand (absolute, not tared)
};

}  // namespace rollrig::firmware
