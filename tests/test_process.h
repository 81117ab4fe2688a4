// Starting and stopping the product's binaries from tests, and finding free ports.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace rollrig::testing {

// A free TCP port on 127.0.0.1 (bound and released; another process could take it in
// between, so callers retry on a clash).
int FreePort();

// A child process with its output captured in a file, leading a process group of its own
// so that whatever it starts can be stopped with it. Nothing it started outlives the
// owner: destroying it SIGKILLs the whole group (even after the child itself exited), and
// the child gets SIGKILL if the thread that started it ends first (PR_SET_PDEATHSIG, so a
// crashed test leaves no orphan behind). Not thread-safe.
class ChildProcess {
 public:
  ChildProcess(const std::string& program, const std::vector<std::string>& args);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool running();
  void Signal(int sig);  // to the child alone
  // Waits up to timeout_s; returns the exit status, or -1 if it is still running.
  int Wait(double timeout_s);
  // Stops the child as a user would (SIGTERM, up to grace_s to exit), then SIGKILLs its
  // group: the child if it did not exit, and anything it started that is still running.
  // Returns the child's exit status.
  int Stop(double grace_s);
  std::string Output() const;  // stdout and stderr so far
  pid_t pid() const { return pid_; }

 private:
  void KillGroup();

  pid_t pid_ = -1;
  int status_ = -1;
  bool exited_ = false;
  std::string log_path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs a program to completion (with a timeout) and returns its exit code and output.
CommandResult RunCommand(const std::string& program, const std::vector<std::string>& args,
                         double timeout_s = 30);

}  // namespace rollrig::testing
