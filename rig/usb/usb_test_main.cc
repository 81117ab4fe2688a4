// main() of the USB test binaries: the emulated device only exists under umockdev's
// preload, so the binary re-executes itself under it. Listing the tests (ctest's
// discovery) needs no emulation and runs as is.
#include <cstdio>
#include <cstring>
#include <string>

#include "gtest/gtest.h"
#include "rig/usb/umockdev_preload.h"

int main(int argc, char** argv) {
  bool listing = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--gtest_list_tests", 18) == 0) listing = true;
  }
  if (!listing && !rollrig::usb::RunningUnderUmockdev()) {
    const absl::Status status = rollrig::usb::ReexecUnderUmockdev(argv);
    std::fprintf(stderr, "%s\n", std::string(status.message()).c_str());
    return 1;
  }
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
