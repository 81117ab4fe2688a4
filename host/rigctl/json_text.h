// rigctl's --json output: a message as JSON with every field (defaults too) under its proto
// field name, the form scripts parse. Pure; any thread.
#pragma once

#include <string>

#include "google/protobuf/message.h"

namespace rollrig::host::rigctl {

// Indented, or one line ending in "\n" when !pretty (for streams of messages).
std::string MessageJson(const google::protobuf::Message& m, bool pretty = true);

// `m` as MessageJson prints it, with one more member `name` holding `list`'s repeated field
// of the same name: one document where a script would otherwise get two (indented).
std::string MessageJsonWithList(const google::protobuf::Message& m, const std::string& name,
                                const google::protobuf::Message& list);

}  // namespace rollrig::host::rigctl
