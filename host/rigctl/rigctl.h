// rigctl, the command-line client of rigd, as a function so tests can run it in-process.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace rollrig::host {

// Exit statuses shared by every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitRefused = 1;  // rigd or the device refused (range, e-stop, ...)
inline constexpr int kExitUsage = 4;    // bad arguments, or rigd not reachable

// Runs rigctl with `args` (without the program name). Output on `out`, one-line errors
// on `err` ("rigctl: ..."). Returns the exit status.
int RunRigctl(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace rollrig::host
