#include "host/transport/usb_transport.h"

#include <libusb.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "host/transport/usb_context.h"
#include "host/transport/usb_device_ref.h"
#include "host/transport/usb_device_watcher.h"
#include "host/transport/usb_errors.h"
#include "rig/usb/usb_face.h"

namespace rollrig::host {
namespace {

// Teardown() cancels again this often while callbacks are outstanding: a transfer being
// submitted by another thread at the first cancel is caught by the next.
constexpr auto kCancelRetry = std::chrono::milliseconds(20);
// Extra wait for a bulk-OUT callback beyond the transfer's own libusb timeout, after which
// the transfer is cancelled (a guard; libusb always calls back).
constexpr auto kOutCallbackGrace = std::chrono::seconds(1);

UsbTransportOptions Sanitised(UsbTransportOptions o) {
  o.in_transfers = std::clamp(o.in_transfers, 1, 64);
  const size_t packet = usb::kMaxPacketSize;
  o.in_transfer_bytes =
      std::clamp<size_t>((o.in_transfer_bytes + packet - 1) / packet * packet, packet, 1 << 20);
  // Room for every transfer in flight plus as much again waiting for Read().
  o.in_buffer_bytes =
      std::max(o.in_buffer_bytes, 2 * o.in_transfer_bytes * static_cast<size_t>(o.in_transfers));
  if (o.write_timeout < absl::Milliseconds(1)) o.write_timeout = absl::Milliseconds(1);
  return o;
}

std::string Hex(unsigned value) { return absl::StrFormat("0x%02x", value); }

// Reads the serial string descriptor ("" when the device has none).
int ReadSerial(libusb_device_handle* handle, libusb_device* device, std::string* serial) {
  libusb_device_descriptor desc{};
  int rc = libusb_get_device_descriptor(device, &desc);
  if (rc != LIBUSB_SUCCESS) return rc;
  serial->clear();
  if (desc.iSerialNumber == 0) return LIBUSB_SUCCESS;
  unsigned char text[256];
  rc = libusb_get_string_descriptor_ascii(handle, desc.iSerialNumber, text, sizeof(text));
  if (rc < 0) return rc;
  serial->assign(reinterpret_cast<const char*>(text), static_cast<size_t>(rc));
  return LIBUSB_SUCCESS;
}

// OK when interface 0 has the device protocol's bulk endpoints.
absl::Status CheckEndpoints(libusb_device* device, const std::string& label) {
  libusb_config_descriptor* config = nullptr;
  const int rc = libusb_get_active_config_descriptor(device, &config);
  if (rc != LIBUSB_SUCCESS) {
    return UsbErrorToStatus(rc, label, "reading the configuration descriptor");
  }
  bool in = false;
  bool out = false;
  for (int i = 0; i < config->bNumInterfaces; ++i) {
    const libusb_interface& iface = config->interface[i];
    for (int a = 0; a < iface.num_altsetting; ++a) {
      const libusb_interface_descriptor& alt = iface.altsetting[a];
      if (alt.bInterfaceNumber != usb::kInterfaceNumber || alt.bAlternateSetting != 0) continue;
      for (int e = 0; e < alt.bNumEndpoints; ++e) {
        const libusb_endpoint_descriptor& ep = alt.endpoint[e];
        if ((ep.bmAttributes & 0x03) != LIBUSB_TRANSFER_TYPE_BULK) continue;
        in = in || ep.bEndpointAddress == usb::kBulkInEndpoint;
        out = out || ep.bEndpointAddress == usb::kBulkOutEndpoint;
      }
    }
  }
  libusb_free_config_descriptor(config);
  if (in && out) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat(label, " is not a rollrig device: interface ", usb::kInterfaceNumber,
                   " lacks the bulk endpoints ", Hex(usb::kBulkOutEndpoint), " and ",
                   Hex(usb::kBulkInEndpoint), " (wrong firmware?)"));
}

}  // namespace

UsbTransport::UsbTransport(UsbTransportOptions options)
    : options_(Sanitised(std::move(options))), ring_(options_.in_buffer_bytes) {}

UsbTransport::~UsbTransport() {
  Close();
  std::lock_guard<std::mutex> life(lifecycle_mu_);
  // No callback may run while the watcher and the transfers go away.
  if (context_ != nullptr) context_->StopEvents();
  watcher_.reset();
  for (const std::unique_ptr<InSlot>& slot : in_slots_) libusb_free_transfer(slot->transfer);
  if (out_transfer_ != nullptr) libusb_free_transfer(out_transfer_);
  context_.reset();
}

