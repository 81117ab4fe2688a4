// The upload queue in words, for `rigctl uploads` and the summary line of `rigctl status`.
// Pure.
#pragma once

#include <cstdint>
#include <string>

#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::host::rigctl {

// "s3://B/P at URL: 2 waiting (3.1 MiB), 5 uploaded, last error: ..." or "off".
std::string UploadSummaryLine(const rollrig::v1::UploadStatus& status);

// The whole queue: destination, counts, then each item (run, file, state, size, attempts,
// last error, next attempt, uploaded, local delete after). `now_unix_ns` for "in 12 s".
std::string UploadQueueText(const rollrig::v1::UploadStatus& status, int64_t now_unix_ns);

}  // namespace rollrig::host::rigctl
