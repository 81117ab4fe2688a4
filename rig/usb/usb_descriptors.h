// The device's standard USB descriptors, built from usb_face.h. OS-free and heap-free:
// a firmware's USB stack answers GET_DESCRIPTOR from these bytes, and the emulated
// device (usb_emulator.h) serves the very same ones, so the two cannot drift apart.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "rig/usb/usb_face.h"

namespace rollrig::usb {

inline constexpr uint8_t kDescriptorTypeDevice = 1;
inline constexpr uint8_t kDescriptorTypeConfiguration = 2;
inline constexpr uint8_t kDescriptorTypeString = 3;
inline constexpr uint8_t kDescriptorTypeInterface = 4;
inline constexpr uint8_t kDescriptorTypeEndpoint = 5;

inline constexpr size_t kDeviceDescriptorSize = 18;
// Configuration (9) + interface (9) + two endpoints (7 each).
inline constexpr size_t kConfigurationDescriptorSize = 9 + 9 + 7 + 7;
// A string descriptor holds at most 126 UTF-16 code units (bLength is one byte).
inline constexpr size_t kMaxStringDescriptorSize = 2 + 2 * 126;
inline constexpr uint16_t kLanguageIdEnglishUs = 0x0409;
inline constexpr uint16_t kDeviceRelease = 0x0100;  // bcdDevice 1.00

// The 18-byte device descriptor: USB 2.0, class defined per interface, 64-byte EP0,
// strings at kManufacturerStringIndex / kProductStringIndex / kSerialStringIndex.
std::array<uint8_t, kDeviceDescriptorSize> BuildDeviceDescriptor(
    uint16_t vendor_id = kVendorId, uint16_t product_id = kProductId,
    uint16_t device_release = kDeviceRelease);

// The whole configuration as GET_DESCRIPTOR(CONFIGURATION) returns it: configuration 1,
// bus powered 100 mA, vendor interface 0 with bulk OUT kBulkOutEndpoint and bulk IN
// kBulkInEndpoint of kMaxPacketSize bytes.
std::array<uint8_t, kConfigurationDescriptorSize> BuildConfigurationDescriptor();

// String descriptor 0: the supported language IDs (English, US only).
std::array<uint8_t, 4> BuildLanguageIdDescriptor();

// A string descriptor for `utf8` (UTF-16LE; characters beyond the Basic Multilingual
// Plane and malformed bytes become U+FFFD). Writes at most `capacity` bytes to `out` and
// returns the descriptor's full length, or 0 when the text is longer than 126 code units
// or `capacity` is too small.
size_t BuildStringDescriptor(const char* utf8, size_t utf8_length, uint8_t* out, size_t capacity);

}  // namespace rollrig::usb
