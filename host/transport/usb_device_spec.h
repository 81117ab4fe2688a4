// Which USB device a UsbTransport drives: the VID:PID of the device's USB face
// (rig/usb/usb_face.h) and, optionally, one serial number. Parsed from rigd's
// `--device usb` (the first device with the VID:PID) or `--device usb:SERIAL`.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rig/usb/usb_face.h"

namespace rollrig::host {

struct UsbDeviceSpec {
  uint16_t vendor_id = usb::kVendorId;
  uint16_t product_id = usb::kProductId;
  std::string serial;  // "" = the first device with the VID:PID

  // "1209:0001", lower-case hex as lsusb prints it.
  std::string VidPid() const;
  // "USB device 1209:0001 (serial SIM-0001)" or "USB device 1209:0001 (any serial)":
  // what a bench engineer looks for before the device has been opened.
  std::string Wanted() const;
};

// Parses "usb" or "usb:SERIAL". INVALID_ARGUMENT naming the spec for anything else
// (e.g. "usb:" with an empty serial).
absl::StatusOr<UsbDeviceSpec> ParseUsbDeviceSpec(absl::string_view spec);

}  // namespace rollrig::host
