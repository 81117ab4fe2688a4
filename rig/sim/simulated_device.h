// The simulated massager: firmware core + plant model + the device side of the protocol
// (frame codec, HostMessage handling, acknowledgements, telemetry batches, events).
// It is what a real device is, seen from its USB (or TCP) byte stream.
//
// Promises: deterministic for a given seed and input byte sequence at given ticks; no
// threads or clocks of its own (SimRunner paces it); not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rig/codec/frame_codec.h"
#include "rig/firmware/firmware.h"
#include "rig/plant/plant.h"
#include "rig/protocol/telemetry_columns.h"
#include "rollrig/v1/device.pb.h"

namespace rollrig::sim {

struct SimOptions {
  uint64_t seed = 1;
  std::string serial = "SIM-0001";
  firmware::FirmwareConfig firmware;  // firmware.tick_hz is the control tick
  plant::PlantParams plant;
  // Telemetry batching: a batch goes out every batch_period_us of device time or when
  // it holds batch_max_samples.
  uint32_t batch_period_us = 10000;
  uint32_t batch_max_samples = 250;
  // Device-to-host bytes the device can hold beyond the firmware's telemetry buffer
  // (the USB endpoint FIFO and transfer buffers). When the host stops reading, output
  // beyond this waits in the firmware buffer, then is dropped and counted.
  size_t max_output_bytes = 64 * 1024;
  // The microcontroller's independent hardware watchdog (independent_watchdog.h): kicked
  // by every firmware tick; unkicked this long (a hung firmware) it resets the
  // microcontroller: the bridge is off at once and the firmware boots again with boot
  // reason WATCHDOG_RESET. 50 ms is 50 ticks at 1 kHz, so a hang ends within 100 ms
  // (at least two ticks are used).
  uint32_t hardware_watchdog_ms = 50;
};

struct SimStats {
  uint64_t frames_received = 0;
  uint64_t messages_rejected = 0;  // frames whose payload was not a HostMessage
  uint64_t frames_sent = 0;
  uint64_t batches_sent = 0;
};

class SimulatedDevice {
 public:
  explicit SimulatedDevice(const SimOptions& options);
  ~SimulatedDevice();

  // Host-to-device bytes, in any chunking. They are decoded and executed at the next tick.
  void ReceiveFromHost(const uint8_t* data, size_t n);

  // One control tick: the plant integrates one tick period, the firmware runs, commands
  // received since the last tick are executed and answered, telemetry is batched.
  void Tick();
  void RunTicks(uint64_t n);
  void RunFor(double seconds);

  // Moves up to `max` bytes of device-to-host output to the end of `out`.
  size_t TakeOutput(std::vector<uint8_t>* out, size_t max = SIZE_MAX);
  size_t PendingOutput() const;

  // Simulates a firmware hang (nothing is read or sent, the loops stop while the last
  // outputs stay latched) or a device reset (firmware state and counters restart, a new
  // boot_id; the plant keeps moving). A hang lasts until the hardware watchdog resets the
  // microcontroller (SimOptions::hardware_watchdog_ms), or until SetHung(false), which is
  // a reset too: a hung microcontroller never just carries on.
  void SetHung(bool hung);
  void Reset();
  bool hung() const;
  // Resets by the hardware watchdog since construction.
  uint64_t watchdog_resets() const;

  // Applies an injected fault of the physical world (InjectFault message or tests).
  void InjectFault(rollrig::v1::InjectedFault fault, bool active);

  uint64_t time_us() const;
  const rollrig::v1::DeviceInfo& info() const;
  const SimStats& stats() const;
  const codec::DecoderStats& decoder_stats() const;
  firmware::Firmware& firmware();
  plant::Plant& plant();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rollrig::sim
