// The preset profiles shipped in host/profiles/, embedded into the library at build
// time so rigd needs no files at run time.
#pragma once

#include <vector>

#include "absl/strings/string_view.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::host {

// The eight presets (swedish, deep-tissue, trigger-point, kneading, endurance,
// myofascial-release, friction, rolling), in that order, each with its name, file name,
// description (the profile's description field), textproto and one cycle's duration.
// Built once, on first use; thread-safe.
const std::vector<rollrig::v1::Preset>& Presets();

// The preset named `name` (e.g. "swedish"; the file name "swedish.textproto" also
// works), or nullptr.
const rollrig::v1::Preset* FindPreset(absl::string_view name);

}  // namespace rollrig::host
