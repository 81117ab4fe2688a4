// An owning reference to a libusb_device (libusb_ref_device / libusb_unref_device), so a
// device found in a list or a hotplug callback stays valid while it is looked at.
//
// Move-only; not thread-safe itself (libusb's reference counting is).
#pragma once

#include <libusb.h>

#include <utility>

namespace rollrig::host {

class UsbDeviceRef {
 public:
  UsbDeviceRef() = default;
  // Takes a new reference on `device` (not null).
  explicit UsbDeviceRef(libusb_device* device) : device_(libusb_ref_device(device)) {}
  ~UsbDeviceRef() { Reset(); }
  UsbDeviceRef(UsbDeviceRef&& other) noexcept : device_(std::exchange(other.device_, nullptr)) {}
  UsbDeviceRef& operator=(UsbDeviceRef&& other) noexcept {
    if (this != &other) {
      Reset();
      device_ = std::exchange(other.device_, nullptr);
    }
    return *this;
  }
  UsbDeviceRef(const UsbDeviceRef&) = delete;
  UsbDeviceRef& operator=(const UsbDeviceRef&) = delete;

  libusb_device* get() const { return device_; }
  void Reset() {
    if (device_ != nullptr) libusb_unref_device(std::exchange(device_, nullptr));
  }

 private:
  libusb_device* device_ = nullptr;
};

}  // namespace rollrig::host
