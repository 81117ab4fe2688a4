#include "tests/test_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace rollrig::testing {

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

ChildProcess::ChildProcess(const std::string& program, const std::vector<std::string>& args) {
  char path[] = "/tmp/rollrig-test-child-XXXXXX";
  int log_fd = mkstemp(path);
  log_path_ = path;
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the test ended before the prctl took effect
    // Its own group is not the terminal's foreground group: reading the terminal would
    // stop it, so it reads nothing.
    const int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(program.c_str()));
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(program.c_str(), argv.data());
    _exit(127);
  }
  // Also here, so the group exists before anyone signals it (whichever runs first wins).
  if (pid_ > 0) setpgid(pid_, pid_);
  close(log_fd);
}

ChildProcess::~ChildProcess() {
  KillGroup();
  unlink(log_path_.c_str());
}

void ChildProcess::KillGroup() {
  if (pid_ <= 0) return;
  // The group outlives its leader while any member runs, so this reaches what the child
  // left behind even after the child was reaped.
  kill(-pid_, SIGKILL);
  if (running()) Wait(10);
}

int ChildProcess::Stop(double grace_s) {
  Signal(SIGTERM);
  Wait(grace_s);
  KillGroup();
  return running() ? -1 : status_;
}

bool ChildProcess::running() {
  if (exited_ || pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    exited_ = true;
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  return !exited_;
}

void ChildProcess::Signal(int sig) {
  if (running()) kill(pid_, sig);
}

int ChildProcess::Wait(double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<int>(timeout_s * 1000));
  while (running()) {
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status_;
}

std::string ChildProcess::Output() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

CommandResult RunCommand(const std::string& program, const std::vector<std::string>& args,
                         double timeout_s) {
  ChildProcess child(program, args);
  CommandResult r;
  r.exit_code = child.Wait(timeout_s);
  r.output = child.Output();
  return r;
}

}  // namespace rollrig::testing
