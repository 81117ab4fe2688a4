// The massager over USB with libusb: rigd's `--device usb` (the first device with
// VID:PID 1209:0001) and `--device usb:SERIAL`. The device's USB face is
// rig/usb/usb_face.h: vendor interface 0, bulk OUT 0x01, bulk IN 0x81, carrying the
// framing of rig/codec as a byte stream in both directions.
//
// Threads: one libusb context per transport with its own event thread (UsbContext).
// Several bulk-IN transfers stay in flight; their callbacks (on the event thread) only
// copy the bytes into a bounded ring and resubmit, never block. When the ring has no
// room for another full transfer a completed transfer waits (the device then NAKs, as
// USB flow control intends) and Read() resubmits it once it has taken bytes out: bytes
// are never dropped here. Writes go out one bulk-OUT transfer at a time; concurrent
// writers queue in turn, and each waits for its own transfer to complete.
//
// Connection: Open() looks among the devices present (kept current by hotplug callbacks,
// or by polling where hotplug is unsupported) for VID:PID and the serial (read from the
// serial string descriptor), opens it, detaches a kernel driver if one is bound, claims
// interface 0 and starts the IN transfers. The device leaving (hotplug) or a transfer
// ending in NO_DEVICE fails Read() with UNAVAILABLE at once; the next Open() finds the
// device again when it returns. A stalled endpoint is cleared and retried once.
//
// Errors (usb_errors.h): no device -> UNAVAILABLE "waiting for USB device 1209:0001
// (serial X) to be plugged in"; unplugged -> UNAVAILABLE "USB device 1209:0001 serial X
// was unplugged"; claimed by another program -> FAILED_PRECONDITION; no access ->
// PERMISSION_DENIED naming the udev rule; a write not taken within write_timeout ->
// DEADLINE_EXCEEDED.
//
// Thread safety: as Transport. Open() and Read() belong to one thread; Write() may come
// from any thread; Close() from any thread cancels the transfers, waits for their
// callbacks, releases the interface and closes the device, and makes a blocked Read()
// or Write() return at once.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "host/transport/transport.h"
#include "host/transport/usb_byte_ring.h"
#include "host/transport/usb_device_spec.h"

struct libusb_device;
struct libusb_device_handle;
struct libusb_transfer;

namespace rollrig::host {

class UsbContext;
class UsbDeviceWatcher;
enum class UsbDeviceEvent;

struct UsbTransportOptions {
  UsbDeviceSpec device;
  int in_transfers = 8;                 // bulk-IN transfers kept in flight
  size_t in_transfer_bytes = 4096;      // each; a multiple of the 64-byte packet
  size_t in_buffer_bytes = 256 * 1024;  // received bytes waiting for Read()
  absl::Duration write_timeout = absl::Seconds(1);
  bool force_polling = false;  // watch the device list by polling even if hotplug works
};

// What went over the bus, for tests and figures.
struct UsbTransportStats {
  uint64_t in_transfers = 0;  // completed bulk-IN transfers
  uint64_t in_bytes = 0;
  uint64_t in_parked = 0;  // times a transfer waited for room in the ring
  uint64_t out_transfers = 0;
  uint64_t out_bytes = 0;
  uint64_t stalls_cleared = 0;
  uint64_t opens = 0;  // successful Open()s
};

class UsbTransport final : public Transport {
 public:
  explicit UsbTransport(UsbTransportOptions options);
  ~UsbTransport() override;
  UsbTransport(const UsbTransport&) = delete;
  UsbTransport& operator=(const UsbTransport&) = delete;

  absl::Status Open() override;
  absl::Status Write(const uint8_t* data, size_t n) override;
  absl::StatusOr<size_t> Read(uint8_t* buf, size_t cap, absl::Duration timeout) override;
  void Close() override;
  // "usb:1209:0001 serial SIM-0001" (the serial once known or asked for).
  std::string Describe() const override;

  UsbTransportStats stats() const;
  // Whether arrivals and departures come from libusb hotplug (else polling). False before
  // the first Open().
  bool uses_hotplug() const;

 private:
  enum class State { kClosed, kOpen, kFailed };

  // One bulk-IN transfer and its buffer; the transfer's user_data points here.
  struct InSlot {
    UsbTransport* owner = nullptr;
    libusb_transfer* transfer = nullptr;
    std::vector<uint8_t> buffer;
    bool in_flight = false;     // submitted (or about to be), callback not yet run
    uint64_t submit_epoch = 0;  // clear_epoch_ when it was submitted
  };

  // Creates the libusb context, the watcher and the transfers on first use.
  absl::Status EnsureStarted();
  // Finds, opens and claims the device; the caller holds lifecycle_mu_.
  absl::Status OpenDevice();
  // Cancels the transfers, waits for their callbacks, releases and closes; the caller
  // holds lifecycle_mu_.
  void Teardown();
  // Counts `slot` as in flight; mu_ held, the connection open.
  void MarkSubmittingLocked(InSlot* slot);
  // Submits a slot counted by MarkSubmittingLocked(); a failure fails the connection.
  void SubmitIn(InSlot* slot);
  // Clears a halted bulk-IN endpoint and resubmits the stalled transfers; `lock` holds mu_.
  void RecoverInStall(std::unique_lock<std::mutex>& lock);
  // Records the first failure of the connection and wakes everyone; mu_ held.
  void FailLocked(absl::Status status);
  absl::Status ClosedStatus() const;  // mu_ held

  static void OnInTransfer(libusb_transfer* transfer);
  static void OnOutTransfer(libusb_transfer* transfer);
  void HandleIn(InSlot* slot);
  void HandleOut(libusb_transfer* transfer);
  void OnDeviceEvent(libusb_device* device, UsbDeviceEvent event);

  const UsbTransportOptions options_;  // sanitised

  mutable std::mutex lifecycle_mu_;  // Open(), Close()'s teardown, the destructor
  std::unique_ptr<UsbContext> context_;
  std::unique_ptr<UsbDeviceWatcher> watcher_;
  std::vector<std::unique_ptr<InSlot>> in_slots_;  // allocated once, reused by every Open()
  libusb_transfer* out_transfer_ = nullptr;

  std::mutex write_mu_;  // one OUT transfer at a time

  // Everything below is shared with the event thread: mu_ is held only for short copies
  // and bookkeeping, never across a libusb call.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  State state_ = State::kClosed;
  bool close_requested_ = false;
  absl::Status failure_;
  libusb_device_handle* handle_ = nullptr;
  libusb_device* device_ = nullptr;  // of handle_, to recognise its departure
  std::string label_;                // "USB device 1209:0001 serial SIM-0001"
  std::string serial_;               // of the device last opened
  // Transfers submitted (or about to be) whose callback has not run, plus libusb calls
  // on handle_ in progress outside mu_; Teardown() waits for zero.
  int pending_ = 0;
  int in_in_flight_ = 0;  // IN transfers in flight: ring_ always has room for all of them
  UsbByteRing ring_;
  std::vector<InSlot*> parked_;   // completed, waiting for room in ring_
  std::vector<InSlot*> stalled_;  // waiting for the halt to be cleared
  uint64_t clear_epoch_ = 0;      // halts cleared on the IN endpoint this connection
  bool stall_retried_ = false;    // cleared once since the last good transfer
  bool out_in_flight_ = false;
  bool out_done_ = false;
  int out_status_ = 0;
  int out_actual_ = 0;
  UsbTransportStats stats_;
};

}  // namespace rollrig::host
