// A run belongs to the identity that started it (RunInfo.started_by). Its owner may
// pause, resume and stop it from any client, without the control lease; anyone else
// needs the admin role and an explicit force with a reason, and that is recorded with
// who and why. The service admits the caller (host/security) and hands down a RunActor:
// plain values, so this layer knows nothing of credentials.
//
// Pure functions of their arguments; call them from any thread.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::host {

// Who asks something of a run, as the service admitted them.
struct RunActor {
  // "bob@bench"; empty for rigd itself (e.g. resuming an interrupted run at start-up).
  std::string identity = {};
  bool admin = false;
  // Asked to act on another identity's run (admin only), and why.
  bool force = false;
  std::string reason = {};
};

// OK when `actor` may `verb` ("pause", "resume", "stop") `run`: its owner, rigd itself,
// anyone for a run recorded before owners, or an admin forcing with a reason. Otherwise
// PERMISSION_DENIED naming the owner and what is needed, or INVALID_ARGUMENT for a
// forced request without a reason.
absl::Status CheckMayCommandRun(const rollrig::v1::RunInfo& run, const RunActor& actor,
                                absl::string_view verb);

// How `actor` is recorded for a command on `run`: "bob@bench", or for an admin acting on
// another's run "carol@lab (admin, forced: REASON)" (the reason quoted bounded).
std::string DescribeRunActor(const rollrig::v1::RunInfo& run, const RunActor& actor);

}  // namespace rollrig::host
