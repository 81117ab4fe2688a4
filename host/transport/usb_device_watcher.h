// Knows which devices with one VID:PID are plugged in, and tells a listener when one
// arrives or leaves.
//
// Where libusb supports hotplug (libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG)) it
// registers arrive/leave callbacks, which run on the context's event thread; elsewhere
// (or with `force_polling`) it polls the device list from its own thread every
// `poll_period`, and Present() polls at once so a caller never sees a stale list.
//
// Thread safety: all methods may be called from any thread. The listener runs on the
// event thread or the polling thread: keep it short, never block, never call libusb
// I/O from it. Destroy the watcher after UsbContext::StopEvents() and before the
// context: the destructor deregisters and joins the polling thread, after which the
// listener is never called again.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "host/transport/usb_device_ref.h"

namespace rollrig::host {

enum class UsbDeviceEvent { kArrived, kLeft };

struct UsbDeviceWatcherOptions {
  uint16_t vendor_id = 0;
  uint16_t product_id = 0;
  bool force_polling = false;  // tests of the fallback
  absl::Duration poll_period = absl::Milliseconds(200);
};

class UsbDeviceWatcher {
 public:
  using Listener = std::function<void(libusb_device*, UsbDeviceEvent)>;

  // Starts watching; the devices present now count as arrived (the listener hears of them
  // too). INTERNAL when libusb refuses the hotplug registration.
  static absl::StatusOr<std::unique_ptr<UsbDeviceWatcher>> Create(libusb_context* ctx,
                                                                  UsbDeviceWatcherOptions options,
                                                                  Listener listener);
  ~UsbDeviceWatcher();
  UsbDeviceWatcher(const UsbDeviceWatcher&) = delete;
  UsbDeviceWatcher& operator=(const UsbDeviceWatcher&) = delete;

  // The matching devices plugged in now, each with its own reference.
  std::vector<UsbDeviceRef> Present();
  bool uses_hotplug() const { return hotplug_; }
  uint64_t arrivals() const;
  uint64_t departures() const;

 private:
  UsbDeviceWatcher(libusb_context* ctx, UsbDeviceWatcherOptions options, Listener listener,
                   bool hotplug);
  static int LIBUSB_CALL OnHotplug(libusb_context* ctx, libusb_device* device,
                                   libusb_hotplug_event event, void* user_data);
  void Arrived(libusb_device* device);
  void Left(libusb_device* device);
  // Polling: compares the device list with `present_` and reports the differences.
  void Poll();
  void PollLoop();

  libusb_context* const ctx_;
  const UsbDeviceWatcherOptions options_;
  const Listener listener_;
  const bool hotplug_;
  libusb_hotplug_callback_handle hotplug_handle_ = 0;
  bool registered_ = false;

  std::mutex poll_mu_;  // one Poll() at a time (polling thread and Present())
  mutable std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::vector<UsbDeviceRef> present_;
  uint64_t arrivals_ = 0;
  uint64_t departures_ = 0;
  std::thread poll_thread_;
};

}  // namespace rollrig::host
