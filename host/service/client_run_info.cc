#include "host/service/client_run_info.h"

#include <string>

namespace rollrig::host {

void NameRecordingsForClient(rollrig::v1::RunInfo* run) {
  for (std::string& path : *run->mutable_recordings()) {
    const size_t slash = path.rfind('/');
    if (slash != std::string::npos) path.erase(0, slash + 1);
  }
}

}  // namespace rollrig::host
