// rigctl's commands. Each takes the session and the arguments after the command name
// and returns the exit status.
#pragma once

#include <string>
#include <vector>

#include "host/rigctl/session.h"

namespace rollrig::host::rigctl {

using Args = std::vector<std::string>;

// The rig (device_commands.cc).
int StatusCommand(Session& s, const Args& args);
int JogCommand(Session& s, const Args& args);
int WatchCommand(Session& s, const Args& args);
int StopCommand(Session& s, const Args& args);
int EStopCommand(Session& s, const Args& args);
int ClearCommand(Session& s, const Args& args);

// Profiles and runs (run_commands.cc).
int ValidateCommand(Session& s, const Args& args);
int PresetsCommand(Session& s, const Args& args);
int RunCommand(Session& s, const Args& args);
int AttachCommand(Session& s, const Args& args);
int PauseCommand(Session& s, const Args& args);
int ResumeCommand(Session& s, const Args& args);
int RunsCommand(Session& s, const Args& args);
int EventsCommand(Session& s, const Args& args);
int FaultCommand(Session& s, const Args& args);

// The upload queue to S3-compatible storage (upload_command.cc).
int UploadsCommand(Session& s, const Args& args);

// Recordings, offline: no rigd needed (check_command.cc).
int CheckCommand(Session& s, const Args& args);

// Recordings (recording_commands.cc): recover works offline; export reads a file locally
// or downloads a run's recordings from rigd.
int RecoverCommand(Session& s, const Args& args);
int ExportCommand(Session& s, const Args& args);

// The run report (report_command.cc): rendered here from files, or by rigd for a run id.
int ReportCommand(Session& s, const Args& args);

}  // namespace rollrig::host::rigctl
