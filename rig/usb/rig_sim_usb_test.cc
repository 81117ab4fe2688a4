// rig-sim --usb as a user runs it: COMMAND inside the emulated environment, its exit
// status passed through, signals forwarded, and the --control socket.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// rig-sim ARGS started in a session of its own (like a shell job), output to a file.
// Owns the session's process group: destroying it SIGKILLs the group and reaps rig-sim,
// so a failed assertion leaves nothing running.
class Child {
 public:
  explicit Child(const std::vector<std::string>& args) {
    output_path_ = testing::TempDir() + "rig_sim_usb_test." + std::to_string(getpid()) + "." +
                   std::to_string(std::rand()) + ".out";
    const pid_t parent = getpid();
    pid = fork();
    if (pid == 0) {
      setsid();
      prctl(PR_SET_PDEATHSIG, SIGKILL);     // the test crashed: rig-sim goes too
      if (getppid() != parent) _exit(126);  // it already had
      const int fd = open(output_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      std::vector<char*> argv;
      std::string self = RIG_SIM_PATH;
      argv.push_back(self.data());
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(126);
    }
  }
  ~Child() {
    if (pid > 0) {
      kill(-pid, SIGKILL);  // the session's group, even if rig-sim itself already exited
      if (!reaped_) WaitFor(milliseconds(5000));
    }
    std::remove(output_path_.c_str());
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // Waits up to `limit`; the exit status, or -1 (still running).
  int WaitFor(milliseconds limit) {
    if (reaped_) return status_;
    const auto deadline = steady_clock::now() + limit;
    while (steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        reaped_ = true;
        status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return status_;
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
    return -1;
  }

  std::string Output() const {
    std::ifstream in(output_path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  pid_t pid = -1;

 private:
  std::string output_path_;
  bool reaped_ = false;
  int status_ = -1;
};

int RunToEnd(const std::vector<std::string>& args, std::string* output = nullptr) {
  Child c(args);
  const int status = c.WaitFor(milliseconds(30000));
  if (output != nullptr) *output = c.Output();
  return status;
}

TEST(RigSimUsbTest, PassesCommandsExitStatusThrough) {
  EXPECT_EQ(RunToEnd({"--usb", "--", "sh", "-c", "exit 7"}), 7);
  EXPECT_EQ(RunToEnd({"--usb", "--", "true"}), 0);
  EXPECT_EQ(RunToEnd({"--usb", "--", "sh", "-c", "kill -9 $$"}), 128 + SIGKILL);
  std::string out;
  EXPECT_EQ(RunToEnd({"--usb", "--", "/nonexistent/command"}, &out), 127);
  EXPECT_NE(out.find("cannot run /nonexistent/command"), std::string::npos) << out;
}

TEST(RigSimUsbTest, RejectsBadArgumentsClearly) {
  std::string out;
  EXPECT_EQ(RunToEnd({"--usb"}, &out), 2);
  EXPECT_NE(out.find("--usb wants a command"), std::string::npos) << out;
  EXPECT_EQ(RunToEnd({"--usb", "--vid-pid", "12:34", "--", "true"}, &out), 2);
  EXPECT_NE(out.find("--vid-pid wants VVVV:PPPP"), std::string::npos) << out;
  EXPECT_EQ(RunToEnd({"--control", "/tmp/x", "--", "true"}, &out), 2);
  EXPECT_NE(out.find("go with --usb"), std::string::npos) << out;
}

TEST(RigSimUsbTest, CommandSeesTheDeviceWithTheSameSerialOnUsbAndInDeviceInfo) {
  std::string out;
  EXPECT_EQ(RunToEnd({"--usb", "--serial", "PROC-42", "--", USB_PROBE_PATH, "hello"}, &out), 0)
      << out;
  EXPECT_NE(out.find("usb=PROC-42 device=PROC-42"), std::string::npos) << out;
  // Another VID:PID: the probe (looking for 1209:0001) finds nothing.
  EXPECT_EQ(RunToEnd({"--usb", "--vid-pid", "16c0:05dc", "--", USB_PROBE_PATH, "hello"}), 4);
}

TEST(RigSimUsbTest, ASecondProcessClaimingTheDeviceGetsBusy) {
  std::string out;
  const std::string script = std::string(USB_PROBE_PATH) + " claim 3000 & sleep 1; " +
                             USB_PROBE_PATH + " claim 0; echo second=$?; wait; echo first=$?";
  EXPECT_EQ(RunToEnd({"--usb", "--", "sh", "-c", script}, &out), 0);
  EXPECT_NE(out.find("second=3"), std::string::npos) << out;
  EXPECT_NE(out.find("first=0"), std::string::npos) << out;
}

TEST(RigSimUsbTest, ForwardsSigtermAndExitsWithTheCommandsStatus) {
  Child c(
      {"--usb", "--", "sh", "-c", "trap 'exit 42' TERM; echo ready; while :; do sleep 0.05; done"});
  ASSERT_TRUE([&] {
    for (int i = 0; i < 500 && c.Output().find("ready") == std::string::npos; ++i) {
      std::this_thread::sleep_for(milliseconds(10));
    }
    return c.Output().find("ready") != std::string::npos;
  }());
  kill(c.pid, SIGTERM);  // rig-sim alone: it forwards to COMMAND
  EXPECT_EQ(c.WaitFor(milliseconds(5000)), 42) << c.Output();
}

TEST(RigSimUsbTest, AStubbornCommandIsKilledAfterTheGraceAndTheGroupStopsWithin5s) {
  Child c({"--usb", "--", "sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done"});
  for (int i = 0; i < 500 && c.Output().find("ready") == std::string::npos; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  const auto start = steady_clock::now();
  kill(-c.pid, SIGTERM);  // the whole process group, as a job control shell does
  const int status = c.WaitFor(milliseconds(5000));
  const double seconds = std::chrono::duration<double>(steady_clock::now() - start).count();
  EXPECT_EQ(status, 128 + SIGKILL) << c.Output();
  EXPECT_GE(seconds, 2.0);
  EXPECT_NE(c.Output().find("did not exit within 3 s"), std::string::npos) << c.Output();
}

// One command on the control socket; its reply line.
std::string Command(int fd, const std::string& line) {
  const std::string message = line + "\n";
  if (write(fd, message.data(), message.size()) != static_cast<ssize_t>(message.size())) return "";
  std::string reply;
  char ch;
  while (read(fd, &ch, 1) == 1 && ch != '\n') reply += ch;
  return reply;
}

TEST(RigSimUsbTest, TheControlSocketScriptsFaults) {
  const std::string socket_path =
      testing::TempDir() + "rig_sim_usb_control." + std::to_string(getpid());
  Child c({"--usb", "--unplugged", "--control", socket_path, "--", "sleep", "60"});
  int fd = -1;
  for (int i = 0; i < 500 && fd < 0; ++i) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, socket_path.c_str(), sizeof(address.sun_path) - 1);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      close(fd);
      fd = -1;
      std::this_thread::sleep_for(milliseconds(10));
    }
  }
  ASSERT_GE(fd, 0) << c.Output();
  EXPECT_NE(Command(fd, "stats").find("ok plugged=0 "), std::string::npos);
  EXPECT_EQ(Command(fd, "plug"), "ok plugged /dev/bus/usb/001/002");
  EXPECT_NE(Command(fd, "stats").find("plugged=1 device_number=2 "), std::string::npos);
  EXPECT_EQ(Command(fd, "unplug"), "ok unplugged");
  // Already unplugged: replug only plugs.
  EXPECT_EQ(Command(fd, "replug 20"), "ok replugged after 20 ms at /dev/bus/usb/001/003");
  EXPECT_EQ(Command(fd, "reset"), "ok reset, re-enumerated at /dev/bus/usb/001/004");
  // A hang ends in a reset by the device's hardware watchdog, which re-enumerates it.
  EXPECT_EQ(Command(fd, "hang"),
            "ok firmware hung; its watchdog reset it, re-enumerated at /dev/bus/usb/001/005");
  EXPECT_EQ(Command(fd, "unhang"),
            "error: nothing to unhang: the device's hardware watchdog resets a hung firmware "
            "(hang reports it)");
  const std::string stats = Command(fd, "stats");
  EXPECT_NE(stats.find(" plugs=4 unplugs=3 resets=2 "), std::string::npos) << stats;
  EXPECT_EQ(Command(fd, "replug soon"),
            "error: replug wants the milliseconds to stay unplugged, 0..60000");
  EXPECT_EQ(Command(fd, "fly"),
            "error: unknown command \"fly\" (try unplug, plug, replug MS, reset, hang, stats)");
  close(fd);
  kill(c.pid, SIGTERM);
  EXPECT_EQ(c.WaitFor(milliseconds(5000)), 128 + SIGTERM);
  EXPECT_NE(access(socket_path.c_str(), F_OK), 0);  // removed on exit
}

}  // namespace
