#include "host/rigctl/run_owner.h"

#include "absl/strings/str_cat.h"
#include "rig/base/bounded_text.h"

namespace rollrig::host::rigctl {

rollrig::v1::RunRequest RunCommandRequest(const Session& s, const Options& o,
                                          const std::string& id) {
  rollrig::v1::RunRequest req;
  req.set_id(id);
  req.set_force(s.force());
  // Any bytes are accepted; protobuf needs them as UTF-8.
  req.set_reason(ToValidUtf8(o.value("--reason")));
  return req;
}

std::string OwnerText(const rollrig::v1::RunInfo& run) {
  const std::string& owner = run.started_by();
  if (owner.empty()) return "nobody recorded (a run older than owners)";
  return absl::StrCat(owner, " (only ", owner,
                      ", or an admin with --force, may pause, resume or stop it)");
}

}  // namespace rollrig::host::rigctl
