// The SHA-256 of a whole file, read in pieces (the report lists each recording's digest so
// a reviewer can tell the files it came from). Pure over the file; any thread.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "host/recording/file_system.h"

namespace rollrig::report {

// 64 lowercase hex digits; the file's read error if a read fails.
absl::StatusOr<std::string> Sha256OfFile(const recording::RandomAccessFile& file);

}  // namespace rollrig::report
