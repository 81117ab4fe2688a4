// Entering umockdev's emulated environment. The emulated USB device (usb_emulator.h)
// only exists for processes running with umockdev's preload library, which fakes /sys
// and /dev; programs opt in by re-executing themselves under it early in main().
#pragma once

#include "absl/status/status.h"

namespace rollrig::usb {

// The shared object umockdev interposes on open(), ioctl(), ... of the process.
inline constexpr char kUmockdevPreloadLibrary[] = "libumockdev-preload.so.0";

// True when umockdev's preload library is loaded into this process.
bool RunningUnderUmockdev();

// Re-executes this program (/proc/self/exe, same argv) with the preload library in
// LD_PRELOAD; when built with AddressSanitizer, the ASan runtime goes first, as ASan
// requires. Also lowers the timer slack to 1 ns (inherited by the program and its
// children): the preload sleeps after every emulated ioctl and the default 50 us slack
// would halve the emulated bus's throughput. Returns only on error (the exec failed, or
// the program was already re-executed once and the preload still is not active).
absl::Status ReexecUnderUmockdev(char** argv);

}  // namespace rollrig::usb
