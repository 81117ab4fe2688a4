#include "host/transport/usb_device_spec.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace rollrig::host {

std::string UsbDeviceSpec::VidPid() const {
  return absl::StrFormat("%04x:%04x", vendor_id, product_id);
}

std::string UsbDeviceSpec::Wanted() const {
  return absl::StrCat("USB device ", VidPid(), " (",
                      serial.empty() ? "any serial" : absl::StrCat("serial ", serial), ")");
}

absl::StatusOr<UsbDeviceSpec> ParseUsbDeviceSpec(absl::string_view spec) {
  UsbDeviceSpec out;
  if (spec == "usb") return out;
  if (!absl::StartsWith(spec, "usb:")) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad USB device '", spec, "': expected usb or usb:SERIAL"));
  }
  const absl::string_view serial = spec.substr(4);
  if (serial.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad USB device '", spec,
                     "': the serial after 'usb:' is empty (use plain 'usb' for the "
                     "first device found)"));
  }
  for (const char c : serial) {
    if (!absl::ascii_isprint(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError(absl::StrCat("bad USB device '", absl::CHexEscape(spec),
                                                     "': the serial has unprintable characters"));
    }
  }
  out.serial = std::string(serial);
  return out;
}

}  // namespace rollrig::host
