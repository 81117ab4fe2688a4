# Writes OUTPUT, a C++ file defining kEmbeddedPresetFiles from the files in PRESETS (a
# ;-separated list of paths). Run in script mode: cmake -DOUTPUT=... -DPRESETS=... -P
# Bytes are written as hex so no file content can break the generated source.
set(body "")
set(entries "")
set(n 0)
foreach(path IN LISTS PRESETS)
  get_filename_component(file_name "${path}" NAME)
  file(READ "${path}" hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
  string(APPEND body "constexpr char kPreset${n}[] = {${bytes}'\\0'};\n")
  string(APPEND entries "    {\"${file_name}\", kPreset${n}},\n")
  math(EXPR n "${n} + 1")
endforeach()
set(source "// Generated from host/profiles/ by embed_presets.cmake; do not edit.
#include \"host/profile_loader/embedded_preset_files.h\"

namespace rollrig::host {
namespace {
${body}}  // namespace

const EmbeddedPresetFile kEmbeddedPresetFiles[] = {
${entries}};
const size_t kEmbeddedPresetFileCount = ${n};

}  // namespace rollrig::host
")
# Only touch the file when it changes, so unchanged presets rebuild nothing.
file(CONFIGURE OUTPUT "${OUTPUT}" CONTENT "${source}" @ONLY)