std::string UsbTransport::Describe() const {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string& serial = serial_.empty() ? options_.device.serial : serial_;
  if (serial.empty()) return absl::StrCat("usb:", options_.device.VidPid());
  return absl::StrCat("usb:", options_.device.VidPid(), " serial ", serial);
}

UsbTransportStats UsbTransport::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

bool UsbTransport::uses_hotplug() const {
  std::lock_guard<std::mutex> life(lifecycle_mu_);
  return watcher_ != nullptr && watcher_->uses_hotplug();
}

absl::Status UsbTransport::ClosedStatus() const {
  const std::string who = label_.empty() ? options_.device.Wanted() : label_;
  return absl::UnavailableError(absl::StrCat(who, ": USB transport closed"));
}

void UsbTransport::FailLocked(absl::Status status) {
  if (state_ == State::kOpen) {
    state_ = State::kFailed;
    failure_ = std::move(status);
  }
  cv_.notify_all();
}

absl::Status UsbTransport::EnsureStarted() {
  if (context_ != nullptr) return absl::OkStatus();
  absl::StatusOr<std::unique_ptr<UsbContext>> context = UsbContext::Create();
  if (!context.ok()) {
    // Retried by the next Open(): usbfs may appear later (a container given the bus).
    return absl::UnavailableError(absl::StrCat(UsbWaitingForDevice(options_.device).message(), "; ",
                                               context.status().message(),
                                               " (no USB support on this machine?)"));
  }
  UsbDeviceWatcherOptions watch;
  watch.vendor_id = options_.device.vendor_id;
  watch.product_id = options_.device.product_id;
  watch.force_polling = options_.force_polling;
  absl::StatusOr<std::unique_ptr<UsbDeviceWatcher>> watcher = UsbDeviceWatcher::Create(
      (*context)->get(), watch,
      [this](libusb_device* device, UsbDeviceEvent event) { OnDeviceEvent(device, event); });
  if (!watcher.ok()) return watcher.status();
  for (int i = 0; i < options_.in_transfers; ++i) {
    auto slot = std::make_unique<InSlot>();
    slot->owner = this;
    slot->transfer = libusb_alloc_transfer(0);
    slot->buffer.resize(options_.in_transfer_bytes);
    in_slots_.push_back(std::move(slot));
  }
  out_transfer_ = libusb_alloc_transfer(0);
  context_ = std::move(*context);
  watcher_ = std::move(*watcher);
  return absl::OkStatus();
}

absl::Status UsbTransport::Open() {
  std::lock_guard<std::mutex> life(lifecycle_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    close_requested_ = false;
  }
  Teardown();  // the previous connection, if any
  if (absl::Status status = EnsureStarted(); !status.ok()) return status;
  return OpenDevice();
}

absl::Status UsbTransport::OpenDevice() {
  const UsbDeviceSpec& spec = options_.device;
  std::vector<UsbDeviceRef> devices = watcher_->Present();
  std::vector<std::string> other_serials;
  absl::Status lookup_error;  // the first device that could not be looked at
  libusb_device_handle* handle = nullptr;
  std::string serial;
  for (const UsbDeviceRef& device : devices) {
    const std::string where =
        absl::StrCat(UsbDeviceLabel(spec, ""), " at bus ", libusb_get_bus_number(device.get()),
                     " address ", libusb_get_device_address(device.get()));
    libusb_device_handle* h = nullptr;
    int rc = libusb_open(device.get(), &h);
    if (rc == LIBUSB_SUCCESS) rc = ReadSerial(h, device.get(), &serial);
    if (rc != LIBUSB_SUCCESS) {
      if (h != nullptr) libusb_close(h);
      const char* doing = h == nullptr ? "opening the device" : "reading its serial number";
      if (rc != LIBUSB_ERROR_NO_DEVICE && lookup_error.ok()) {
        lookup_error = UsbErrorToStatus(rc, where, doing);
      }
      continue;
    }
    if (!spec.serial.empty() && serial != spec.serial) {
      other_serials.push_back(serial.empty() ? "(none)" : serial);
      libusb_close(h);
      continue;
    }
    handle = h;
    break;
  }
  if (handle == nullptr) {
    if (lookup_error.code() == absl::StatusCode::kPermissionDenied) return lookup_error;
    absl::Status waiting = UsbWaitingForDevice(spec, other_serials);
    if (lookup_error.ok()) return waiting;
    return absl::UnavailableError(
        absl::StrCat(waiting.message(), "; one could not be used: ", lookup_error.message()));
  }

  const std::string label = UsbDeviceLabel(spec, serial);
  libusb_device* device = libusb_get_device(handle);
  auto give_up = [&](absl::Status status) {
    libusb_close(handle);
    return status;
  };
  if (absl::Status ok = CheckEndpoints(device, label); !ok.ok()) return give_up(ok);
  // Detaches a kernel driver bound to the interface, and reattaches it on release.
  // Unsupported on some platforms, where no driver binds to a vendor interface anyway.
  libusb_set_auto_detach_kernel_driver(handle, 1);
  if (const int rc = libusb_claim_interface(handle, usb::kInterfaceNumber); rc != 0) {
    return give_up(
        UsbErrorToStatus(rc, label, absl::StrCat("claiming interface ", usb::kInterfaceNumber)));
  }
  for (const std::unique_ptr<InSlot>& slot : in_slots_) {
    libusb_fill_bulk_transfer(slot->transfer, handle, usb::kBulkInEndpoint, slot->buffer.data(),
                              static_cast<int>(slot->buffer.size()), &UsbTransport::OnInTransfer,
                              slot.get(), /*timeout=*/0);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    handle_ = handle;
    device_ = device;
    label_ = label;
    serial_ = serial;
    state_ = State::kOpen;
    failure_ = absl::OkStatus();
    ring_.Clear();
    parked_.clear();
    stalled_.clear();
    clear_epoch_ = 0;
    stall_retried_ = false;
    for (const std::unique_ptr<InSlot>& slot : in_slots_) MarkSubmittingLocked(slot.get());
  }
  for (const std::unique_ptr<InSlot>& slot : in_slots_) SubmitIn(slot.get());
  absl::Status status;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (close_requested_) {
      status = ClosedStatus();
    } else if (state_ != State::kOpen) {
      status = failure_;
    } else {
      ++stats_.opens;
    }
  }
  if (!status.ok()) Teardown();
  return status;
}

