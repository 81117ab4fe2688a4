#include "rig/usb/umockdev_preload.h"

#include <dlfcn.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"

namespace rollrig::usb {
namespace {

// Set on the re-executed process so that a preload that fails to load is an error, not
// an endless exec loop.
constexpr char kReexecMarker[] = "ROLLRIG_UMOCKDEV_REEXEC";

#if defined(__SANITIZE_ADDRESS__)
// The path of the ASan runtime this process runs with, from its memory map.
std::string LoadedAsanRuntime() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    const size_t slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::string path = line.substr(slash);
    if (path.find("/libasan.so") != std::string::npos) return path;
  }
  return "";
}
#endif

}  // namespace

bool RunningUnderUmockdev() {
  void* handle = dlopen(kUmockdevPreloadLibrary, RTLD_LAZY | RTLD_NOLOAD);
  if (handle == nullptr) return false;
  dlclose(handle);
  return true;
}

absl::Status ReexecUnderUmockdev(char** argv) {
  if (getenv(kReexecMarker) != nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("re-executed with ", kUmockdevPreloadLibrary,
                     " in LD_PRELOAD but it is not loaded; is the umockdev package installed?"));
  }
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  std::string preload = kUmockdevPreloadLibrary;
#if defined(__SANITIZE_ADDRESS__)
  const std::string asan = LoadedAsanRuntime();
  if (!asan.empty()) preload = asan + ":" + preload;
#endif
  if (const char* existing = getenv("LD_PRELOAD"); existing != nullptr && *existing != '\0') {
    preload += std::string(":") + existing;
  }
  setenv("LD_PRELOAD", preload.c_str(), 1);
  setenv(kReexecMarker, "1", 1);
  execv("/proc/self/exe", argv);
  const int error = errno;
  return absl::InternalError(
      absl::StrCat("cannot re-execute under ", kUmockdevPreloadLibrary, ": ", strerror(error)));
}

}  // namespace rollrig::usb
