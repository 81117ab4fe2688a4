// rigctl's --json output: a message as JSON with every field (defaults too) under its proto
// field name, the form scripts parse. Pure; any thread.
#pragma once

#include <string>

#include "google/protobuf/message.h"

namespace rollrig::host::rigctl {

// Indented, or one line ending in "\n" when !pretty (for streams of messages).
std::string MessageJson(const google::protobuf::Message& m, bool pretty = true);

}  // namespace rollrig::host::rigctl
