#include "rig/sim/device_messages.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "rig/firmware/faults.h"
#include "rig/sim/wire_enums.h"

namespace rollrig::sim {

rollrig::v1::Capabilities MakeCapabilities(const firmware::FirmwareConfig& config,
                                           const plant::PlantParams& plant, uint32_t watchdog_ms,
                                           uint32_t telemetry_divisor) {
  rollrig::v1::Capabilities caps;
  caps.mutable_roller_rpm()->set_min(-config.roller_max_rpm);
  caps.mutable_roller_rpm()->set_max(config.roller_max_rpm);
  caps.set_roller_max_accel_rpm_s(config.roller_accel_rpm_s);
  caps.mutable_head_deg()->set_min(config.head_min_deg);
  caps.mutable_head_deg()->set_max(config.head_max_deg);
  caps.set_head_max_rate_dps(config.head_max_rate_dps);
  caps.mutable_preload_n()->set_min(0);
  caps.mutable_preload_n()->set_max(config.preload_max_n);
  caps.mutable_load_cell_n()->set_min(0);
  caps.mutable_load_cell_n()->set_max(config.load_cell_full_scale_n);
  caps.set_current_limit_a(config.current_limit_a);
  caps.set_rated_current_a(config.rated_current_a);
  caps.set_temperature_limit_c(config.temperature_limit_c);
  caps.set_tick_hz(config.tick_hz);
  caps.set_max_tick_hz(kMaxTickHz);
  caps.set_telemetry_hz(config.tick_hz / (telemetry_divisor == 0 ? 1 : telemetry_divisor));
  caps.set_telemetry_buffer_samples(
      static_cast<uint32_t>(firmware::Firmware::kTelemetryBufferSamples));
  caps.set_watchdog_ms(watchdog_ms);
  caps.set_max_profile_segments(static_cast<uint32_t>(firmware::kMaxProgramSegments));
  caps.set_fault_injection(true);
  caps.set_gear_ratio(plant.gear_ratio);
  caps.set_roller_radius_m(plant.roller_radius_m);
  caps.set_torque_constant_nm_a(plant.kt);
  caps.set_encoder_counts_per_rev(static_cast<uint32_t>(plant.encoder_counts_per_rev));
  return caps;
}

std::string FaultList(uint32_t faults) {
  std::string list;
  for (int f = 1; f < firmware::kFaultCount; ++f) {
    if (faults & (1u << f)) {
      absl::StrAppend(&list, list.empty() ? "" : ", ",
                      firmware::FaultName(static_cast<firmware::Fault>(f)));
    }
  }
  return list.empty() ? "none" : list;
}

std::string InterlockList(uint32_t interlocks) {
  std::string list;
  if (interlocks & firmware::InterlockBit(firmware::Interlock::kEStopButton)) {
    list = "e-stop button pressed";
  }
  if (interlocks & firmware::InterlockBit(firmware::Interlock::kDoorOpen)) {
    absl::StrAppend(&list, list.empty() ? "" : ", ", "guard door open");
  }
  return list.empty() ? "none" : list;
}

std::string RefusalDetail(firmware::CommandResult result, const firmware::FirmwareStatus& status,
                          const std::string& what, const std::string& allowed) {
  using firmware::CommandResult;
  switch (result) {
    case CommandResult::kOk:
      return "";
    case CommandResult::kOutOfRange:
      return absl::StrCat(what, " is outside ", allowed);
    case CommandResult::kBadRequest:
      return absl::StrCat(what, " is not a valid request");
    case CommandResult::kFaultLatched:
      return absl::StrCat(what, " refused: faults latched (", FaultList(status.faults),
                          "); clear them first");
    case CommandResult::kInterlockActive:
      return absl::StrCat(what, " refused: interlock active (", InterlockList(status.interlocks),
                          ")");
    case CommandResult::kBusy:
      if (status.program_state == firmware::ProgramState::kRunning ||
          status.program_state == firmware::ProgramState::kPaused ||
          status.program_state == firmware::ProgramState::kStopping) {
        return absl::StrCat(what, " refused: program ", status.program_id,
                            " is running; stop it first");
      }
      return absl::StrCat(what, " refused: still braking to a stop; retry when stopped");
    case CommandResult::kConditionPersists:
      return absl::StrCat(what, " refused: the cause is still present (faults ",
                          FaultList(status.faults), "; interlocks ",
                          InterlockList(status.interlocks), ")");
    case CommandResult::kUnsupported:
      return absl::StrCat(what, " is not supported by this device");
    case CommandResult::kUnspecified:
      break;
  }
  return absl::StrCat(what, " failed");
}

std::string BootDetail(rollrig::v1::BootReason reason) {
  switch (reason) {
    case rollrig::v1::BOOT_REASON_RESET:
      return absl::StrCat("firmware ", kFirmwareVersion, " booted after a reset");
    case rollrig::v1::BOOT_REASON_WATCHDOG_RESET:
      return absl::StrCat("firmware ", kFirmwareVersion,
                          " booted after a watchdog reset (the firmware had stopped running; the "
                          "bridge was switched off at the reset)");
    default:  // power-on
      return absl::StrCat("firmware ", kFirmwareVersion, " booted");
  }
}

rollrig::v1::DeviceEvent ToDeviceEvent(const firmware::FirmwareEvent& event) {
  rollrig::v1::DeviceEvent out;
  out.set_kind(ToWire(event.kind));
  out.set_time_us(event.time_us);
  out.set_sample_seq(event.sample_seq);
  out.set_fault(ToWire(event.fault));
  out.set_state(ToWire(event.state));
  out.set_faults(event.faults);
  out.set_interlocks(event.interlocks);
  out.set_value(event.value);
  out.set_program_id(event.program_id);
  out.set_cycle(event.cycle);
  out.set_segment(event.segment);
  const double time_s = static_cast<double>(event.time_us) * 1e-6;
  switch (event.kind) {
    case firmware::EventKind::kFaultRaised:
      out.set_detail(absl::StrFormat("fault raised: %s (measured %g)",
                                     firmware::FaultName(event.fault), event.value));
      break;
    case firmware::EventKind::kFaultsCleared:
      out.set_detail(absl::StrCat("faults cleared; still latched: ", FaultList(event.faults)));
      break;
    case firmware::EventKind::kStateChanged:
      out.set_detail(absl::StrCat("state ", rollrig::v1::DeviceState_Name(ToWire(event.state))));
      break;
    case firmware::EventKind::kInterlockChanged:
      out.set_detail(absl::StrCat("interlocks: ", InterlockList(event.interlocks)));
      break;
    case firmware::EventKind::kBridgeDisabled:
      out.set_detail("bridge disabled: the roller motor is no longer driven");
      break;
    case firmware::EventKind::kBooted:
      out.set_detail(BootDetail(rollrig::v1::BOOT_REASON_POWER_ON));
      break;
    case firmware::EventKind::kProgramStarted:
      out.set_detail(absl::StrFormat("program %u started at cycle %u (device time %.6f s)",
                                     event.program_id, event.cycle, time_s));
      break;
    case firmware::EventKind::kCycleCompleted:
      out.set_detail(absl::StrFormat("program %u: cycle %u completed at device time %.6f s",
                                     event.program_id, event.cycle, time_s));
      break;
    case firmware::EventKind::kProgramPaused:
      out.set_detail(absl::StrFormat("program %u paused in cycle %u, segment %d", event.program_id,
                                     event.cycle, event.segment));
      break;
    case firmware::EventKind::kProgramResumed:
      out.set_detail(absl::StrFormat("program %u resumed in cycle %u, segment %d", event.program_id,
                                     event.cycle, event.segment));
      break;
    case firmware::EventKind::kProgramFinished:
      out.set_detail(absl::StrFormat("program %u finished after cycle %u; the roller is at rest",
                                     event.program_id, event.cycle));
      break;
    case firmware::EventKind::kProgramAborted:
      out.set_detail(absl::StrFormat("program %u aborted in cycle %u (faults: %s)",
                                     event.program_id, event.cycle, FaultList(event.faults)));
      break;
    case firmware::EventKind::kNone:
      break;
  }
  return out;
}

}  // namespace rollrig::sim
