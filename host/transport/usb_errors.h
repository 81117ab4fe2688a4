// libusb's error codes turned into statuses whose messages a bench engineer can act on.
// Every message names the device ("USB device 1209:0001 serial SIM-0001") and what was
// being done; the status code says what the caller may do about it:
//   no device present                 UNAVAILABLE        (keep waiting for it)
//   device unplugged / NO_DEVICE      UNAVAILABLE        (it may come back)
//   interface claimed elsewhere, BUSY FAILED_PRECONDITION (stop the other program)
//   ACCESS                            PERMISSION_DENIED  (with the udev rule hint)
//   TIMEOUT                           DEADLINE_EXCEEDED
//   anything else                     UNAVAILABLE, with libusb's own error name
//
// Pure functions, thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "host/transport/usb_device_spec.h"

namespace rollrig::host {

// The udev rule that gives the device to the rollrig group; named in permission errors.
inline constexpr char kUsbUdevRule[] = "packaging/udev/70-rollrig.rules";

// "waiting for USB device 1209:0001 (serial SIM-0001) to be plugged in" (UNAVAILABLE),
// adding "; present with other serials: X, Y" when `other_serials` is not empty.
absl::Status UsbWaitingForDevice(const UsbDeviceSpec& spec,
                                 const std::vector<std::string>& other_serials = {});

// "USB device 1209:0001 serial SIM-0001 was unplugged" (UNAVAILABLE). `device` is
// UsbDeviceLabel()'s text.
absl::Status UsbDeviceUnplugged(absl::string_view device);

// "USB device 1209:0001 serial SIM-0001" (or "... at bus 1 address 4" before the serial is
// known).
std::string UsbDeviceLabel(const UsbDeviceSpec& spec, absl::string_view serial);

// Maps a negative libusb_error returned while `doing` ("claiming interface 0") on
// `device` to a status as in the table above.
absl::Status UsbErrorToStatus(int libusb_error, absl::string_view device, absl::string_view doing);

// Maps a finished transfer's libusb_transfer_status (not COMPLETED) on `endpoint`.
absl::Status UsbTransferStatusToStatus(int transfer_status, absl::string_view device,
                                       unsigned endpoint);

}  // namespace rollrig::host
