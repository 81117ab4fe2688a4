#include "host/transport/usb_context.h"

#include <libusb.h>
#include <sys/time.h>

#include <chrono>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace rollrig::host {
namespace {

// The loop wakes at least this often even without events (StopEvents() also interrupts
// it at once); the period only bounds how long a missed wake-up could delay stopping.
constexpr suseconds_t kEventWaitUs = 200'000;

}  // namespace

absl::StatusOr<std::unique_ptr<UsbContext>> UsbContext::Create() {
  libusb_context* ctx = nullptr;
  const int rc = libusb_init(&ctx);
  if (rc != LIBUSB_SUCCESS) {
    return absl::UnavailableError(absl::StrCat("cannot initialise libusb: ", libusb_error_name(rc),
                                               " (", libusb_strerror(rc), ")"));
  }
  return std::unique_ptr<UsbContext>(new UsbContext(ctx));
}

UsbContext::UsbContext(libusb_context* ctx) : ctx_(ctx) {
  thread_ = std::thread([this] { EventLoop(); });
}

UsbContext::~UsbContext() {
  StopEvents();
  libusb_exit(ctx_);
}

void UsbContext::StopEvents() {
  if (!thread_.joinable()) return;
  stop_.store(true, std::memory_order_release);
  libusb_interrupt_event_handler(ctx_);
  thread_.join();
}

void UsbContext::EventLoop() {
  while (!stop_.load(std::memory_order_acquire)) {
    timeval tv{0, kEventWaitUs};
    const int rc = libusb_handle_events_timeout_completed(ctx_, &tv, nullptr);
    if (rc != LIBUSB_SUCCESS && rc != LIBUSB_ERROR_INTERRUPTED) {
      // A broken event source; do not spin on it.
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
}

}  // namespace rollrig::host
