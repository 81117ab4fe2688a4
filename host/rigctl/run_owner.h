// How rigctl speaks of a run's owner, and asks for a command on a run: the owner needs
// nothing more; another identity's run needs --force (admin) and --reason, which rigd
// records with the command.
#pragma once

#include <string>

#include "host/rigctl/options.h"
#include "host/rigctl/session.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::host::rigctl {

// A pause, resume or stop of run `id` (empty: the active run), with --force and --reason.
rollrig::v1::RunRequest RunCommandRequest(const Session& s, const Options& o,
                                          const std::string& id);

// "bob@bench (only bob@bench, or an admin with --force, may pause, resume or stop it)",
// or "nobody recorded" for a run older than owners.
std::string OwnerText(const rollrig::v1::RunInfo& run);

}  // namespace rollrig::host::rigctl
