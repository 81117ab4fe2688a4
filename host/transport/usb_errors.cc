#include "host/transport/usb_errors.h"

#include <libusb.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace rollrig::host {

absl::Status UsbWaitingForDevice(const UsbDeviceSpec& spec,
                                 const std::vector<std::string>& other_serials) {
  std::string text = absl::StrCat("waiting for ", spec.Wanted(), " to be plugged in");
  if (!other_serials.empty()) {
    absl::StrAppend(&text, "; present with other serials: ", absl::StrJoin(other_serials, ", "));
  }
  return absl::UnavailableError(text);
}

absl::Status UsbDeviceUnplugged(absl::string_view device) {
  return absl::UnavailableError(absl::StrCat(device, " was unplugged"));
}

std::string UsbDeviceLabel(const UsbDeviceSpec& spec, absl::string_view serial) {
  if (serial.empty()) return absl::StrCat("USB device ", spec.VidPid());
  return absl::StrCat("USB device ", spec.VidPid(), " serial ", serial);
}

absl::Status UsbErrorToStatus(int libusb_error, absl::string_view device, absl::string_view doing) {
  const std::string what = absl::StrCat(device, ": ", doing, " failed");
  switch (libusb_error) {
    case LIBUSB_ERROR_NO_DEVICE:
      return UsbDeviceUnplugged(device);
    case LIBUSB_ERROR_BUSY:
      return absl::FailedPreconditionError(absl::StrCat(
          what,
          ": the device is busy, claimed by another program (another rigd, or a tool holding "
          "its interface); stop that program and it will be picked up"));
    case LIBUSB_ERROR_ACCESS:
      return absl::PermissionDeniedError(absl::StrCat(
          what, ": permission denied on the device node; install the udev rule ", kUsbUdevRule,
          " (into /etc/udev/rules.d), add this user to its group, then replug"));
    case LIBUSB_ERROR_TIMEOUT:
      return absl::DeadlineExceededError(absl::StrCat(what, ": the device did not answer in time"));
    case LIBUSB_ERROR_PIPE:
      return absl::UnavailableError(
          absl::StrCat(what, ": the device stalled the endpoint (a firmware fault?)"));
    case LIBUSB_ERROR_NOT_FOUND:
      return absl::UnavailableError(
          absl::StrCat(what, ": the device has no such interface or endpoint (wrong firmware?)"));
    default:
      return absl::UnavailableError(absl::StrCat(what, ": ", libusb_error_name(libusb_error), " (",
                                                 libusb_strerror(libusb_error), ")"));
  }
}

absl::Status UsbTransferStatusToStatus(int transfer_status, absl::string_view device,
                                       unsigned endpoint) {
  const std::string ep = absl::StrFormat("endpoint 0x%02x", endpoint);
  switch (transfer_status) {
    case LIBUSB_TRANSFER_NO_DEVICE:
      return UsbDeviceUnplugged(device);
    case LIBUSB_TRANSFER_TIMED_OUT:
      return absl::DeadlineExceededError(
          absl::StrCat(device, ": transfer on ", ep, " timed out (the device stopped reading)"));
    case LIBUSB_TRANSFER_STALL:
      return absl::UnavailableError(
          absl::StrCat(device, ": ", ep,
                       " stalls again after clearing the halt (a firmware fault?); "
                       "replug or reset the device"));
    case LIBUSB_TRANSFER_OVERFLOW:
      return absl::UnavailableError(
          absl::StrCat(device, ": ", ep, " sent more data than asked for (a firmware fault?)"));
    case LIBUSB_TRANSFER_CANCELLED:
      return absl::UnavailableError(absl::StrCat(device, ": transfer on ", ep, " was cancelled"));
    default:
      return absl::UnavailableError(absl::StrCat(
          device, ": transfer on ", ep, " failed (USB I/O error: bad cable, hub or device?)"));
  }
}

}  // namespace rollrig::host
