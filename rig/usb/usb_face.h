// The device's USB face: what a host (rigd's libusb transport) and a firmware USB stack
// agree on. Plain constants, no OS: the firmware, the emulated device and the host all
// include this one file. rig/usb/README.md explains it for firmware authors.
#pragma once

#include <cstdint>

namespace rollrig::usb {

// pid.codes' test VID:PID until the prototype has its own.
inline constexpr uint16_t kVendorId = 0x1209;
inline constexpr uint16_t kProductId = 0x0001;

// One configuration, one vendor-specific interface with two bulk endpoints.
inline constexpr uint8_t kConfigurationValue = 1;
inline constexpr uint8_t kInterfaceNumber = 0;
inline constexpr uint8_t kInterfaceClassVendor = 0xff;
inline constexpr uint8_t kBulkOutEndpoint = 0x01;  // host -> device: framed HostMessages
inline constexpr uint8_t kBulkInEndpoint = 0x81;   // device -> host: framed DeviceMessages
inline constexpr uint16_t kMaxPacketSize = 64;     // full speed bulk

// String descriptor indices (iManufacturer, iProduct, iSerialNumber).
inline constexpr uint8_t kManufacturerStringIndex = 1;
inline constexpr uint8_t kProductStringIndex = 2;
inline constexpr uint8_t kSerialStringIndex = 3;

// Full speed: a 1 ms frame carries at most 19 bulk packets of 64 bytes (USB 2.0 §5.8.4),
// 1.216 MB/s at best; real hosts give bulk about 1 MB/s.
inline constexpr int kMaxBulkPacketsPerFrame = 19;

}  // namespace rollrig::usb
