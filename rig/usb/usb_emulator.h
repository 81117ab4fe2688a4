// The simulated massager as a USB device: libumockdev fakes /sys and /dev/bus/usb for
// every process under its preload (umockdev_preload.h), and this class answers the
// usbfs ioctls that unmodified libusb issues, carrying the device's byte stream
// (rig/sim/device_pipe.h) over bulk transfers as rig/usb/README.md describes.
//
// Model of the bus: full speed. At most max_packets_per_frame packets of kMaxPacketSize
// bytes move per 1 ms frame, both directions together. A bulk OUT transfer reaches the
// device once all its packets have moved; a bulk IN transfer completes when its buffer
// is full or at a short packet, and a device with no more data ends a transfer that
// holds data on a packet boundary with a zero-length packet, as a firmware should.
// Control transfers (GET_DESCRIPTOR for device, configuration and strings, GET_STATUS,
// GET/SET_CONFIGURATION, SET_INTERFACE, CLEAR_FEATURE) complete at once; others stall.
//
// Claims are per open device handle, as with usbfs: a second handle claiming interface 0
// while another holds it gets EBUSY; a handle's claim ends with its process.
//
// Threads: umockdev's worker thread runs the ioctl handlers (they never block); a reader
// thread blocks on the device for output while IN transfers have room; a pump thread
// moves the packets, pacing the frames. Public methods are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "rig/sim/device_pipe.h"
#include "rig/usb/usb_face.h"

namespace rollrig::usb {

struct EmulatedDeviceIdentity {
  uint16_t vendor_id = kVendorId;
  uint16_t product_id = kProductId;
  std::string serial = "SIM-0001";
  std::string manufacturer = "rollrig";
  std::string product = "rollrig massager (simulated)";
};

struct UsbEmulatorOptions {
  EmulatedDeviceIdentity identity;
  int max_packets_per_frame = kMaxBulkPacketsPerFrame;
  bool plugged_at_start = true;
};

struct UsbEmulatorStats {
  // URBs submitted by hosts, and reaped back by them.
  uint64_t bulk_out_urbs = 0;
  uint64_t bulk_in_urbs = 0;
  uint64_t control_urbs = 0;
  uint64_t urbs_reaped = 0;
  uint64_t urbs_discarded = 0;  // cancelled by the host (DISCARDURB)
  uint64_t urbs_failed_unplug = 0;
  // Bulk payload bytes and packets each way (zero-length packets count as packets).
  uint64_t bytes_out = 0;
  uint64_t bytes_in = 0;
  uint64_t device_bytes_discarded = 0;  // device output dropped at a plug (for a new host)
  uint64_t packets_out = 0;
  uint64_t packets_in = 0;
  // Frames in which any bulk packet moved; those that used the whole packet budget; the
  // most packets seen in one frame (never above max_packets_per_frame).
  uint64_t busy_frames = 0;
  uint64_t frames_at_packet_budget = 0;
  int max_packets_in_a_frame = 0;
  uint64_t plugs = 0;
  uint64_t unplugs = 0;
  uint64_t resets = 0;       // Reset() calls (re-enumerations)
  uint64_t host_resets = 0;  // USBDEVFS_RESET from a host
  int claimants = 0;         // handles holding interface 0 now (0 or 1)
  int open_handles = 0;      // open usbfs handles on the current device
  int device_number = 0;     // current devnum on bus 1 (0 while unplugged)
};

class UsbEmulator {
 public:
  // Needs the umockdev preload in this process (FAILED_PRECONDITION naming it
  // otherwise) and at most one emulator per process. `device` is the simulated device's
  // byte pipe (e.g. a started sim::SimRunner): not owned, must outlive the emulator.
  static absl::StatusOr<std::unique_ptr<UsbEmulator>> Create(sim::DevicePipe* device,
                                                             const UsbEmulatorOptions& options);
  // Unplugs the device. Clients in this process should have closed their handles first.
  ~UsbEmulator();
  UsbEmulator(const UsbEmulator&) = delete;
  UsbEmulator& operator=(const UsbEmulator&) = delete;

  // The device appears: sysfs entry and "add" uevent, with a new device number each
  // time; the device pipes are discarded so the host starts clean. No-op when plugged.
  void Plug();
  // The device disappears: in-flight URBs fail with -ESHUTDOWN, a "remove" uevent goes
  // out, and every later ioctl on its handles fails with ENODEV. No-op when unplugged.
  void Unplug();
  // A device reset as the host sees it: re-enumeration with the same serial.
  void Reset();
  bool plugged() const;
  // The usbfs node of the current device, e.g. /dev/bus/usb/001/002 ("" when unplugged).
  std::string device_node() const;
  UsbEmulatorStats stats() const;

  struct Impl;

 private:
  explicit UsbEmulator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rollrig::usb
