#include "host/transport/usb_device_watcher.h"

#include <algorithm>
#include <chrono>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace rollrig::host {

absl::StatusOr<std::unique_ptr<UsbDeviceWatcher>> UsbDeviceWatcher::Create(
    libusb_context* ctx, UsbDeviceWatcherOptions options, Listener listener) {
  const bool hotplug = !options.force_polling && libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG) != 0;
  std::unique_ptr<UsbDeviceWatcher> watcher(
      new UsbDeviceWatcher(ctx, options, std::move(listener), hotplug));
  if (hotplug) {
    // ENUMERATE: the callback hears of the devices already present, on this thread.
    const int rc = libusb_hotplug_register_callback(
        ctx,
        static_cast<libusb_hotplug_event>(LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED |
                                          LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT),
        LIBUSB_HOTPLUG_ENUMERATE, options.vendor_id, options.product_id, LIBUSB_HOTPLUG_MATCH_ANY,
        &UsbDeviceWatcher::OnHotplug, watcher.get(), &watcher->hotplug_handle_);
    if (rc != LIBUSB_SUCCESS) {
      return absl::InternalError(
          absl::StrCat("cannot register for USB hotplug events: ", libusb_error_name(rc)));
    }
    watcher->registered_ = true;
  } else {
    watcher->Poll();
    watcher->poll_thread_ = std::thread([w = watcher.get()] { w->PollLoop(); });
  }
  return watcher;
}

UsbDeviceWatcher::UsbDeviceWatcher(libusb_context* ctx, UsbDeviceWatcherOptions options,
                                   Listener listener, bool hotplug)
    : ctx_(ctx), options_(options), listener_(std::move(listener)), hotplug_(hotplug) {}

UsbDeviceWatcher::~UsbDeviceWatcher() {
  if (registered_) libusb_hotplug_deregister_callback(ctx_, hotplug_handle_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (poll_thread_.joinable()) poll_thread_.join();
}

int LIBUSB_CALL UsbDeviceWatcher::OnHotplug(libusb_context*, libusb_device* device,
                                            libusb_hotplug_event event, void* user_data) {
  auto* self = static_cast<UsbDeviceWatcher*>(user_data);
  if (event == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED) {
    self->Arrived(device);
  } else if (event == LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT) {
    self->Left(device);
  }
  return 0;  // stay registered
}

void UsbDeviceWatcher::Arrived(libusb_device* device) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const UsbDeviceRef& d : present_) {
      if (d.get() == device) return;
    }
    present_.emplace_back(device);
    ++arrivals_;
  }
  if (listener_) listener_(device, UsbDeviceEvent::kArrived);
}

void UsbDeviceWatcher::Left(libusb_device* device) {
  UsbDeviceRef gone;  // keeps `device` valid through the listener call
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = std::find_if(present_.begin(), present_.end(),
                           [device](const UsbDeviceRef& d) { return d.get() == device; });
    if (it == present_.end()) return;
    gone = std::move(*it);
    present_.erase(it);
    ++departures_;
  }
  if (listener_) listener_(device, UsbDeviceEvent::kLeft);
}

void UsbDeviceWatcher::Poll() {
  std::lock_guard<std::mutex> poll_lock(poll_mu_);
  libusb_device** list = nullptr;
  const ssize_t count = libusb_get_device_list(ctx_, &list);
  if (count < 0) return;  // try again next period
  std::vector<libusb_device*> now;
  for (ssize_t i = 0; i < count; ++i) {
    libusb_device_descriptor desc{};
    if (libusb_get_device_descriptor(list[i], &desc) != LIBUSB_SUCCESS) continue;
    if (desc.idVendor == options_.vendor_id && desc.idProduct == options_.product_id) {
      now.push_back(list[i]);
    }
  }
  // libusb keeps one libusb_device per attached device, so pointer identity tells a
  // device that stayed from one that was replugged (a new object).
  std::vector<libusb_device*> left;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const UsbDeviceRef& d : present_) {
      if (std::find(now.begin(), now.end(), d.get()) == now.end()) left.push_back(d.get());
    }
  }
  for (libusb_device* d : left) Left(d);
  for (libusb_device* d : now) Arrived(d);
  libusb_free_device_list(list, 1);
}

void UsbDeviceWatcher::PollLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    stop_cv_.wait_for(lock, absl::ToChronoMilliseconds(options_.poll_period),
                      [this] { return stop_; });
    if (stop_) break;
    lock.unlock();
    Poll();
    lock.lock();
  }
}

std::vector<UsbDeviceRef> UsbDeviceWatcher::Present() {
  if (!hotplug_) Poll();
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<UsbDeviceRef> out;
  out.reserve(present_.size());
  for (const UsbDeviceRef& d : present_) out.emplace_back(d.get());
  return out;
}

uint64_t UsbDeviceWatcher::arrivals() const {
  std::lock_guard<std::mutex> lock(mu_);
  return arrivals_;
}

uint64_t UsbDeviceWatcher::departures() const {
  std::lock_guard<std::mutex> lock(mu_);
  return departures_;
}

}  // namespace rollrig::host
