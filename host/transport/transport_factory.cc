#include "host/transport/transport_factory.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "host/transport/replay_transport.h"
#include "host/transport/sim_transport.h"
#include "host/transport/tcp_transport.h"
#include "host/transport/usb_device_spec.h"
#include "host/transport/usb_transport.h"

namespace rollrig::host {

absl::StatusOr<TcpAddress> ParseTcpAddress(absl::string_view address) {
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad TCP address '", address, "': expected HOST:PORT"));
  }
  absl::string_view host = address.substr(0, colon);
  const absl::string_view port_text = address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad TCP address '", address, "': the host is missing"));
  }
  uint32_t port = 0;
  if (!absl::SimpleAtoi(port_text, &port) || port == 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("bad port '", port_text, "' in '", address,
                                                   "': expected a number from 1 to 65535"));
  }
  return TcpAddress{std::string(host), static_cast<uint16_t>(port)};
}

absl::StatusOr<std::unique_ptr<Transport>> MakeTransport(
    absl::string_view spec, const sim::SimOptions& sim_options, Clock* clock,
    const RecordedProgramLoader& load_program) {
  if (spec == "sim") return std::make_unique<SimTransport>(sim_options, clock);
  if (absl::StartsWith(spec, "tcp:")) {
    absl::StatusOr<TcpAddress> address = ParseTcpAddress(spec.substr(4));
    if (!address.ok()) return address.status();
    return std::make_unique<TcpTransport>(address->host, address->port);
  }
  if (spec == "usb" || absl::StartsWith(spec, "usb:")) {
    absl::StatusOr<UsbDeviceSpec> device = ParseUsbDeviceSpec(spec);
    if (!device.ok()) return device.status();
    UsbTransportOptions options;
    options.device = std::move(*device);
    return std::make_unique<UsbTransport>(std::move(options));
  }
  for (const bool fast : {false, true}) {
    const absl::string_view prefix = fast ? "replay-fast:" : "replay:";
    if (!absl::StartsWith(spec, prefix)) continue;
    const std::string path(spec.substr(prefix.size()));
    if (path.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad device '", spec, "': expected ", prefix, "PATH of a recording"));
    }
    sim::ReplayOptions options;
    options.fast = fast;
    absl::StatusOr<std::unique_ptr<ReplayTransport>> replay =
        ReplayTransport::Create(path, options, load_program, clock);
    if (!replay.ok()) return replay.status();
    return std::unique_ptr<Transport>(std::move(*replay));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown device '", spec,
      "': expected sim, tcp:HOST:PORT, usb, usb:SERIAL, replay:PATH or replay-fast:PATH"));
}

}  // namespace rollrig::host
