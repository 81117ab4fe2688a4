// Turns a device spec (rigd's `--device`) into a Transport:
//   "sim"             the simulated massager in this process (SimTransport)
//   "tcp:HOST:PORT"   a rig-sim process over TCP (TcpTransport); IPv6 as "tcp:[::1]:7000"
// USB and replay specs come later. Errors are INVALID_ARGUMENT naming the bad spec.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
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

// `sim_options` and `clock` are used only for "sim"; `clock` must outlive the transport.
absl::StatusOr<std::unique_ptr<Transport>> MakeTransport(
    absl::string_view spec, const sim::SimOptions& sim_options = sim::SimOptions(),
    Clock* clock = RealClock());

}  // namespace rollrig::host
