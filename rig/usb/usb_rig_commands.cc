#include "rig/usb/usb_rig_commands.h"

#include <chrono>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace rollrig::usb {

std::string UsbRigCommands::Execute(const std::string& line) {
  std::vector<std::string> words = absl::StrSplit(line, ' ', absl::SkipWhitespace());
  if (words.empty()) return absl::StrCat("error: empty command (try ", kHelp, ")");
  const std::string& command = words[0];
  const auto no_argument = [&]() { return words.size() == 1; };
  if (command == "unplug" && no_argument()) {
    emulator_->Unplug();
    return "ok unplugged";
  }
  if (command == "plug" && no_argument()) {
    emulator_->Plug();
    return absl::StrCat("ok plugged ", emulator_->device_node());
  }
  if (command == "replug") {
    int ms = -1;
    if (words.size() != 2 || !absl::SimpleAtoi(words[1], &ms) || ms < 0 || ms > 60000) {
      return "error: replug wants the milliseconds to stay unplugged, 0..60000";
    }
    emulator_->Unplug();
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    emulator_->Plug();
    return absl::StrCat("ok replugged after ", ms, " ms at ", emulator_->device_node());
  }
  if (command == "reset" && no_argument()) {
    runner_->WithDevice([](sim::SimulatedDevice& d) { d.Reset(); });
    emulator_->Reset();
    return absl::StrCat("ok reset, re-enumerated at ", emulator_->device_node());
  }
  if (command == "hang" && no_argument()) return Hang();
  if (command == "unhang") {
    return "error: nothing to unhang: the device's hardware watchdog resets a hung firmware "
           "(hang reports it)";
  }
  if (command == "stats" && no_argument()) return "ok " + FormatStats(emulator_->stats());
  if (command == "unplug" || command == "plug" || command == "reset" || command == "hang" ||
      command == "stats") {
    return absl::StrCat("error: ", command, " takes no argument");
  }
  return absl::StrCat("error: unknown command \"", command, "\" (try ", kHelp, ")");
}

std::string UsbRigCommands::Hang() {
  // The hardware watchdog resets the microcontroller within its timeout and the device
  // re-enumerates (rig-sim --usb's watchdog-reset listener); the reply waits for that.
  constexpr auto kReenumerationWait = std::chrono::seconds(5);
  const uint64_t resets_before = emulator_->stats().resets;
  const bool plugged = emulator_->plugged();
  uint64_t watchdog_resets_before = 0;
  runner_->WithDevice([&](sim::SimulatedDevice& d) {
    watchdog_resets_before = d.watchdog_resets();
    d.SetHung(true);
  });
  const auto hung_at = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - hung_at < kReenumerationWait) {
    uint64_t watchdog_resets = 0;
    runner_->WithDevice([&](sim::SimulatedDevice& d) { watchdog_resets = d.watchdog_resets(); });
    const bool reset = watchdog_resets > watchdog_resets_before;
    if (reset && !plugged) return "ok firmware hung; its watchdog reset it (unplugged)";
    if (reset && emulator_->stats().resets > resets_before && emulator_->plugged()) {
      return absl::StrCat("ok firmware hung; its watchdog reset it, re-enumerated at ",
                          emulator_->device_node());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return "error: the firmware hung and its watchdog did not reset it within 5 s";
}

std::string FormatStats(const UsbEmulatorStats& s) {
  return absl::StrCat("plugged=", s.device_number != 0 ? 1 : 0, " device_number=", s.device_number,
                      " bulk_out_urbs=", s.bulk_out_urbs, " bulk_in_urbs=", s.bulk_in_urbs,
                      " control_urbs=", s.control_urbs, " urbs_reaped=", s.urbs_reaped,
                      " urbs_discarded=", s.urbs_discarded,
                      " urbs_failed_unplug=", s.urbs_failed_unplug, " bytes_out=", s.bytes_out,
                      " bytes_in=", s.bytes_in, " packets_out=", s.packets_out,
                      " packets_in=", s.packets_in, " busy_frames=", s.busy_frames,
                      " frames_at_packet_budget=", s.frames_at_packet_budget,
                      " max_packets_in_a_frame=", s.max_packets_in_a_frame, " plugs=", s.plugs,
                      " unplugs=", s.unplugs, " resets=", s.resets, " host_resets=", s.host_resets,
                      " claimants=", s.claimants, " open_handles=", s.open_handles);
}

}  // namespace rollrig::usb
