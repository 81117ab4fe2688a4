#include "host/runs/run_ownership.h"

#include "absl/strings/str_cat.h"
#include "rig/base/bounded_text.h"

namespace rollrig::host {
namespace {

// The owner's own command, rigd's, or one on a run recorded before runs had owners.
bool ActsAsOwner(const rollrig::v1::RunInfo& run, const RunActor& actor) {
  return run.started_by().empty() || actor.identity.empty() || actor.identity == run.started_by();
}

}  // namespace

absl::Status CheckMayCommandRun(const rollrig::v1::RunInfo& run, const RunActor& actor,
                                absl::string_view verb) {
  if (ActsAsOwner(run, actor)) return absl::OkStatus();
  const std::string& owner = run.started_by();
  if (!actor.admin || !actor.force) {
    return absl::PermissionDeniedError(absl::StrCat(
        "run ", run.id(), " belongs to ", owner, "; only ", owner,
        ", or an admin with --force, may ", verb, " it (rigctl --force ", verb, " --reason TEXT)",
        actor.admin ? "" : absl::StrCat("; ", actor.identity, " is not an admin")));
  }
  if (actor.reason.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("forcing a ", verb, " of ", owner, "'s run ",
                                                   run.id(), " needs a reason (rigctl --force ",
                                                   verb, " --reason TEXT); it is recorded"));
  }
  return absl::OkStatus();
}

std::string DescribeRunActor(const rollrig::v1::RunInfo& run, const RunActor& actor) {
  if (actor.identity.empty()) return "rigd";
  if (ActsAsOwner(run, actor)) return actor.identity;
  return absl::StrCat(actor.identity, " (admin, forced: ", TruncateText(actor.reason, kQuoteBytes),
                      ")");
}

}  // namespace rollrig::host
