// Device programs on the wire: ProgramSegment messages into the firmware's plain segment
// structs, and the operator-readable reasons for refused program commands
// ("program segment 3: roller hold rpm 500 is outside -120..120 rpm").
// Pure functions; no state.
#pragma once

#include <cstdint>
#include <string>

#include "rig/firmware/firmware.h"
#include "rig/firmware/program.h"
#include "rollrig/v1/device.pb.h"

namespace rollrig::sim {

// A motion message that is present but has no motion set counts as absent (hold).
// Doubles beyond float range become the largest float of their sign, so that they are
// refused as out of range rather than as non-finite.
firmware::ProgramSegmentDef ToSegmentDef(const rollrig::v1::ProgramSegment& segment);

// Each segment's `index` must be its position in the program (first_index + i). Returns
// "" when they are, else the reason.
std::string CheckPartIndexes(const rollrig::v1::LoadProgram& request);

// Why a LoadProgram part was refused, naming the segment and field where there is one.
std::string LoadRefusalDetail(const rollrig::v1::LoadProgram& request,
                              const firmware::ProgramRefusal& refusal,
                              const firmware::FirmwareStatus& status);

// Why a StartProgram was refused ("" for kOk).
std::string StartRefusalDetail(const rollrig::v1::StartProgram& request,
                               firmware::CommandResult result,
                               const firmware::FirmwareStatus& status,
                               const firmware::ProgramStore& program);

// Why PauseProgram / ResumeProgram was refused ("" for kOk); `what` is "pause" or "resume".
std::string PauseResumeRefusalDetail(const char* what, firmware::CommandResult result,
                                     const firmware::FirmwareStatus& status);

// "running", "paused", ... for messages.
const char* ProgramStateName(firmware::ProgramState state);

}  // namespace rollrig::sim
