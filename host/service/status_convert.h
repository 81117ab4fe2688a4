// Converts what the device client knows into the API's RigStatus, with readable names
// for faults and interlocks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/device/device_client.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::host {

void SnapshotToStatus(const DeviceSnapshot& snap, rollrig::v1::RigStatus* status);

}  // namespace rollrig::host