void UsbTransport::MarkSubmittingLocked(InSlot* slot) {
  slot->in_flight = true;
  slot->submit_epoch = clear_epoch_;
  ++pending_;
  ++in_in_flight_;
}

void UsbTransport::SubmitIn(InSlot* slot) {
  const int rc = libusb_submit_transfer(slot->transfer);
  if (rc == LIBUSB_SUCCESS) return;
  std::lock_guard<std::mutex> lock(mu_);
  slot->in_flight = false;
  --pending_;
  --in_in_flight_;
  FailLocked(UsbErrorToStatus(
      rc, label_, absl::StrCat("submitting a transfer on endpoint ", Hex(usb::kBulkInEndpoint))));
}

void UsbTransport::OnInTransfer(libusb_transfer* transfer) {
  auto* slot = static_cast<InSlot*>(transfer->user_data);
  slot->owner->HandleIn(slot);
}

void UsbTransport::HandleIn(InSlot* slot) {
  libusb_transfer* t = slot->transfer;
  bool resubmit = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    slot->in_flight = false;
    --pending_;
    --in_in_flight_;
    if (state_ != State::kOpen) {
      cv_.notify_all();  // Teardown() may be waiting for this callback
      return;
    }
    const size_t room_for_next = (static_cast<size_t>(in_in_flight_) + 1) * slot->buffer.size();
    switch (t->status) {
      case LIBUSB_TRANSFER_COMPLETED:
        // Always fits: the ring keeps room for every transfer in flight.
        if (!ring_.Push(t->buffer, static_cast<size_t>(t->actual_length))) {
          FailLocked(absl::InternalError(absl::StrCat(label_, ": USB receive buffer overrun")));
          break;
        }
        ++stats_.in_transfers;
        stats_.in_bytes += static_cast<uint64_t>(t->actual_length);
        stall_retried_ = false;
        if (ring_.free() >= room_for_next) {
          MarkSubmittingLocked(slot);
          resubmit = true;
        } else {
          parked_.push_back(slot);  // Read() resubmits it once it has taken bytes out
          ++stats_.in_parked;
        }
        break;
      case LIBUSB_TRANSFER_TIMED_OUT:  // IN transfers have no timeout; harmless if seen
        MarkSubmittingLocked(slot);
        resubmit = true;
        break;
      case LIBUSB_TRANSFER_STALL:
        if (slot->submit_epoch < clear_epoch_) {
          // Submitted before the last clear: that halt is already dealt with.
          MarkSubmittingLocked(slot);
          resubmit = true;
        } else {
          stalled_.push_back(slot);  // Read() clears the halt (a blocking call)
        }
        break;
      default:
        FailLocked(UsbTransferStatusToStatus(t->status, label_, usb::kBulkInEndpoint));
        break;
    }
    cv_.notify_all();
  }
  if (resubmit) SubmitIn(slot);
}

