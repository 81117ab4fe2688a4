// One libusb context and the thread that runs its event loop. Every asynchronous
// transfer callback and hotplug callback of the context runs on that thread, so they
// must be short and must never block (DESIGN.md "Threads").
//
// Thread safety: get() may be used from any thread (libusb contexts are thread-safe).
// StopEvents() and the destructor belong to the owner. Destroy everything that uses the
// context (device handles, hotplug registrations) between StopEvents() and the
// destructor, which calls libusb_exit().
#pragma once

#include <atomic>
#include <memory>
#include <thread>

#include "absl/status/statusor.h"

struct libusb_context;

namespace rollrig::host {

class UsbContext {
 public:
  // Initialises libusb and starts the event thread. UNAVAILABLE with libusb's error when
  // libusb cannot be initialised (no usbfs, for instance).
  static absl::StatusOr<std::unique_ptr<UsbContext>> Create();
  ~UsbContext();
  UsbContext(const UsbContext&) = delete;
  UsbContext& operator=(const UsbContext&) = delete;

  libusb_context* get() const { return ctx_; }
  // Stops and joins the event thread; idempotent. After it no callback runs.
  void StopEvents();

 private:
  explicit UsbContext(libusb_context* ctx);
  void EventLoop();

  libusb_context* const ctx_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace rollrig::host
