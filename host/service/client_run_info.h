// What a client sees of a run's recordings: their file names, not where rigd keeps them.
// rigd's paths are its own business (and reveal its file system); DownloadRecording takes
// a recording by its index in RunInfo.recordings, so the names are enough to fetch one.
#pragma once

#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::host {

// Replaces each of run->recordings with its file name ("/var/lib/rollrig/runs/r1.mcap"
// -> "r1.mcap"). Pure; any thread.
void NameRecordingsForClient(rollrig::v1::RunInfo* run);

}  // namespace rollrig::host