void UsbTransport::RecoverInStall(std::unique_lock<std::mutex>& lock) {
  if (stall_retried_) {
    FailLocked(UsbTransferStatusToStatus(LIBUSB_TRANSFER_STALL, label_, usb::kBulkInEndpoint));
    return;
  }
  stall_retried_ = true;
  std::vector<InSlot*> stalled;
  stalled.swap(stalled_);
  libusb_device_handle* handle = handle_;
  ++pending_;  // a libusb call on handle_ outside mu_
  lock.unlock();
  const int rc = libusb_clear_halt(handle, usb::kBulkInEndpoint);
  lock.lock();
  --pending_;
  cv_.notify_all();
  if (rc != LIBUSB_SUCCESS) {
    FailLocked(UsbErrorToStatus(
        rc, label_, absl::StrCat("clearing the halt on endpoint ", Hex(usb::kBulkInEndpoint))));
    return;
  }
  ++stats_.stalls_cleared;
  ++clear_epoch_;
  if (state_ != State::kOpen) return;
  for (InSlot* slot : stalled) MarkSubmittingLocked(slot);
  lock.unlock();
  for (InSlot* slot : stalled) SubmitIn(slot);
  lock.lock();
}

absl::StatusOr<size_t> UsbTransport::Read(uint8_t* buf, size_t cap, absl::Duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() +
                        absl::ToChronoNanoseconds(std::max(timeout, absl::ZeroDuration()));
  std::vector<InSlot*> resubmit;
  size_t got = 0;
  {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      if (close_requested_ || state_ == State::kClosed) return ClosedStatus();
      if (!ring_.empty()) {
        // Bytes that arrived before a failure are still delivered; the failure follows.
        got = ring_.Pop(buf, cap);
        if (state_ == State::kOpen) {
          while (!parked_.empty() && ring_.free() >= (static_cast<size_t>(in_in_flight_) + 1) *
                                                         options_.in_transfer_bytes) {
            InSlot* slot = parked_.back();
            parked_.pop_back();
            MarkSubmittingLocked(slot);
            resubmit.push_back(slot);
          }
        }
        break;
      }
      if (state_ == State::kFailed) return failure_;
      if (!stalled_.empty()) {
        RecoverInStall(lock);
        continue;
      }
      if (cap == 0 || std::chrono::steady_clock::now() >= deadline) return size_t{0};
      cv_.wait_until(lock, deadline);
    }
  }
  for (InSlot* slot : resubmit) SubmitIn(slot);
  return got;
}

void UsbTransport::OnOutTransfer(libusb_transfer* transfer) {
  static_cast<UsbTransport*>(transfer->user_data)->HandleOut(transfer);
}

void UsbTransport::HandleOut(libusb_transfer* transfer) {
  std::lock_guard<std::mutex> lock(mu_);
  out_in_flight_ = false;
  --pending_;
  out_done_ = true;
  out_status_ = transfer->status;
  out_actual_ = transfer->actual_length;
  if (transfer->status == LIBUSB_TRANSFER_NO_DEVICE) FailLocked(UsbDeviceUnplugged(label_));
  cv_.notify_all();
}

