#include "rig/firmware/faults.h"

namespace rollrig::firmware {

const char* FaultName(Fault f) {
  switch (f) {
    case Fault::kNone:
      return "none";
    case Fault::kStall:
      return "stall";
    case Fault::kOverTemperature:
      return "over-temperature";
    case Fault::kOverSpeed:
      return "over-speed";
    case Fault::kEncoderLoss:
      return "encoder-loss";
    case Fault::kLoadCellSaturation:
      return "load-cell-saturation";
    case Fault::kWatchdog:
      return "watchdog";
    case Fault::kEStopSoftware:
      return "e-stop";
    case Fault::kEStopButton:
      return "e-stop-button";
    case Fault::kDoorOpen:
      return "door-open";
    case Fault::kHeadLimit:
      return "head-limit";
  }
  return "unknown";
}

}  // namespace rollrig::firmware
