// The scripted faults of rig-sim --usb (its --control socket): one text command, one
// reply line, "ok ..." or "error: ...". Commands:
//   unplug          the USB device disappears (in-flight transfers fail)
//   plug            it appears again, with a new device number
//   replug MS       unplug, wait MS milliseconds (0..60000), plug
//   reset           firmware reboot (new boot id) and USB re-enumeration, same serial
//   hang            the firmware stops (its last outputs latched); the microcontroller's
//                   hardware watchdog resets it within its timeout (50 ms by default): the
//                   bridge goes off, the firmware reboots and the device re-enumerates.
//                   The reply comes once it has. (There is no unhang: the watchdog is it.)
//   stats           the emulated bus's counters on one line
//
// Thread-safe (the emulator and the runner are).
#pragma once

#include <string>

#include "rig/sim/sim_runner.h"
#include "rig/usb/usb_emulator.h"

namespace rollrig::usb {

class UsbRigCommands {
 public:
  // Neither is owned; both must outlive this object.
  UsbRigCommands(UsbEmulator* emulator, sim::SimRunner* runner)
      : emulator_(emulator), runner_(runner) {}

  std::string Execute(const std::string& line);

  static constexpr char kHelp[] = "unplug, plug, replug MS, reset, hang, stats";

 private:
  std::string Hang();

  UsbEmulator* emulator_;
  sim::SimRunner* runner_;
};

// The counters on one line, key=value separated by spaces.
std::string FormatStats(const UsbEmulatorStats& s);

}  // namespace rollrig::usb
