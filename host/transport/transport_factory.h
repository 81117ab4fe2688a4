// Turns a device spec (rigd's `--device`) into a Transport:
//   "sim"             the simulated massager in this process (SimTransport)
//   "tcp:HOST:PORT"   a rig-sim process over TCP (TcpTransport); IPv6 as "tcp:[::1]:7000"
//   "replay:PATH"     a run's recording played back as the device, paced by its times
//   "replay-fast:PATH" the same, as fast as rigd reads (ReplayTransport)
//   "usb"             the first USB device with VID:PID 1209:0001 (UsbTransport)
//   "usb:SERIAL"      the USB device 1209:0001 with that serial number
// Errors are INVALID_ARGUMENT naming the bad spec; a recording that cannot be opened
// fails with the reader's error, naming the file. A USB device need not be present:
// the transport's Open() waits for it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "host/transport/mcap_replay_source.h"
#include "host/transport/transport.h"
#include "rig/base/clock.h"
#include "rig/sim/simulated_device.h"

namespace rollrig::host {

struct TcpAddress {
  std::string host;
  uint16_t port = 0;
};

// Parses the part after "tcp:": "HOST:PORT" or "[IPV6]:PORT".
absl::StatusOr<TcpAddress> ParseTcpAddress(absl::string_view address);

// `sim_options` is used only for "sim", `clock` for "sim" and "replay:"; `clock` must
// outlive the transport. `load_program` is for "replay:" (see McapReplaySource).
absl::StatusOr<std::unique_ptr<Transport>> MakeTransport(
    absl::string_view spec, const sim::SimOptions& sim_options = sim::SimOptions(),
    Clock* clock = RealClock(), const RecordedProgramLoader& load_program = nullptr);

}  // namespace rollrig::host
