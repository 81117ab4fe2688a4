// rigctl, the command-line client of rigd, as a function so tests can run it in-process.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "host/rigctl/session.h"

namespace rollrig::host {

using rigctl::kExitAborted;
using rigctl::kExitDenied;
using rigctl::kExitFail;
using rigctl::kExitMarginal;
using rigctl::kExitNotFound;
using rigctl::kExitOk;
using rigctl::kExitRefused;
using rigctl::kExitUnreachable;
using rigctl::kExitUsage;

// Runs rigctl with `args` (without the program name). Output on `out`, one-line errors
// on `err` ("rigctl: ..."). Returns the exit status.
int RunRigctl(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace rollrig::host