absl::Status UsbTransport::Write(const uint8_t* data, size_t n) {
  if (n == 0) return absl::OkStatus();
  if (n > static_cast<size_t>(INT32_MAX)) {
    return absl::InvalidArgumentError(absl::StrCat("USB write of ", n, " bytes is too large"));
  }
  std::lock_guard<std::mutex> write_lock(write_mu_);
  const unsigned timeout_ms = static_cast<unsigned>(
      std::max<int64_t>(1, absl::ToInt64Milliseconds(options_.write_timeout)));
  bool cleared_halt = false;
  for (;;) {
    libusb_device_handle* handle;
    std::string label;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (close_requested_ || state_ == State::kClosed) return ClosedStatus();
      if (state_ == State::kFailed) return failure_;
      handle = handle_;
      label = label_;
      out_in_flight_ = true;
      out_done_ = false;
      ++pending_;
    }
    // libusb reads the buffer only while the transfer is in flight, and this call waits
    // for its callback, so the caller's bytes need no copy.
    libusb_fill_bulk_transfer(out_transfer_, handle, usb::kBulkOutEndpoint,
                              const_cast<uint8_t*>(data), static_cast<int>(n),
                              &UsbTransport::OnOutTransfer, this, timeout_ms);
    const int rc = libusb_submit_transfer(out_transfer_);
    std::unique_lock<std::mutex> lock(mu_);
    if (rc != LIBUSB_SUCCESS) {
      out_in_flight_ = false;
      --pending_;
      cv_.notify_all();
      if (rc == LIBUSB_ERROR_NO_DEVICE) FailLocked(UsbDeviceUnplugged(label));
      return UsbErrorToStatus(rc, label,
                              absl::StrCat("sending on endpoint ", Hex(usb::kBulkOutEndpoint)));
    }
    const auto guard = std::chrono::steady_clock::now() +
                       absl::ToChronoMilliseconds(options_.write_timeout) + kOutCallbackGrace;
    if (!cv_.wait_until(lock, guard, [this] { return out_done_; })) {
      lock.unlock();
      libusb_cancel_transfer(out_transfer_);
      lock.lock();
      cv_.wait(lock, [this] { return out_done_; });
    }
    const int status = out_status_;
    const int actual = out_actual_;
    if (status == LIBUSB_TRANSFER_COMPLETED) {
      ++stats_.out_transfers;
      stats_.out_bytes += static_cast<uint64_t>(actual);
      if (static_cast<size_t>(actual) == n) return absl::OkStatus();
      return absl::UnavailableError(absl::StrCat(label, ": the device took only ", actual, " of ",
                                                 n, " bytes on endpoint ",
                                                 Hex(usb::kBulkOutEndpoint)));
    }
    if (status == LIBUSB_TRANSFER_CANCELLED && (close_requested_ || state_ == State::kClosed)) {
      return ClosedStatus();
    }
    if (status == LIBUSB_TRANSFER_TIMED_OUT) {
      return absl::DeadlineExceededError(absl::StrCat(
          label, ": the device did not take ", n, " bytes on endpoint ", Hex(usb::kBulkOutEndpoint),
          " within ", absl::FormatDuration(options_.write_timeout),
          " (it stopped reading commands: firmware hung?)"));
    }
    if (status == LIBUSB_TRANSFER_STALL && !cleared_halt && state_ == State::kOpen && actual == 0) {
      // Clear the halt and send once more; a second stall is reported.
      cleared_halt = true;
      ++pending_;
      lock.unlock();
      const int clear_rc = libusb_clear_halt(handle, usb::kBulkOutEndpoint);
      lock.lock();
      --pending_;
      cv_.notify_all();
      if (clear_rc != LIBUSB_SUCCESS) {
        return UsbErrorToStatus(
            clear_rc, label,
            absl::StrCat("clearing the halt on endpoint ", Hex(usb::kBulkOutEndpoint)));
      }
      ++stats_.stalls_cleared;
      continue;
    }
    if (status == LIBUSB_TRANSFER_NO_DEVICE) return UsbDeviceUnplugged(label);
    return UsbTransferStatusToStatus(status, label, usb::kBulkOutEndpoint);
  }
}

void UsbTransport::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    close_requested_ = true;
    cv_.notify_all();  // a blocked Read() returns now
  }
  std::lock_guard<std::mutex> life(lifecycle_mu_);
  Teardown();
}

void UsbTransport::Teardown() {
  libusb_device_handle* handle;
  {
    std::lock_guard<std::mutex> lock(mu_);
    handle = handle_;
    state_ = State::kClosed;  // nothing is submitted from now on
    cv_.notify_all();
    if (handle == nullptr) return;
  }
  // Cancel what is in flight and wait for every callback. A transfer is cancelled only
  // while flagged in flight, and handle_ stays open until all have called back, so a
  // cancel never touches a finished connection.
  for (;;) {
    std::vector<libusb_transfer*> to_cancel;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (pending_ == 0) break;
      for (const std::unique_ptr<InSlot>& slot : in_slots_) {
        if (slot->in_flight) to_cancel.push_back(slot->transfer);
      }
      if (out_in_flight_) to_cancel.push_back(out_transfer_);
    }
    for (libusb_transfer* t : to_cancel) libusb_cancel_transfer(t);
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, kCancelRetry, [this] { return pending_ == 0; });
  }
  // Errors here mean the device is already gone, which is what closing wants anyway.
  libusb_release_interface(handle, usb::kInterfaceNumber);
  libusb_close(handle);
  std::lock_guard<std::mutex> lock(mu_);
  handle_ = nullptr;
  device_ = nullptr;
  ring_.Clear();
  parked_.clear();
  stalled_.clear();
}

void UsbTransport::OnDeviceEvent(libusb_device* device, UsbDeviceEvent event) {
  if (event != UsbDeviceEvent::kLeft) return;  // arrivals: the next Open() finds it
  std::lock_guard<std::mutex> lock(mu_);
  if (device_ != nullptr && device == device_) FailLocked(UsbDeviceUnplugged(label_));
}

}  // namespace rollrig::host
