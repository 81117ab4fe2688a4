#include "host/profile_loader/presets.h"

#include "absl/strings/strip.h"
#include "host/profile_loader/embedded_preset_files.h"
#include "host/profile_loader/profile_parser.h"
#include "host/profile_loader/program_unrolling.h"

namespace rollrig::host {
namespace {

// Far above any device's program size; keeps a broken preset from unrolling forever.
constexpr uint64_t kMaxSegmentsToTime = 1 << 20;

std::vector<rollrig::v1::Preset> BuildPresets() {
  std::vector<rollrig::v1::Preset> presets;
  for (size_t i = 0; i < kEmbeddedPresetFileCount; ++i) {
    const EmbeddedPresetFile& file = kEmbeddedPresetFiles[i];
    rollrig::v1::Preset preset;
    preset.set_file_name(file.file_name);
    preset.set_text(file.text);
    absl::string_view name = file.file_name;
    absl::ConsumeSuffix(&name, ".textproto");
    preset.set_name(std::string(name));
    // The presets are tested to parse and validate; a broken one still lists, with no
    // description and a zero cycle, and LoadProfile reports what is wrong with it.
    const ParsedProfile parsed = ParseProfileText(file.text, file.file_name);
    if (parsed.complete && parsed.errors.empty() &&
        CountProgramSegments(parsed.profile) <= kMaxSegmentsToTime) {
      preset.set_description(parsed.profile.description());
      preset.set_cycle_s(UnrollProfile(parsed.profile).cycle_s);
    }
    presets.push_back(std::move(preset));
  }
  return presets;
}

}  // namespace

const std::vector<rollrig::v1::Preset>& Presets() {
  static const std::vector<rollrig::v1::Preset>* const presets =
      new std::vector<rollrig::v1::Preset>(BuildPresets());
  return *presets;
}

const rollrig::v1::Preset* FindPreset(absl::string_view name) {
  for (const rollrig::v1::Preset& preset : Presets()) {
    if (preset.name() == name || preset.file_name() == name) return &preset;
  }
  return nullptr;
}

}  // namespace rollrig::host
