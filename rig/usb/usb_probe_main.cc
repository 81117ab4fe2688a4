// usb_probe: a minimal libusb client for the tests of rig-sim --usb, run as COMMAND inside
// the emulated environment. Finds the first 1209:0001 device.
//   usb_probe hello          claims it, says Hello, prints "usb=SERIAL device=SERIAL"
//                            (the string descriptor and the DeviceInfo answer)
//   usb_probe claim HOLD_MS  claims interface 0 and holds it HOLD_MS milliseconds
// Exit status: 0 done, 2 usage, 3 interface busy, 4 no device, 5 other libusb error.
#include <libusb.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "rig/sim/sim_test_host.h"
#include "rig/usb/usb_face.h"

namespace {

int Fail(int code, const char* what, int r) {
  std::fprintf(stderr, "usb_probe: %s: %s\n", what, libusb_error_name(r));
  return code;
}

int Hello(libusb_device_handle* h) {
  unsigned char text[128];
  const int n =
      libusb_get_string_descriptor_ascii(h, rollrig::usb::kSerialStringIndex, text, sizeof text);
  if (n < 0) return Fail(5, "serial string", n);
  rollrig::sim::TestHost host;
  std::vector<uint8_t> hello;
  host.Encode(rollrig::sim::Hello(1), &hello);
  int done = 0;
  int r = libusb_bulk_transfer(h, rollrig::usb::kBulkOutEndpoint, hello.data(),
                               static_cast<int>(hello.size()), &done, 3000);
  if (r != 0) return Fail(5, "bulk OUT", r);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::vector<uint8_t> buf(4096);
  while (host.infos.empty() && std::chrono::steady_clock::now() < deadline) {
    r = libusb_bulk_transfer(h, rollrig::usb::kBulkInEndpoint, buf.data(),
                             static_cast<int>(buf.size()), &done, 500);
    if (r == 0) host.Decode(std::vector<uint8_t>(buf.begin(), buf.begin() + done));
  }
  if (host.infos.empty()) return Fail(5, "no DeviceInfo", LIBUSB_ERROR_TIMEOUT);
  std::printf("usb=%s device=%s\n", std::string(reinterpret_cast<char*>(text), n).c_str(),
              host.infos[0].serial().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  int hold_ms = 0;
  if (!(mode == "hello" && argc == 2) &&
      !(mode == "claim" && argc == 3 && absl::SimpleAtoi(argv[2], &hold_ms) && hold_ms >= 0)) {
    std::fprintf(stderr, "usage: usb_probe hello | usb_probe claim HOLD_MS\n");
    return 2;
  }
  libusb_context* ctx = nullptr;
  if (libusb_init(&ctx) != 0) return 5;
  libusb_device_handle* h =
      libusb_open_device_with_vid_pid(ctx, rollrig::usb::kVendorId, rollrig::usb::kProductId);
  int status = 0;
  if (h == nullptr) {
    std::fprintf(stderr, "usb_probe: no 1209:0001 device\n");
    status = 4;
  } else if (const int r = libusb_claim_interface(h, rollrig::usb::kInterfaceNumber); r != 0) {
    status = Fail(r == LIBUSB_ERROR_BUSY ? 3 : 5, "claim", r);
  } else if (mode == "hello") {
    status = Hello(h);
  } else {
    std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms));
  }
  if (h != nullptr) libusb_close(h);
  libusb_exit(ctx);
  return status;
}
