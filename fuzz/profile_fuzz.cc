// libFuzzer target: a profile as people write it, in protobuf text format or JSON (the
// loader picks JSON for text starting with '{'), parsed, validated against the simulated
// device's capabilities and unrolled into the device program. Checked beyond "no crash":
// a profile is either loaded (with a program within the device's segment limit) or
// refused with at least one error, never both or neither; and every error formats.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "google/protobuf/stubs/logging.h"
#include "host/profile_loader/profile_loader.h"
#include "rig/sim/simulated_device.h"

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "profile_fuzz: %s\n", what);
    std::abort();
  }
}

const rollrig::v1::Capabilities& DeviceCapabilities() {
  static const rollrig::v1::Capabilities caps =
      rollrig::sim::SimulatedDevice(rollrig::sim::SimOptions()).info().capabilities();
  return caps;
}

}  // namespace

// protobuf logs every invalid UTF-8 string it parses: noise at millions of inputs.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rollrig::v1::ProfileSource source;
  source.set_file_name("fuzz.profile");
  source.set_text(reinterpret_cast<const char*>(data), size);
  const rollrig::host::ProfileCheck check =
      rollrig::host::LoadProfile(source, DeviceCapabilities());
  Check(check.loaded.has_value() != !check.errors.empty(), "loaded and errors disagree");
  for (const rollrig::v1::ProfileError& e : check.errors) {
    Check(!rollrig::host::FormatProfileError(e).empty(), "an error formats as nothing");
  }
  if (check.loaded) {
    const uint32_t max_segments = DeviceCapabilities().max_profile_segments() == 0
                                      ? 256
                                      : DeviceCapabilities().max_profile_segments();
    Check(!check.loaded->program.empty(), "a loaded profile has no program");
    Check(check.loaded->program.size() <= max_segments, "the program exceeds the device's limit");
    Check(check.loaded->segments.size() == check.loaded->program.size(),
          "segments and program differ in length");
  }
  return 0;
}
