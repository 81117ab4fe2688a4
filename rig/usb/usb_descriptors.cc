#include "rig/usb/usb_descriptors.h"

namespace rollrig::usb {
namespace {

constexpr uint8_t Low(uint16_t v) { return static_cast<uint8_t>(v & 0xff); }
constexpr uint8_t High(uint16_t v) { return static_cast<uint8_t>(v >> 8); }

// Decodes one UTF-8 sequence at text[*i]; advances *i. Returns U+FFFD for anything that is
// not a well-formed character of the Basic Multilingual Plane.
uint16_t NextCodeUnit(const char* text, size_t length, size_t* i) {
  constexpr uint16_t kReplacement = 0xfffd;
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  const uint8_t lead = byte(*i);
  size_t extra = 0;
  uint32_t code = 0;
  if (lead < 0x80) {
    ++*i;
    return lead;
  } else if ((lead & 0xe0) == 0xc0) {
    extra = 1;
    code = lead & 0x1f;
  } else if ((lead & 0xf0) == 0xe0) {
    extra = 2;
    code = lead & 0x0f;
  } else {
    ++*i;  // 4-byte sequences (outside the BMP) and stray bytes
    while (*i < length && (byte(*i) & 0xc0) == 0x80) ++*i;
    return kReplacement;
  }
  ++*i;
  for (size_t k = 0; k < extra; ++k, ++*i) {
    if (*i >= length || (byte(*i) & 0xc0) != 0x80) return kReplacement;
    code = (code << 6) | (byte(*i) & 0x3f);
  }
  if (code >= 0xd800 && code <= 0xdfff) return kReplacement;
  return static_cast<uint16_t>(code);
}

}  // namespace

std::array<uint8_t, kDeviceDescriptorSize> BuildDeviceDescriptor(uint16_t vendor_id,
                                                                 uint16_t product_id,
                                                                 uint16_t device_release) {
  return {kDeviceDescriptorSize,
          kDescriptorTypeDevice,
          0x00,
          0x02,  // bcdUSB 2.00
          0x00,  // bDeviceClass: per interface
          0x00,
          0x00,  // subclass, protocol
          64,    // bMaxPacketSize0
          Low(vendor_id),
          High(vendor_id),
          Low(product_id),
          High(product_id),
          Low(device_release),
          High(device_release),
          kManufacturerStringIndex,
          kProductStringIndex,
          kSerialStringIndex,
          1};  // bNumConfigurations
}

std::array<uint8_t, kConfigurationDescriptorSize> BuildConfigurationDescriptor() {
  constexpr uint16_t kTotal = kConfigurationDescriptorSize;
  return {// Configuration
          9, kDescriptorTypeConfiguration, Low(kTotal), High(kTotal),
          1,  // bNumInterfaces
          kConfigurationValue,
          0,     // iConfiguration
          0x80,  // bmAttributes: bus powered
          50,    // bMaxPower: 100 mA
                 // Interface 0, vendor specific, two endpoints
          9, kDescriptorTypeInterface, kInterfaceNumber, 0, 2, kInterfaceClassVendor, 0, 0, 0,
          // Bulk OUT
          7, kDescriptorTypeEndpoint, kBulkOutEndpoint, 0x02, Low(kMaxPacketSize),
          High(kMaxPacketSize), 0,
          // Bulk IN
          7, kDescriptorTypeEndpoint, kBulkInEndpoint, 0x02, Low(kMaxPacketSize),
          High(kMaxPacketSize), 0};
}

std::array<uint8_t, 4> BuildLanguageIdDescriptor() {
  return {4, kDescriptorTypeString, Low(kLanguageIdEnglishUs), High(kLanguageIdEnglishUs)};
}

size_t BuildStringDescriptor(const char* utf8, size_t utf8_length, uint8_t* out, size_t capacity) {
  size_t units = 0;
  for (size_t i = 0; i < utf8_length; ++units) NextCodeUnit(utf8, utf8_length, &i);
  if (units > 126) return 0;
  const size_t total = 2 + 2 * units;
  if (capacity < total) return 0;
  out[0] = static_cast<uint8_t>(total);
  out[1] = kDescriptorTypeString;
  size_t at = 2;
  for (size_t i = 0; i < utf8_length;) {
    const uint16_t unit = NextCodeUnit(utf8, utf8_length, &i);
    out[at++] = Low(unit);
    out[at++] = High(unit);
  }
  return total;
}

}  // namespace rollrig::usb
