// The firmware's enums travel on the wire as the proto enums of the same meaning: their
// numeric values must agree. Checked here at compile time, so a renumbering on either
// side fails the build instead of mislabeling faults in the field.
#pragma once

#include "rig/firmware/faults.h"
#include "rig/firmware/firmware.h"
#include "rollrig/v1/device.pb.h"

namespace rollrig::sim {

template <typename FirmwareEnum>
constexpr int WireValue(FirmwareEnum e) {
  return static_cast<int>(e);
}

namespace v1 = rollrig::v1;
using firmware::CommandResult;
using firmware::DeviceState;
using firmware::EventKind;
using firmware::Fault;
using firmware::Interlock;
using firmware::ProgramState;

static_assert(WireValue(Fault::kNone) == v1::FAULT_NONE);
static_assert(WireValue(Fault::kStall) == v1::FAULT_STALL);
static_assert(WireValue(Fault::kOverTemperature) == v1::FAULT_OVER_TEMPERATURE);
static_assert(WireValue(Fault::kOverSpeed) == v1::FAULT_OVER_SPEED);
static_assert(WireValue(Fault::kEncoderLoss) == v1::FAULT_ENCODER_LOSS);
static_assert(WireValue(Fault::kLoadCellSaturation) == v1::FAULT_LOAD_CELL_SATURATION);
static_assert(WireValue(Fault::kWatchdog) == v1::FAULT_WATCHDOG);
static_assert(WireValue(Fault::kEStopSoftware) == v1::FAULT_ESTOP_SOFTWARE);
static_assert(WireValue(Fault::kEStopButton) == v1::FAULT_ESTOP_BUTTON);
static_assert(WireValue(Fault::kDoorOpen) == v1::FAULT_DOOR_OPEN);
static_assert(WireValue(Fault::kHeadLimit) == v1::FAULT_HEAD_LIMIT);
static_assert(firmware::kFaultCount == v1::Fault_ARRAYSIZE);

static_assert(WireValue(Interlock::kNone) == v1::INTERLOCK_NONE);
static_assert(WireValue(Interlock::kEStopButton) == v1::INTERLOCK_ESTOP_BUTTON);
static_assert(WireValue(Interlock::kDoorOpen) == v1::INTERLOCK_DOOR_OPEN);

static_assert(WireValue(DeviceState::kUnspecified) == v1::DEVICE_STATE_UNSPECIFIED);
static_assert(WireValue(DeviceState::kIdle) == v1::DEVICE_STATE_IDLE);
static_assert(WireValue(DeviceState::kActive) == v1::DEVICE_STATE_ACTIVE);
static_assert(WireValue(DeviceState::kStopping) == v1::DEVICE_STATE_STOPPING);
static_assert(WireValue(DeviceState::kFaulted) == v1::DEVICE_STATE_FAULTED);

static_assert(WireValue(CommandResult::kUnspecified) == v1::COMMAND_RESULT_UNSPECIFIED);
static_assert(WireValue(CommandResult::kOk) == v1::COMMAND_RESULT_OK);
static_assert(WireValue(CommandResult::kOutOfRange) == v1::COMMAND_RESULT_OUT_OF_RANGE);
static_assert(WireValue(CommandResult::kFaultLatched) == v1::COMMAND_RESULT_FAULT_LATCHED);
static_assert(WireValue(CommandResult::kInterlockActive) == v1::COMMAND_RESULT_INTERLOCK_ACTIVE);
static_assert(WireValue(CommandResult::kBadRequest) == v1::COMMAND_RESULT_BAD_REQUEST);
static_assert(WireValue(CommandResult::kUnsupported) == v1::COMMAND_RESULT_UNSUPPORTED);
static_assert(WireValue(CommandResult::kBusy) == v1::COMMAND_RESULT_BUSY);
static_assert(WireValue(CommandResult::kConditionPersists) ==
              v1::COMMAND_RESULT_CONDITION_PERSISTS);

static_assert(WireValue(EventKind::kNone) == v1::DEVICE_EVENT_UNSPECIFIED);
static_assert(WireValue(EventKind::kFaultRaised) == v1::DEVICE_EVENT_FAULT_RAISED);
static_assert(WireValue(EventKind::kFaultsCleared) == v1::DEVICE_EVENT_FAULTS_CLEARED);
static_assert(WireValue(EventKind::kStateChanged) == v1::DEVICE_EVENT_STATE_CHANGED);
static_assert(WireValue(EventKind::kInterlockChanged) == v1::DEVICE_EVENT_INTERLOCK_CHANGED);
static_assert(WireValue(EventKind::kBridgeDisabled) == v1::DEVICE_EVENT_BRIDGE_DISABLED);
static_assert(WireValue(EventKind::kBooted) == v1::DEVICE_EVENT_BOOTED);
static_assert(WireValue(EventKind::kProgramStarted) == v1::DEVICE_EVENT_PROGRAM_STARTED);
static_assert(WireValue(EventKind::kCycleCompleted) == v1::DEVICE_EVENT_CYCLE_COMPLETED);
static_assert(WireValue(EventKind::kProgramPaused) == v1::DEVICE_EVENT_PROGRAM_PAUSED);
static_assert(WireValue(EventKind::kProgramResumed) == v1::DEVICE_EVENT_PROGRAM_RESUMED);
static_assert(WireValue(EventKind::kProgramFinished) == v1::DEVICE_EVENT_PROGRAM_FINISHED);
static_assert(WireValue(EventKind::kProgramAborted) == v1::DEVICE_EVENT_PROGRAM_ABORTED);
static_assert(WireValue(EventKind::kProgramAborted) + 1 == v1::DeviceEventKind_ARRAYSIZE);

static_assert(WireValue(ProgramState::kNone) == v1::PROGRAM_STATE_NONE);
static_assert(WireValue(ProgramState::kLoaded) == v1::PROGRAM_STATE_LOADED);
static_assert(WireValue(ProgramState::kRunning) == v1::PROGRAM_STATE_RUNNING);
static_assert(WireValue(ProgramState::kPaused) == v1::PROGRAM_STATE_PAUSED);
static_assert(WireValue(ProgramState::kStopping) == v1::PROGRAM_STATE_STOPPING);
static_assert(WireValue(ProgramState::kStopping) + 1 == v1::ProgramState_ARRAYSIZE);

inline v1::Fault ToWire(Fault f) { return static_cast<v1::Fault>(f); }
inline v1::DeviceState ToWire(DeviceState s) { return static_cast<v1::DeviceState>(s); }
inline v1::CommandResult ToWire(CommandResult r) { return static_cast<v1::CommandResult>(r); }
inline v1::DeviceEventKind ToWire(EventKind k) { return static_cast<v1::DeviceEventKind>(k); }
inline v1::ProgramState ToWire(ProgramState s) { return static_cast<v1::ProgramState>(s); }

}  // namespace rollrig::sim
